import { Router, type RouterOptions } from '../router';
import { RouterEventBus, type RouterEvent } from '../events/router-events';
import { OrderedSelector } from '../routing/ordered-selector';
import type { RouteRequest } from '../routing/route-request';
import { settle } from '../resilience/spec-support';
import { ManualClock, ScriptedProviders, WordEmbedder, makeArm, type ScriptedStep } from '../testing';
import { FallbackGuardSettings, type ClassFallbackGuard } from './fallback-guard';

const USUAL = 'the train leaves platform four at noon';
const ODD = 'bananas are yellow fruit rich in potassium';

function request(id: string, cls = 'chat'): RouteRequest {
  return { id, tenant: 't1', class: cls, messages: [{ role: 'user', content: 'when does the train leave?' }], params: {}, routing: { objective: 'balanced' } };
}

function setup(guards: Record<string, ClassFallbackGuard>, scripts: Record<string, ScriptedStep[]>, extra: Partial<RouterOptions> = {}) {
  const clock = new ManualClock(1_000);
  const providers = new ScriptedProviders(clock, scripts);
  const events: RouterEvent[] = [];
  const bus = new RouterEventBus();
  bus.subscribe((e) => events.push(e));
  const embedder = new WordEmbedder();
  const arms = [makeArm('a'), makeArm('b'), makeArm('judge', { classes: ['judging'] })];
  const router = new Router({ arms, providers, selector: new OrderedSelector(), clock, events: bus, fallbackGuard: { settings: new FallbackGuardSettings(guards), embedder }, ...extra });
  return { clock, providers, router, events, embedder };
}

const ofType = <T extends RouterEvent['type']>(events: RouterEvent[], type: T) => events.filter((e): e is Extract<RouterEvent, { type: T }> => e.type === type);

/** Three answers from the first-choice arm: the class's accepted answers to compare with. */
async function warm(router: Router, providers: ScriptedProviders): Promise<void> {
  providers.setScript('a', [{ ok: true, text: USUAL }]);
  for (const id of ['w1', 'w2', 'w3']) await router.route(request(id));
  await router.fallbackGuard.settled();
}

describe('fallback guard: similarity to the class recent accepted answers', () => {
  const guard: Record<string, ClassFallbackGuard> = { chat: { kind: 'similarity', minSimilarity: 0.8, recent: 10 } };

  it('does not publish a fallback answer unlike the accepted ones: no arm left, the request fails check_failed', async () => {
    const { router, providers, clock, events } = setup(guard, { b: [{ ok: true, text: ODD }] });
    await warm(router, providers);
    providers.setScript('a', [{ ok: false, kind: 'server_error' }]);
    const result = await settle(clock, router.route(request('r1')));
    expect(result.status).toBe('failed');
    expect(result.output).toBeUndefined();
    expect(result.error?.kind).toBe('check_failed');
    expect(result.attempts.find((a) => a.arm === 'b')?.rejectedBy).toEqual(['fallback_guard']);
    const [guarded] = ofType(events, 'fallback.guarded');
    expect(guarded.verdict).toMatchObject({ method: 'similarity', result: 'fail', compared: 3 });
    expect(guarded.verdict.score).toBeLessThan(0.8);
    expect(ofType(events, 'fallback.answered')).toEqual([expect.objectContaining({ requestId: 'r1', firstChoice: 'a', arm: 'b', published: false, text: ODD })]);
  });

  it('degrades instead when the class has a static reply', async () => {
    const { router, providers, clock } = setup(guard, { b: [{ ok: true, text: ODD }] }, { resilience: { degradation: { replies: { chat: 'Try again later.' } } } });
    await warm(router, providers);
    providers.setScript('a', [{ ok: false, kind: 'server_error' }]);
    const result = await settle(clock, router.route(request('r1')));
    expect(result).toMatchObject({ status: 'ok', degraded: true, output: { text: 'Try again later.' } });
  });

  it('publishes a fallback answer like the accepted ones, with its score', async () => {
    const { router, providers, clock, events } = setup(guard, { b: [{ ok: true, text: `${USUAL} sharp` }] });
    await warm(router, providers);
    providers.setScript('a', [{ ok: false, kind: 'server_error' }]);
    const result = await settle(clock, router.route(request('r1')));
    expect(result.output?.text).toBe(`${USUAL} sharp`);
    expect(ofType(events, 'fallback.guarded')[0].verdict).toMatchObject({ result: 'pass', score: expect.any(Number) });
    expect(ofType(events, 'fallback.answered')[0].published).toBe(true);
  });

  it('passes, saying why, while the class has fewer than three accepted answers', async () => {
    const { router, clock, events } = setup(guard, { a: [{ ok: false, kind: 'server_error' }], b: [{ ok: true, text: ODD }] });
    const result = await settle(clock, router.route(request('r1')));
    expect(result.output?.text).toBe(ODD);
    expect(ofType(events, 'fallback.guarded')[0].verdict).toMatchObject({ result: 'skipped', reason: expect.stringMatching(/only 0 accepted answers/) });
  });

  it('does not judge a tool-call turn (its answer is in the calls), and says so', async () => {
    const { router, providers, clock, events } = setup(guard, { b: [{ ok: true, text: '', finishReason: 'tool_calls' }] });
    await warm(router, providers);
    providers.setScript('a', [{ ok: false, kind: 'server_error' }]);
    const result = await settle(clock, router.route(request('r1')));
    expect(result.status).toBe('ok');
    expect(ofType(events, 'fallback.guarded')[0].verdict).toMatchObject({ result: 'skipped', reason: expect.stringMatching(/tool-call turn/) });
  });

  it('passes, saying why, when the answer cannot be embedded', async () => {
    const { router, providers, clock, events, embedder } = setup(guard, { b: [{ ok: true, text: ODD }] });
    await warm(router, providers);
    embedder.failing = true;
    providers.setScript('a', [{ ok: false, kind: 'server_error' }]);
    const result = await settle(clock, router.route(request('r1')));
    expect(result.status).toBe('ok');
    expect(ofType(events, 'fallback.guarded')[0].verdict).toMatchObject({ result: 'error', reason: expect.stringMatching(/could not be embedded/) });
  });

  it('leaves first-choice answers alone (only remembers them) and classes without a guard unjudged but announced', async () => {
    const { router, providers, clock, events } = setup(guard, { a: [{ ok: false, kind: 'server_error' }], b: [{ ok: true, text: ODD }] });
    providers.setScript('a', [{ ok: true, text: USUAL }]);
    await router.route(request('first'));
    await router.fallbackGuard.settled();
    expect(router.fallbackGuard.recent.count('chat')).toBe(1);
    expect(ofType(events, 'fallback.answered')).toEqual([]);
    providers.setScript('a', [{ ok: false, kind: 'server_error' }]);
    const result = await settle(clock, router.route(request('r2', 'other')));
    expect(result.output?.text).toBe(ODD);
    expect(ofType(events, 'fallback.guarded')).toEqual([]);
    expect(ofType(events, 'fallback.answered')).toEqual([expect.objectContaining({ requestClass: 'other', published: true, attempts: [expect.objectContaining({ arm: 'a', kind: 'server_error' }), expect.objectContaining({ arm: 'b', kind: 'ok' })] })]);
    expect(ofType(events, 'fallback.answered')[0]).not.toHaveProperty('verdict');
  });
});

describe('what counts as a fallback answer', () => {
  it('a hedge that won the race, though it finished first, is not the first choice', async () => {
    const { router, clock, events } = setup({}, { a: [{ ok: true, latencyMs: 1_000, text: USUAL }], b: [{ ok: true, latencyMs: 10, text: ODD }] }, { resilience: { hedge: { enabled: true, delayMs: 50, minDelayMs: 0 } } });
    const result = await settle(clock, router.route(request('h1')));
    expect(result.servedBy?.arm).toBe('b');
    expect(ofType(events, 'fallback.answered')).toEqual([expect.objectContaining({ firstChoice: 'a', arm: 'b' })]);
  });
});

describe('fallback guard: a judge arm', () => {
  const guard: Record<string, ClassFallbackGuard> = { chat: { kind: 'judge', judge: 'judge', prompt: 'Is this a schedule answer?' } };

  it('a FAIL rejects the fallback answer; the judge call is paid for', async () => {
    const { router, clock, providers, events } = setup(guard, { a: [{ ok: false, kind: 'server_error' }], b: [{ ok: true, text: ODD }], judge: [{ ok: true, text: 'FAIL', usage: { inputTokens: 1_000, outputTokens: 1 } }] });
    const result = await settle(clock, router.route(request('r1')));
    expect(result.status).toBe('failed');
    expect(result.error?.kind).toBe('check_failed');
    expect(providers.calls.map((c) => c.arm)).toEqual(['a', 'b', 'judge']);
    expect(ofType(events, 'fallback.guarded')[0].verdict).toMatchObject({ method: 'judge', arm: 'judge', result: 'fail', costUsd: 0.001002 });
    expect(result.usage.costUsd).toBeCloseTo(result.attempts.reduce((s, a) => s + a.costUsd, 0) + 0.001002, 12);
  });

  it('a clear PASS publishes it; a judge that cannot answer lets it through and says so', async () => {
    const pass = setup(guard, { a: [{ ok: false, kind: 'server_error' }], b: [{ ok: true, text: ODD }], judge: [{ ok: true, text: 'pass.' }] });
    expect((await settle(pass.clock, pass.router.route(request('r1')))).output?.text).toBe(ODD);
    const down = setup(guard, { a: [{ ok: false, kind: 'server_error' }], b: [{ ok: true, text: ODD }], judge: [{ ok: false, kind: 'server_error' }] });
    expect((await settle(down.clock, down.router.route(request('r1')))).output?.text).toBe(ODD);
    expect(ofType(down.events, 'fallback.guarded')[0].verdict).toMatchObject({ result: 'error', reason: expect.stringMatching(/judge could not answer/) });
  });
});
