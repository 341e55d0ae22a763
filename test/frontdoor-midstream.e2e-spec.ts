import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { DEFAULT_RESILIENCE } from '@switchyard/core';
import { streamPieces } from '../apps/provider-sim/src/wire';
import { Stack } from './support/stack';

const KEY = 'sk-midstream-e2e';
const CUT_AFTER = 7;
const TRIALS = 100;

/**
 * A provider that breaks off every stream after 7 tokens (closing the connection, or going
 * silent), and a second arm that works: each streamed answer must reach the client complete —
 * the first arm's 7 tokens, then the second arm's continuation of exactly that text — with no
 * token repeated or lost. The expected text is rebuilt from the simulator's deterministic answers
 * (same model + same conversation → same text), asked for directly.
 */
describe('front door: a provider failing mid-stream is continued on another arm', () => {
  const stack = new Stack({
    prefix: 'midstream',
    sim: { latencyScale: 0.02, seed: 5 },
    arms: [
      { id: 'flaky', provider: 'openai', model: 'gpt-4o-mini' },
      { id: 'steady', provider: 'anthropic', model: 'claude-haiku-4-5' },
    ],
    // The flaky arm must stay first for every trial: no breaker opens on it here.
    tableYaml: ['resilience:', '  breaker: { consecutiveFailures: 100000, minimumCalls: 100000, failureRateThreshold: 1 }'].join('\n'),
    kafkaClients: false,
  });
  let client: OpenAI;
  let direct: { openai: OpenAI; anthropic: Anthropic };

  beforeAll(async () => {
    await stack.start();
    stack.sim.patchModel('gpt-4o-mini', { faults: { streamCut: { afterTokens: CUT_AFTER, mode: 'fail' } } });
    await stack.startRouter({ FRONTDOOR_API_KEYS: `midstream:${createHash('sha256').update(KEY).digest('hex')}`, ROUTER_STREAM_STALL_MS: '400' });
    client = new OpenAI({ apiKey: KEY, baseURL: `http://127.0.0.1:${stack.router.port}/v1`, maxRetries: 0 });
    direct = {
      openai: new OpenAI({ apiKey: 'sk-direct', baseURL: stack.sim.openaiBaseURL, maxRetries: 0 }),
      // x-api-key as Anthropic documents it: the strict simulator refuses the SDK's Bearer-only default.
      anthropic: new Anthropic({ apiKey: 'sk-direct', baseURL: stack.sim.anthropicBaseURL, maxRetries: 0, defaultHeaders: { 'x-api-key': 'sk-direct', authorization: null } }),
    };
  });

  afterAll(() => stack.stop());

  /** What a clean switch delivers: the flaky arm's first tokens, then the steady arm's continuation of them. */
  async function expectedAnswer(prompt: string): Promise<string> {
    const whole = await direct.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] });
    const prefix = streamPieces(whole.choices[0].message.content!).slice(0, CUT_AFTER).join('');
    const continued = await direct.anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 1024,
      messages: [
        { role: 'user', content: prompt },
        { role: 'assistant', content: prefix },
        { role: 'user', content: DEFAULT_RESILIENCE.continuation.prompt },
      ],
    });
    return prefix + (continued.content[0] as { text: string }).text;
  }

  async function streamed(prompt: string): Promise<{ text: string; error?: unknown; finish: string | null }> {
    let text = '';
    let finish: string | null = null;
    try {
      const stream = await client.chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: prompt }], stream: true });
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      return { text, finish };
    } catch (error) {
      return { text, finish, error };
    }
  }

  async function trials(n: number, tag: string, concurrency: number): Promise<{ clean: number; failures: string[] }> {
    const failures: string[] = [];
    let clean = 0;
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const prompt = `${tag} trial ${i}: tell me about the yard`;
        const [got, expected] = await Promise.all([streamed(prompt), expectedAnswer(prompt)]);
        if (!got.error && got.finish === 'stop' && got.text === expected) clean++;
        else failures.push(`${prompt}: ${got.error ? String(got.error) : `got ${JSON.stringify(got.text.slice(0, 80))}… (${got.text.length} chars), expected ${expected.length} chars`}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { clean, failures };
  }

  it(`recovers ≥ 99 % of ${TRIALS} streams cut after ${CUT_AFTER} tokens with no repeated or lost text`, async () => {
    const before = stack.sim.calls().length;
    const { clean, failures } = await trials(TRIALS, 'cut', 8);
    if (failures.length) process.stderr.write(`mid-stream trials not clean (${failures.length}):\n${failures.slice(0, 5).join('\n')}\n`);
    expect(clean / TRIALS).toBeGreaterThanOrEqual(0.99);
    // Every trial really broke off mid-stream on the flaky arm and was continued on the steady one.
    const routed = stack.sim.calls(before).filter((c) => c.requestId?.startsWith('http-'));
    expect(routed.filter((c) => c.fault === 'streamCut:fail')).toHaveLength(TRIALS);
    expect(routed.filter((c) => c.api === 'anthropic' && c.outcome === 'ok')).toHaveLength(TRIALS);
    const metrics = await (await fetch(`http://127.0.0.1:${stack.router.port}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_stream_switches_total\{from="flaky",to="steady"\} (\d+)/);
    expect(Number(/switchyard_stream_switches_total\{from="flaky",to="steady"\} (\d+)/.exec(metrics)![1])).toBeGreaterThanOrEqual(TRIALS);
  });

  it('recovers streams that stall after some tokens (ROUTER_STREAM_STALL_MS) the same way', async () => {
    stack.sim.patchModel('gpt-4o-mini', { faults: { streamCut: { afterTokens: CUT_AFTER, mode: 'stall' } } });
    const { clean, failures } = await trials(10, 'stall', 5);
    expect(failures).toEqual([]);
    expect(clean).toBe(10);
  });

  it('falls back before the first token as an ordinary fallback: the answer is the second arm’s whole answer', async () => {
    stack.sim.patchModel('gpt-4o-mini', { faults: { streamCut: { afterTokens: 0, mode: 'fail' } } });
    const prompt = 'no token at all';
    const got = await streamed(prompt);
    const whole = await direct.anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 1024, messages: [{ role: 'user', content: prompt }] });
    expect(got.error).toBeUndefined();
    expect(got.text).toBe((whole.content[0] as { text: string }).text);
  });
});
