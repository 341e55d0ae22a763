import { accountRun, LOST_IDS_SHOWN, runVerdict, type RequestFate, type RunAccounting } from './accounting';

const fate = (i: number, f: Partial<RequestFate> = {}): RequestFate => ({ id: `live-${i}`, sent: true, answered: false, ...f });
const LOGS = { router: 'out/logs/outage-switchyard-router.log', sim: 'out/logs/outage-switchyard-sim.log' };

describe('live request accounting', () => {
  it('classifies each sent request as answered, dead-lettered or lost', () => {
    const a = accountRun(
      [
        fate(0, { answered: true }), // ok or failed alike: the response is the answer
        fate(1, { dlqReason: 'schema' }),
        fate(2, { dlqReason: 'limits' }),
        fate(3, { dlqReason: 'schema' }),
        fate(4),
        fate(5, { answered: true, dlqReason: 'conflict' }), // answered wins over a DLQ record
        fate(6, { sent: false }), // never handed over: counts nowhere
        fate(7),
      ],
      true,
    );
    expect(a).toEqual({ sent: 7, answered: 2, dlq: 3, dlqReasons: { schema: 2, limits: 1 }, lost: 2, lostIds: ['live-4', 'live-7'] });
    expect(a.answered + a.dlq! + a.lost).toBe(a.sent);
  });

  it('has no DLQ for HTTP peers: a request without an answer is lost', () => {
    const a = accountRun([fate(0, { answered: true }), fate(1, { dlqReason: 'schema' })], false);
    expect(a).toEqual({ sent: 2, answered: 1, dlq: null, dlqReasons: null, lost: 1, lostIds: ['live-1'] });
  });

  it('names the first lost ids only, and counts them all', () => {
    const a = accountRun(Array.from({ length: 50 }, (_, i) => fate(i, { answered: i % 2 === 1 })), true);
    expect(a.lost).toBe(25);
    expect(a.lostIds).toHaveLength(LOST_IDS_SHOWN);
    expect(a.lostIds.slice(0, 3)).toEqual(['live-0', 'live-2', 'live-4']);
  });
});

describe('live run verdict', () => {
  const acc = (over: Partial<RunAccounting>): RunAccounting => ({ sent: 100, answered: 100, dlq: 0, dlqReasons: {}, lost: 0, lostIds: [], ...over });

  it('passes when every request was answered or dead-lettered, and reports the DLQ', () => {
    const v = runVerdict(
      [
        { name: 'outage/switchyard', accounting: acc({ answered: 97, dlq: 3, dlqReasons: { schema: 2, limits: 1 } }), logs: LOGS },
        { name: 'outage/litellm', accounting: acc({ dlq: null, dlqReasons: null }), logs: { litellm: 'out/litellm-logs/outage/litellm.log' } },
      ],
      60_000,
    );
    expect(v.exitCode).toBe(0);
    expect(v.lines).toEqual([`DLQ outage/switchyard: 3 of 100 sent requests went to the DLQ (schema 2, limits 1). Read the logs: router ${LOGS.router}, sim ${LOGS.sim}`]);
  });

  it('fails on a lost request, naming the first ids, the count and the logs to read', () => {
    const ids = Array.from({ length: LOST_IDS_SHOWN }, (_, i) => `live-${i}`);
    const v = runVerdict(
      [
        { name: 'outage/static-chain', accounting: acc({}), logs: LOGS },
        { name: 'outage/switchyard', accounting: acc({ answered: 70, lost: 30, lostIds: ids }), logs: LOGS },
        { name: 'outage/portkey', accounting: acc({ answered: 99, dlq: null, dlqReasons: null, lost: 1, lostIds: ['live-7'] }), logs: { portkey: 'p.log', sim: 's.log' } },
      ],
      60_000,
    );
    expect(v.exitCode).toBe(1);
    expect(v.lines).toEqual([
      `LOST outage/switchyard: 30 of 100 sent requests had no response and no DLQ record 60 s after the last send: ${ids.join(', ')} and 10 more. Read the logs: router ${LOGS.router}, sim ${LOGS.sim}`,
      'LOST outage/portkey: 1 of 100 sent requests had no response 60 s after the last send: live-7. Read the logs: portkey p.log, sim s.log',
    ]);
  });
});
