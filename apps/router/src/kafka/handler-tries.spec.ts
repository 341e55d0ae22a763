import type { InboundMessage } from './inbound-message';
import { runWithTries, type HandlerTriesOptions } from './handler-tries';

const message: InboundMessage = { topic: 'llm.requests', partition: 3, offset: '42', timestamp: '0', key: null, value: Buffer.from('{}'), headers: {} };

class InfraError extends Error {
  override readonly name = 'KafkaJSConnectionError';
}

function options(overrides: Partial<HandlerTriesOptions> = {}) {
  const given: unknown[] = [];
  const waits: number[] = [];
  const o: HandlerTriesOptions = {
    maxTries: 3,
    isTransient: (err) => err instanceof InfraError,
    giveUp: async (_m, err) => void given.push(err),
    running: () => true,
    sleep: async (ms) => void waits.push(ms),
    log: () => undefined,
    ...overrides,
  };
  return { o, given, waits };
}

describe('runWithTries: no record holds its partition', () => {
  it('gives a record the handler keeps failing on up to the DLQ after maxTries, with the last error', async () => {
    const { o, given, waits } = options();
    let calls = 0;
    const end = await runWithTries(message, async () => {
      calls++;
      throw new RangeError('Maximum call stack size exceeded');
    }, o);
    expect(end).toBe('given_up');
    expect(calls).toBe(3);
    expect(given).toEqual([expect.objectContaining({ name: 'RangeError' })]);
    expect(waits).toEqual([500, 1_000]);
  });

  it('retries infrastructure failures without counting them, and hands the record on once they pass', async () => {
    const { o, given } = options();
    let calls = 0;
    const end = await runWithTries(message, async () => {
      if (++calls <= 10) throw new InfraError('broker unreachable');
    }, o);
    expect(end).toBe('handled');
    expect(calls).toBe(11);
    expect(given).toEqual([]);
  });

  it('keeps trying to give up while the DLQ write fails, and stops when the transport stops', async () => {
    let running = true;
    let giveUps = 0;
    const { o } = options({
      maxTries: 1,
      giveUp: async () => {
        if (++giveUps === 3) running = false;
        throw new InfraError('broker down');
      },
      running: () => running,
    });
    const end = await runWithTries(message, () => Promise.reject(new Error('bug')), o);
    expect(end).toBe('stopped');
    expect(giveUps).toBe(3);
  });

  it('caps the wait between tries', async () => {
    const { o, waits } = options({ maxTries: 8, baseDelayMs: 100, maxDelayMs: 1_000 });
    await runWithTries(message, () => Promise.reject(new Error('bug')), o);
    expect(waits).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });
});
