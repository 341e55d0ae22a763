import { requestV1Schema, routingTableSchema } from '@switchyard/contracts';
import { deadlineOf, liveRouting, MAX_LIVE_DEADLINE_MS } from './deadline';

const base = { schemaVersion: 1, id: 'r1', tenant: 't', messages: [{ role: 'user', content: 'hi' }] };

describe('batch contract', () => {
  it('takes routing.batch and an absolute deadlineAt, and refuses both deadlines at once', () => {
    const ok = requestV1Schema.parse({ ...base, routing: { batch: 'prefer', deadlineAt: '2026-12-08T06:00:00Z' } });
    expect(ok.routing.batch).toBe('prefer');
    expect(requestV1Schema.safeParse({ ...base, routing: { batch: 'sometimes' } }).success).toBe(false);
    expect(requestV1Schema.safeParse({ ...base, routing: { deadlineAt: 'tomorrow' } }).success).toBe(false);
    const both = requestV1Schema.safeParse({ ...base, routing: { deadlineMs: 1000, deadlineAt: '2026-12-08T06:00:00Z' } });
    expect(both.success).toBe(false);
    expect(JSON.stringify(both.error?.issues)).toContain('not both');
  });

  it('takes a class default batch mode in the routing table', () => {
    const table = {
      providers: { openai: { kind: 'openai' } },
      arms: [{ id: 'a', provider: 'openai', model: 'm', pricing: { inputPer1M: 1, outputPer1M: 1 }, contextWindow: 1000, maxOutputTokens: 100, timeouts: { connectMs: 100, totalMs: 1000 } }],
      classes: { nightly: { batch: 'allow' } },
    };
    expect(routingTableSchema.parse(table).classes.nightly.batch).toBe('allow');
    expect(routingTableSchema.safeParse({ ...table, classes: { nightly: { batch: 'yes' } } }).success).toBe(false);
  });

  it('reads the deadline from deadlineAt or from deadlineMs after receipt', () => {
    expect(deadlineOf({ deadlineAt: '2026-12-08T00:00:10Z' }, 0)).toBe(Date.parse('2026-12-08T00:00:10Z'));
    expect(deadlineOf({ deadlineMs: 5_000 }, 1_000)).toBe(6_000);
    expect(deadlineOf({}, 1_000)).toBeUndefined();
  });

  it('gives the live router the ms left of a deadlineAt, bounded by one live run', () => {
    const at = Date.parse('2026-12-08T00:00:10Z');
    expect(liveRouting({ deadlineAt: '2026-12-08T00:00:10Z' }, at - 4_000).deadlineMs).toBe(4_000);
    expect(liveRouting({ deadlineAt: '2026-12-08T00:00:10Z' }, at + 4_000).deadlineMs).toBe(1);
    expect(liveRouting({ deadlineAt: '2026-12-08T00:00:10Z' }, at - 86_400_000).deadlineMs).toBe(MAX_LIVE_DEADLINE_MS);
    const plain = { deadlineMs: 7 };
    expect(liveRouting(plain, 0)).toBe(plain);
  });
});
