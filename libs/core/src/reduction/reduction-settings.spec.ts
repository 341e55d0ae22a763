import { ReductionSettings } from './reduction-settings';

describe('ReductionSettings', () => {
  it('is off for a class not configured, with a 10 % margin by default; a reload replaces every class', () => {
    const settings = new ReductionSettings({ chat: { method: 'trim' } });
    expect(settings.margin).toBe(0.1);
    expect(settings.forClass('chat')).toEqual({ method: 'trim' });
    expect(settings.forClass('legal')).toEqual({ method: 'off' });
    settings.update({ chat: { method: 'off' } });
    expect(settings.forClass('chat')).toEqual({ method: 'off' });
  });
});
