import { knownLabels, labelOf } from './known-labels';

describe('knownLabels', () => {
  it("takes classes from the table's classes, the arms' classes and default; tenants from budgets and the front door", () => {
    const known = knownLabels(
      { classes: { support: {} as never }, arms: [{ classes: ['extraction'] }, { classes: [] }] as never, budgets: { tenants: { acme: { day: 1 } } } },
      ['beta', 'default'],
    );
    expect([...known.classes].sort()).toEqual(['default', 'extraction', 'support']);
    expect([...known.tenants].sort()).toEqual(['acme', 'beta', 'default']);
    expect(labelOf('support', known.classes)).toBe('support');
    expect(labelOf('made-up', known.classes)).toBe('other');
  });
});
