import { EXIT_UNAVAILABLE, StartupWait } from './startup-wait';

describe('StartupWait', () => {
  it('reports what it waits for with the last error, and gives up with a message naming both', () => {
    let now = 1_000;
    const wait = new StartupWait('waiting for Kafka at 127.0.0.1:1', 60_000, () => now);
    wait.failed('creating topics', new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'));
    now += 12_000;
    expect(wait.status()).toEqual({
      ready: false,
      waiting: 'waiting for Kafka at 127.0.0.1:1',
      step: 'creating topics',
      lastError: 'Connection error: connect ECONNREFUSED 127.0.0.1:1',
      waitedMs: 12_000,
      giveUpAfterMs: 60_000,
    });
    expect(wait.remainingMs()).toBe(48_000);
    expect(wait.giveUpMessage()).toBe(`gave up waiting for Kafka at 127.0.0.1:1 after 12 s (creating topics: Connection error: connect ECONNREFUSED 127.0.0.1:1); exiting with code ${EXIT_UNAVAILABLE} (ROUTER_STARTUP_WAIT_MS)`);
    wait.finish();
    expect(wait.status()).toEqual({ ready: true });
  });

  it('gives up when armed and not finished in time, and not once finished', async () => {
    const late = new StartupWait('waiting for Kafka at x:1', 1_000);
    const finished = new StartupWait('waiting for Kafka at x:1', 1_000);
    const gaveUp: string[] = [];
    jest.useFakeTimers();
    try {
      late.arm((m) => gaveUp.push(`late: ${m}`));
      finished.arm((m) => gaveUp.push(`finished: ${m}`));
      finished.finish();
      jest.advanceTimersByTime(1_001);
    } finally {
      jest.useRealTimers();
    }
    expect(gaveUp).toEqual([expect.stringMatching(/^late: gave up waiting for Kafka at x:1/)]);
  });
});
