import { accountMix, planMix, type Seen } from './mix';

describe('bench:batch mix', () => {
  it('plans the same requests for the same seed, interactive and tolerant, deadlines within 5 min to 24 h scaled', () => {
    const a = planMix({ requests: 200, interactiveShare: 0.3, timeScale: 0.001, seed: 5 });
    expect(planMix({ requests: 200, interactiveShare: 0.3, timeScale: 0.001, seed: 5 })).toEqual(a);
    const tolerant = a.filter((p) => p.kind === 'tolerant');
    expect(tolerant.length).toBeGreaterThan(110);
    expect(tolerant.length).toBeLessThan(170);
    for (const p of tolerant) {
      expect(p.deadlineMs).toBeGreaterThanOrEqual(300);
      expect(p.deadlineMs).toBeLessThanOrEqual(86_400);
      expect(p.request.class).toBe('tolerant');
    }
  });

  it('counts lost, duplicated, late and failed answers, and the cost per good answer', () => {
    const plan = planMix({ requests: 4, interactiveShare: 0, timeScale: 1, seed: 1 });
    const seen = new Map<string, Seen>([
      [plan[0].id, { afterMs: 10, status: 'ok', costUsd: 0.01, servedVia: 'batch', records: 1 }],
      [plan[1].id, { afterMs: plan[1].deadlineMs + 1, status: 'ok', costUsd: 0.02, servedVia: 'live', records: 2 }],
      [plan[2].id, { afterMs: 10, status: 'failed', costUsd: 0, records: 1 }],
    ]);
    const o = accountMix(plan, seen);
    expect(o).toMatchObject({ requests: 4, answered: 3, lost: 1, duplicates: 1, deadlineMisses: 2, good: 1, batched: 1, servedVia: { batch: 1, live: 2 } });
    expect(o.costPerGoodUsd).toBeCloseTo(0.03, 12);
  });
});
