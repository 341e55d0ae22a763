import { InFlightReservations } from './in-flight-reservations';

describe('InFlightReservations', () => {
  it('holds each reservation on its lines until it lands, once', () => {
    const held = new InFlightReservations();
    held.hold('r1', 0.5, ['tenant', 'global']);
    held.hold('r2', 0.25, ['global']);
    expect(held.of('global')).toBeCloseTo(0.75, 12);
    held.land('r1');
    held.land('r1');
    held.land('unknown');
    expect(held.of('tenant')).toBe(0);
    expect(held.of('global')).toBeCloseTo(0.25, 12);
    held.land('r2');
    expect(held.of('global')).toBe(0);
  });
});
