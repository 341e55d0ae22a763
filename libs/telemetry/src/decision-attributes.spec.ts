import { makeArm } from '@switchyard/core/testing';
import type { Decision } from '@switchyard/core';
import { ATTR } from './attributes';
import { decisionAttributes } from './decision-attributes';

function decision(overrides: Partial<Decision> = {}): Decision {
  return { chosen: makeArm('a'), candidates: [], excluded: [], reason: 'highest sampled utility', exploration: false, ...overrides };
}

describe('decisionAttributes', () => {
  it('lists sampled scores per candidate when every candidate has them', () => {
    const attributes = decisionAttributes(
      decision({
        candidates: [
          { arm: 'a', utility: 0.9, sampledSuccess: 0.99, sampledLatencyMs: 420, expectedCostUsd: 0.002 },
          { arm: 'b', utility: 0.7, sampledSuccess: 0.95, sampledLatencyMs: 900, expectedCostUsd: 0.001 },
        ],
        exploration: true,
      }),
      3,
    );
    expect(attributes).toMatchObject({
      [ATTR.step]: 3,
      [ATTR.chosenArm]: 'a',
      [ATTR.exploration]: true,
      [ATTR.candidateArms]: ['a', 'b'],
      [ATTR.candidateUtility]: [0.9, 0.7],
      [ATTR.candidateSuccess]: [0.99, 0.95],
      [ATTR.candidateLatency]: [420, 900],
      [ATTR.candidateCost]: [0.002, 0.001],
    });
  });

  it('leaves out a score array with holes but keeps it in the JSON list', () => {
    const attributes = decisionAttributes(decision({ candidates: [{ arm: 'a', utility: 0.5 }, { arm: 'b' }] }), 1);
    expect(attributes[ATTR.candidateUtility]).toBeUndefined();
    expect(JSON.parse(attributes[ATTR.candidates] as string)).toEqual([{ arm: 'a', utility: 0.5 }, { arm: 'b' }]);
  });

  it('names excluded arms with their reasons', () => {
    const attributes = decisionAttributes(decision({ excluded: [{ arm: 'c', reason: 'circuit open' }] }), 1);
    expect(attributes[ATTR.excludedArms]).toEqual(['c']);
    expect(attributes[ATTR.excludedReasons]).toEqual(['circuit open']);
  });

  it('keeps fields a policy adds to the decision', () => {
    const extended = { ...decision(), breakers: { a: 'closed', c: 'open' }, budgetHeadroomUsd: 4.5 } as Decision;
    const attributes = decisionAttributes(extended, 1);
    expect(attributes['switchyard.decision.breakers']).toBe('{"a":"closed","c":"open"}');
    expect(attributes['switchyard.decision.budgetHeadroomUsd']).toBe(4.5);
  });

  it('says whether a half-open probe took the decision and lists each candidate’s breaker state', () => {
    const probe = decisionAttributes(decision({ candidates: [{ arm: 'a', breaker: 'half_open' }, { arm: 'b', breaker: 'closed' }], probe: true, exploration: true }), 1);
    expect(probe).toMatchObject({ [ATTR.probe]: true, [ATTR.exploration]: true, [ATTR.candidateBreakers]: ['half_open', 'closed'] });
    expect(probe['switchyard.decision.probe']).toBe(true);
    const plain = decisionAttributes(decision({ candidates: [{ arm: 'a' }] }), 1);
    expect(plain[ATTR.probe]).toBe(false);
    expect(plain[ATTR.candidateBreakers]).toBeUndefined();
  });
});
