import { ProviderError } from '../errors/provider-error';
import { RouterEventBus, type RouterEvent } from '../events/router-events';
import type { ChatMessage, Provider, ProviderRegistry } from '../ports/provider';
import { DEFAULT_RESILIENCE } from '../resilience/resilience-config';
import { Router } from '../router';
import type { ArmConfig } from '../routing/arm';
import { OrderedSelector } from '../routing/ordered-selector';
import type { RouteRequest } from '../routing/route-request';
import { ManualClock, makeArm } from '../testing';

type Ending = 'ok' | 'fail' | 'stall';

/** Arms that stream scripted pieces, then finish, fail or go silent; every call's messages are kept. */
class StreamingArms implements ProviderRegistry {
  readonly calls: Array<{ arm: string; messages: ChatMessage[] }> = [];

  constructor(private readonly scripts: Record<string, { pieces: string[]; then: Ending; streams?: boolean }>) {}

  providerFor(arm: ArmConfig): Provider {
    const script = this.scripts[arm.id];
    const run = async (messages: ChatMessage[], signal: AbortSignal, onText: (t: string) => void) => {
      this.calls.push({ arm: arm.id, messages });
      for (const piece of script.pieces) onText(piece);
      if (script.then === 'fail') throw new ProviderError({ kind: 'network', message: 'connection closed mid-stream' });
      if (script.then === 'stall') {
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      }
      return { text: script.pieces.join(''), finishReason: 'stop' as const, usage: { inputTokens: 10, outputTokens: script.pieces.length }, model: arm.model };
    };
    return {
      call: (call) => run(call.messages, call.signal, () => undefined),
      ...(script.streams === false ? {} : { stream: (call, onText) => run(call.messages, call.signal, onText) }),
    };
  }
}

const request: RouteRequest = { id: 'r1', tenant: 't', class: 'default', messages: [{ role: 'user', content: 'Tell me' }], params: {}, routing: { objective: 'balanced' } };

function setup(scripts: ConstructorParameters<typeof StreamingArms>[0]) {
  const clock = new ManualClock(1_000);
  const providers = new StreamingArms(scripts);
  const events: RouterEvent[] = [];
  const bus = new RouterEventBus();
  bus.subscribe((e) => events.push(e));
  const router = new Router({ arms: [makeArm('a'), makeArm('b')], providers, selector: new OrderedSelector(), clock, events: bus, streamStallMs: 1_000 });
  const received: string[] = [];
  return { clock, providers, events, router, received, sink: { text: (t: string) => received.push(t) } };
}

describe('Router streaming', () => {
  it('hands every piece to the sink as it comes; the answer is exactly the streamed text', async () => {
    const { router, received, sink, events } = setup({ a: { pieces: ['One ', 'two ', 'three.'], then: 'ok' }, b: { pieces: ['b'], then: 'ok' } });
    const result = await router.route(request, undefined, { stream: sink });
    expect(received).toEqual(['One ', 'two ', 'three.']);
    expect(result.output).toEqual({ text: 'One two three.', finishReason: 'stop' });
    expect(events.some((e) => e.type === 'stream.switched')).toBe(false);
  });

  it('continues a stream that failed after some pieces on the next arm, from the text already sent, without repeating it', async () => {
    const { router, received, sink, events, providers } = setup({ a: { pieces: ['One ', 'two '], then: 'fail' }, b: { pieces: ['three ', 'four.'], then: 'ok' } });
    const result = await router.route(request, undefined, { stream: sink });
    expect(received).toEqual(['One ', 'two ', 'three ', 'four.']);
    expect(result.status).toBe('ok');
    expect(result.output!.text).toBe('One two three four.');
    expect(result.servedBy!.arm).toBe('b');
    // b was asked to continue: the conversation, the partial answer as the assistant's turn, the continue prompt.
    expect(providers.calls[1]).toEqual({
      arm: 'b',
      messages: [...request.messages, { role: 'assistant', content: 'One two ' }, { role: 'user', content: DEFAULT_RESILIENCE.continuation.prompt }],
    });
    expect(events.find((e) => e.type === 'stream.switched')).toMatchObject({ from: 'a', to: 'b', attempt: 2, streamedChars: 8, reason: expect.stringMatching(/^network/) });
    expect(result.attempts.map((a) => [a.arm, a.kind])).toEqual([['a', 'network'], ['b', 'ok']]);
  });

  it('treats a started stream that goes silent for streamStallMs as stalled and continues elsewhere', async () => {
    const { router, received, sink, clock, events } = setup({ a: { pieces: ['Half '], then: 'stall' }, b: { pieces: ['done.'], then: 'ok' } });
    const routed = router.route(request, undefined, { stream: sink });
    await clock.advance(999);
    expect(received).toEqual(['Half ']);
    await clock.advance(1);
    const result = await routed;
    expect(received).toEqual(['Half ', 'done.']);
    expect(result.attempts[0]).toMatchObject({ arm: 'a', kind: 'timeout_read', message: expect.stringMatching(/stalled/) });
    expect(events.find((e) => e.type === 'stream.switched')).toMatchObject({ from: 'a', to: 'b', streamedChars: 5 });
  });

  it('falls back as usual when a stream fails before its first piece: the next arm gets the original conversation', async () => {
    const { router, received, sink, providers, events } = setup({ a: { pieces: [], then: 'fail' }, b: { pieces: ['Fresh.'], then: 'ok' } });
    const result = await router.route(request, undefined, { stream: sink });
    expect(received).toEqual(['Fresh.']);
    expect(result.output!.text).toBe('Fresh.');
    expect(providers.calls[1].messages).toEqual(request.messages);
    expect(events.some((e) => e.type === 'stream.switched')).toBe(false);
  });

  it('judges a started stream by the stall watch, not the hung-call watch: a long stream is not a hung call', async () => {
    const clock = new ManualClock(1_000);
    const events: RouterEvent[] = [];
    const bus = new RouterEventBus();
    bus.subscribe((e) => events.push(e));
    // First piece at once, the rest of the stream 3 s later; the arm's recent P99 is 100 ms.
    const provider: Provider = {
      call: () => Promise.reject(new Error('stream expected')),
      stream: async (call, onText) => {
        onText('Long ');
        for (let i = 0; i < 6; i++) {
          await clock.sleep(500, call.signal);
          onText('token ');
        }
        return { text: 'Long token token token token token token ', finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 7 }, model: 'a' };
      },
    };
    const router = new Router({
      arms: [makeArm('a')],
      providers: { providerFor: () => provider },
      selector: new OrderedSelector(),
      clock,
      events: bus,
      latency: { p95: () => 100, p99: () => 100 },
      hungMinMs: 200,
      streamStallMs: 1_000,
    });
    const routed = router.route(request, undefined, { stream: { text: () => undefined } });
    for (let i = 0; i < 8; i++) await clock.advance(500);
    const result = await routed;
    expect(result.status).toBe('ok');
    expect(events.filter((e) => e.type === 'attempt.hung')).toEqual([]);
  });

  it('streams a provider without streaming as one piece', async () => {
    const { router, received, sink } = setup({ a: { pieces: ['Whole ', 'answer.'], then: 'ok', streams: false }, b: { pieces: [], then: 'ok' } });
    const result = await router.route(request, undefined, { stream: sink });
    expect(received).toEqual(['Whole answer.']);
    expect(result.output!.text).toBe('Whole answer.');
  });
});
