import { makeArm } from '../testing/fake-provider';
import { ArmTable, REMOVED_FROM_TABLE } from './arm-table';
import type { EligibilityContext } from './eligibility';

const ctx = {} as EligibilityContext;

describe('ArmTable', () => {
  it('keeps an arm a reload removed findable for the attempts still on it, and rules it out of new choices', () => {
    const a = makeArm('a');
    const b = makeArm('b');
    const table = new ArmTable([a, b]);
    expect(table.hasRetired).toBe(false);

    const changes = table.update([a]);
    expect(changes.removed).toEqual(['b']);
    expect(table.arms).toEqual([a]);
    expect(table.armFor('b')).toBe(b);
    expect(table.hasRetired).toBe(true);
    expect(table.inTable(b, ctx)).toBe(REMOVED_FROM_TABLE);
    expect(table.inTable(a, ctx)).toBeUndefined();
  });

  it('forgets the retirement when a later reload lists the arm again, with its new settings', () => {
    const a = makeArm('a');
    const table = new ArmTable([a, makeArm('b')]);
    table.update([a]);
    const b2 = makeArm('b', { contextWindow: 999 });
    table.update([a, b2]);
    expect(table.hasRetired).toBe(false);
    expect(table.armFor('b')).toBe(b2);
    expect(table.inTable(b2, ctx)).toBeUndefined();
  });
});
