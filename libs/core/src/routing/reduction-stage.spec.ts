import { Router, type RouterOptions } from '../router';
import { BudgetGuard } from '../budget/budget-guard';
import { InMemoryBudgetStore } from '../budget/in-memory-budget-store';
import { RouterEventBus, type RouterEvent } from '../events/router-events';
import type { ChatMessage, ProviderRegistry } from '../ports/provider';
import { ReductionSettings, type ClassReduction } from '../reduction/reduction-settings';
import { settle } from '../resilience/spec-support';
import { ManualClock, ScriptedProviders, makeArm, type ScriptedStep } from '../testing';
import type { ArmConfig } from './arm';
import { OrderedSelector } from './ordered-selector';
import type { RouteRequest } from './route-request';
import { estimatePromptTokens } from './token-estimate';
import { ProviderError } from '../errors/provider-error';

const turn = (role: ChatMessage['role'], tag: string, chars = 4_000): ChatMessage => ({ role, content: `${tag} ${'x'.repeat(chars)}` });

/** ~5,000 estimated tokens: fits no 1,000-token window. */
const LONG: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  turn('user', 'U1'),
  turn('assistant', 'A1'),
  turn('user', 'U2'),
  turn('assistant', 'A2'),
  turn('user', 'U3'),
  { role: 'user', content: 'U-last: so what is the answer?' },
];

const small = makeArm('small', { contextWindow: 1_000, maxOutputTokens: 200 });
const summariser = makeArm('summariser', { contextWindow: 200_000, classes: ['summaries'], pricing: { inputPer1M: 0.25, outputPer1M: 1.25 } });

function request(cls: string, overrides: Partial<RouteRequest> = {}): RouteRequest {
  return { id: `req-${cls}`, tenant: 't1', class: cls, messages: LONG, params: { maxTokens: 100 }, routing: { objective: 'balanced' }, ...overrides };
}

/** Records the messages of every provider call, by arm. */
function recording(inner: ScriptedProviders): ProviderRegistry & { messages: Array<{ arm: string; messages: ChatMessage[] }> } {
  const messages: Array<{ arm: string; messages: ChatMessage[] }> = [];
  return {
    messages,
    providerFor: (arm) => {
      const provider = inner.providerFor(arm);
      return { call: (call) => (messages.push({ arm: arm.id, messages: call.messages }), provider.call(call)) };
    },
  };
}

function setup(classes: Record<string, ClassReduction>, scripts: Record<string, ScriptedStep[]> = {}, arms: ArmConfig[] = [small, summariser], extra: Partial<RouterOptions> = {}) {
  const clock = new ManualClock(1_000);
  const scripted = new ScriptedProviders(clock, { summariser: [{ ok: true, text: 'They settled on 42.', usage: { inputTokens: 2_000, outputTokens: 10 } }], ...scripts });
  const providers = recording(scripted);
  const events: RouterEvent[] = [];
  const bus = new RouterEventBus();
  bus.subscribe((e) => events.push(e));
  const router = new Router({ arms, providers, selector: new OrderedSelector(), clock, events: bus, reduction: new ReductionSettings(classes), ...extra });
  return { clock, providers, router, events };
}

const reducedEvents = (events: RouterEvent[]) => events.filter((e): e is Extract<RouterEvent, { type: 'context.reduced' }> => e.type === 'context.reduced');

describe('context reduction', () => {
  it('forbidden (off, the default): a prompt no window holds fails with no_eligible_arm and nothing is reduced', async () => {
    const { router, events, providers } = setup({ strict: { method: 'off' } });
    for (const cls of ['strict', 'unlisted']) {
      const result = await router.route(request(cls));
      expect(result.status).toBe('failed');
      expect(result.error?.kind).toBe('no_eligible_arm');
      expect(result.reduced).toBeUndefined();
    }
    expect(reducedEvents(events)).toEqual([]);
    expect(providers.messages).toEqual([]);
  });

  it('trim: drops the oldest turns to fit the window with the margin, keeps the system prompt and the last user turn, and says so', async () => {
    const { router, events, providers } = setup({ chat: { method: 'trim' } });
    const result = await router.route(request('chat'));
    expect(result.status).toBe('ok');
    expect(result.servedBy?.arm).toBe('small');
    const sent = providers.messages[0].messages;
    expect(sent[0]).toEqual(LONG[0]);
    expect(sent.at(-1)).toEqual(LONG.at(-1));
    expect(sent.length).toBeLessThan(LONG.length);
    // The window less the output asked for, less the 10 % margin.
    expect(estimatePromptTokens(sent)).toBeLessThanOrEqual(Math.floor((1_000 - 100) * 0.9));
    expect(result.reduced).toEqual({ method: 'trim', fromTokens: estimatePromptTokens(LONG), toTokens: estimatePromptTokens(sent), droppedTurns: LONG.length - sent.length });
    expect(reducedEvents(events)).toEqual([expect.objectContaining({ reduced: true, method: 'trim', targetArm: 'small', limitTokens: 810 })]);
  });

  it('summarize: the summariser condenses the dropped turns, its summary goes in as a system turn, and its cost is in the request cost', async () => {
    const { router, providers } = setup({ chat: { method: 'summarize', summarizeWith: 'summariser', summaryMaxTokens: 150 } });
    const result = await router.route(request('chat'));
    expect(result.status).toBe('ok');
    expect(result.servedBy?.arm).toBe('small');
    const [summaryCall, answerCall] = providers.messages;
    expect(summaryCall.arm).toBe('summariser');
    expect(summaryCall.messages[0].content).toContain('at most 150 tokens');
    expect(summaryCall.messages[1].content).toContain('U1 x');
    expect(answerCall.arm).toBe('small');
    expect(answerCall.messages[1]).toMatchObject({ role: 'system', content: expect.stringContaining('They settled on 42.') });
    expect(answerCall.messages.at(-1)).toEqual(LONG.at(-1));
    const summaryCost = (2_000 * 0.25 + 10 * 1.25) / 1e6;
    expect(result.reduced).toMatchObject({ method: 'summarize', summary: { arm: 'summariser', costUsd: summaryCost } });
    // The only attempt is the answer; the summary is not an attempt but is paid for.
    expect(result.attempts.map((a) => a.arm)).toEqual(['small']);
    expect(result.usage.costUsd).toBeCloseTo(result.attempts[0].costUsd + summaryCost, 12);
  });

  it('summarize: a failed summary still trims, and says why there is no summary', async () => {
    const { router } = setup({ chat: { method: 'summarize', summarizeWith: 'summariser', summaryMaxTokens: 150 } }, { summariser: [{ ok: false, kind: 'server_error' }] });
    const result = await router.route(request('chat'));
    expect(result.status).toBe('ok');
    expect(result.reduced).toMatchObject({ method: 'trim', summary: { arm: 'summariser', costUsd: 0, error: expect.stringMatching(/server_error/) } });
  });

  it('summarize: with no room for a summary beside the turns that must stay, only trims and makes no summary call', async () => {
    const { router, providers } = setup({ chat: { method: 'summarize', summarizeWith: 'summariser', summaryMaxTokens: 150 } });
    // System + last user turn ≈ 730 tokens of the 810 that fit: not 150 more.
    const messages = [...LONG.slice(0, -1), { role: 'user' as const, content: 'y'.repeat(2_800) }];
    const result = await router.route(request('chat', { messages }));
    expect(result.status).toBe('ok');
    expect(result.reduced).toMatchObject({ method: 'trim', summary: { arm: 'summariser', costUsd: 0, error: expect.stringMatching(/no room for a 150-token summary/) } });
    expect(providers.messages.map((m) => m.arm)).toEqual(['small']);
  });

  it('as a fallback step: after the large-window arm fails, the prompt is reduced for the smaller arm left', async () => {
    const large = makeArm('large', { contextWindow: 200_000 });
    const { router, clock } = setup({ chat: { method: 'trim' } }, { large: [{ ok: false, kind: 'server_error', status: 500 }] }, [large, small, summariser]);
    const result = await settle(clock, router.route(request('chat')));
    expect(result.status).toBe('ok');
    expect(result.attempts.map((a) => [a.arm, a.kind, a.role])).toEqual([
      ['large', 'server_error', 'first'],
      ['small', 'ok', 'fallback'],
    ]);
    expect(result.reduced?.method).toBe('trim');
  });

  it('gives up (no_eligible_arm) when the system prompt and the last user turn alone do not fit', async () => {
    const { router, events } = setup({ chat: { method: 'trim' } });
    const result = await router.route(request('chat', { messages: [{ role: 'user', content: 'x'.repeat(8_000) }] }));
    expect(result.error?.kind).toBe('no_eligible_arm');
    expect(reducedEvents(events)).toEqual([expect.objectContaining({ reduced: false, reason: expect.stringMatching(/last user turn alone do not fit/) })]);
  });

  it('the budget pays for the summary call: it is reserved and settled against the tenant', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 9, 0));
    const budget = new BudgetGuard({ store: new InMemoryBudgetStore(), clock, caps: { tenants: { t1: { hour: 1 } } } });
    const scripted = new ScriptedProviders(clock, { summariser: [{ ok: true, text: 'short', usage: { inputTokens: 2_000, outputTokens: 10 } }] });
    const router = new Router({ arms: [small, summariser], providers: scripted, selector: new OrderedSelector(), clock, budget, reduction: new ReductionSettings({ chat: { method: 'summarize', summarizeWith: 'summariser', summaryMaxTokens: 150 } }) });
    const result = await router.route(request('chat'));
    expect(result.reduced?.summary?.costUsd).toBeGreaterThan(0);
    expect(budget.headroom('t1')[0].usedUsd).toBeCloseTo(result.usage.costUsd, 12);
  });

  it('a budget that cannot cover the summary call leaves the turns trimmed and the call unmade', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 9, 0));
    // Enough for the small arm's answer, not for the summariser's maximum cost on top.
    const pricey = makeArm('summariser', { ...summariser, pricing: { inputPer1M: 100, outputPer1M: 100 } });
    const budget = new BudgetGuard({ store: new InMemoryBudgetStore(), clock, caps: { tenants: { t1: { hour: 0.01 } } } });
    const scripted = new ScriptedProviders(clock, {});
    const router = new Router({ arms: [small, pricey], providers: scripted, selector: new OrderedSelector(), clock, budget, reduction: new ReductionSettings({ chat: { method: 'summarize', summarizeWith: 'summariser', summaryMaxTokens: 150 } }) });
    const result = await router.route(request('chat'));
    expect(result.status).toBe('ok');
    expect(result.reduced).toMatchObject({ method: 'trim', summary: { error: expect.stringMatching(/^budget:/) } });
    expect(scripted.calls.map((c) => c.arm)).toEqual(['small']);
  });

  describe('after the provider refused the prompt as too long (its tokenizer counts more than the estimate)', () => {
    /** A provider whose tokenizer counts 3 × the estimate; `say` says its count in the error, or not. */
    function denseProvider(window: number, say: boolean): ProviderRegistry & { sizes: number[] } {
      const sizes: number[] = [];
      return {
        sizes,
        providerFor: (arm) => ({
          call: async (call) => {
            const counted = 3 * estimatePromptTokens(call.messages);
            sizes.push(counted);
            if (counted > window) throw new ProviderError({ kind: 'context_overflow', status: 400, message: say ? `prompt is too long: ${counted} tokens > ${window} maximum` : 'prompt is too long' });
            return { text: `answer from ${arm.id}`, finishReason: 'stop', usage: { inputTokens: counted, outputTokens: 5 }, model: arm.model };
          },
        }),
      };
    }

    const only = makeArm('only', { contextWindow: 8_000 });
    // ~4,200 estimated tokens: fits 8,000 by the estimate, not by this provider's count (~12,700).
    const messages = [turn('system', 'S', 400), turn('user', 'U1', 2_000), turn('assistant', 'A1', 2_000), turn('user', 'U2', 6_000), turn('assistant', 'A2', 6_000), turn('user', 'U3', 400)];
    const routerFor = (say: boolean, method: ClassReduction['method'] = 'trim') => {
      const clock = new ManualClock(1_000);
      const providers = denseProvider(8_000, say);
      const router = new Router({ arms: [only], providers, selector: new OrderedSelector(), clock, reduction: new ReductionSettings({ chat: method === 'trim' ? { method } : { method: 'off' } }) });
      return { route: () => settle(clock, router.route(request('chat', { messages, params: {} }))), providers };
    };

    it('reduces for the same arm by the count the provider gave, and tries it again', async () => {
      const { route, providers } = routerFor(true);
      const result = await route();
      expect(result.status).toBe('ok');
      expect(result.attempts.map((a) => [a.arm, a.kind, a.role])).toEqual([
        ['only', 'context_overflow', 'first'],
        ['only', 'ok', 'retry'],
      ]);
      expect(result.reduced?.method).toBe('trim');
      expect(providers.sizes[1]).toBeLessThanOrEqual(8_000);
    });

    it('without a count takes the prompt as twice the estimate, reduces once only; a class that forbids reduction keeps the first failure', async () => {
      const blind = await routerFor(false).route();
      // Twice was not enough for a 3× tokenizer: the second overflow stands.
      expect(blind.attempts.map((a) => a.kind)).toEqual(['context_overflow', 'context_overflow']);
      expect(blind.error?.kind).toBe('context_overflow');
      expect(blind.reduced?.toTokens).toBeLessThanOrEqual(Math.floor(estimatePromptTokens(messages) * 0.9));
      const refused = await routerFor(true, 'off').route();
      expect(refused.attempts.map((a) => a.kind)).toEqual(['context_overflow']);
    });
  });
});
