import { eventually } from './support/drills';
import { publishRaw, request } from './support/kafka-io';
import { Stack } from './support/stack';

interface Response {
  id: string;
  status: string;
  class?: string;
  servedBy?: { arm: string };
  attempts: Array<{ arm: string; outcome: string; role?: string }>;
}

/**
 * Answer quality through the real pipeline: a JSON answer that fails its check is rejected and the
 * request falls back before anything is published; bad feedback on one arm's answers, published to
 * the feedback topic minutes after the answers, moves traffic off that arm.
 */
describe('answer quality: checks and feedback', () => {
  const stack = new Stack({
    prefix: 'quality',
    seed: 5,
    models: [
      // For extraction: gamma answers JSON requests with prose every time; delta with JSON.
      { name: 'gpt-4o-mini', api: 'openai', outputTokens: 40, latency: { medianMs: 30, p95Ms: 60 }, faults: { invalidJson: 1 } },
      { name: 'gpt-4o', api: 'openai', outputTokens: 40, latency: { medianMs: 30, p95Ms: 60 } },
      // For support: alpha and beta, alike in every way the router can measure.
      { name: 'claude-haiku-4-5', api: 'anthropic', outputTokens: 40, latency: { medianMs: 30, p95Ms: 60 } },
      { name: 'gpt-4.1-mini', api: 'openai', outputTokens: 40, latency: { medianMs: 30, p95Ms: 60 } },
    ],
    arms: [
      // Same price and speed within each pair: only answer quality tells them apart.
      { id: 'alpha', provider: 'anthropic', model: 'claude-haiku-4-5', classes: ['support'] },
      { id: 'beta', provider: 'openai', model: 'gpt-4.1-mini', classes: ['support'] },
      { id: 'gamma', provider: 'openai', model: 'gpt-4o-mini', classes: ['extraction'] },
      { id: 'delta', provider: 'openai', model: 'gpt-4o', classes: ['extraction'] },
    ],
    tableYaml: ['policy: { selector: thompson, explorationRate: 0.02 }', 'classes:', '  support: { valueUsd: 0.05 }', '  extraction: { valueUsd: 0.05, checks: { rejectOnFailure: true } }'].join('\n'),
    extraTopics: (t) => [`${t.tag}.feedback`],
    collectDlq: true,
  });
  const { topics } = stack;
  const feedbackTopic = `${topics.tag}.feedback`;
  beforeAll(async () => {
    await stack.start();
    await stack.startRouter({ TOPIC_FEEDBACK: feedbackTopic });
  });
  afterAll(() => stack.stop());

  async function wave(prefix: string, n: number, overrides: Parameters<typeof request>[1]): Promise<Response[]> {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    await publishRaw(stack.producer, topics.requests, ids.map((id) => ({ key: id, value: JSON.stringify(request(id, overrides)) })));
    await stack.responses.waitFor((c) => ids.every((id) => c.byKey().has(id)), 60_000, `wave ${prefix}`);
    const byKey = stack.responses.byKey();
    return ids.map((id) => byKey.get(id)![0].json as unknown as Response);
  }

  const metrics = async () => (await fetch(`http://127.0.0.1:${stack.router.port}/metrics`)).text();

  it('rejects a JSON answer that does not parse and falls back to another arm before publishing', async () => {
    const results = await wave('json', 12, { class: 'extraction', params: { maxTokens: 60, responseFormat: { type: 'json_object' } } });
    for (const r of results) {
      expect(r).toMatchObject({ status: 'ok', class: 'extraction', servedBy: { arm: 'delta' } });
      expect(r.attempts.at(-1)).toMatchObject({ arm: 'delta', outcome: 'ok' });
    }
    const fellBack = results.filter((r) => r.attempts[0].arm === 'gamma');
    expect(fellBack.length).toBeGreaterThan(0);
    for (const r of fellBack) {
      expect(r.attempts.map((a) => [a.arm, a.outcome, a.role ?? 'first'])).toEqual([
        ['gamma', 'check_failed', 'first'],
        ['delta', 'ok', 'check_fallback'],
      ]);
    }
    expect(await metrics()).toMatch(/switchyard_answer_checks_total\{arm="gamma",class="extraction",result="json_rejected"\} [1-9]/);
  });

  it('moves traffic off an arm whose answers get bad feedback, counting duplicates once and refusing bad feedback', async () => {
    const first = await wave('fb1', 60, { class: 'support', params: { maxTokens: 40 } });
    const servedBy = new Map(first.map((r) => [r.id, r.servedBy!.arm]));
    expect(new Set(servedBy.values())).toEqual(new Set(['alpha', 'beta']));
    // The application judges every answer: alpha's are bad, beta's good; one judgement is sent twice.
    const feedback = [...servedBy].map(([id, arm]) => ({ key: id, value: JSON.stringify({ schemaVersion: 1, requestId: id, label: arm === 'alpha' ? 'bad' : 'good', source: 'user' }) }));
    feedback.push(feedback[0]);
    feedback.push({ key: 'nobody', value: JSON.stringify({ schemaVersion: 1, requestId: 'never-answered', score: 1, source: 'user' }) });
    feedback.push({ key: 'fb1-1', value: JSON.stringify({ schemaVersion: 1, requestId: 'fb1-1', score: 7, source: 'user' }) });
    await publishRaw(stack.producer, feedbackTopic, feedback);

    await eventually(async () => /switchyard_feedback_total\{result="applied"\} 60/.test(await metrics()), 30_000, 'all 60 feedback messages applied');
    const text = await metrics();
    expect(text).toMatch(/switchyard_feedback_total\{result="duplicate"\} 1/);
    expect(text).toMatch(/switchyard_feedback_total\{result="unknown_request"\} 1/);
    expect(text).toMatch(/switchyard_feedback_total\{result="invalid"\} 1/);
    await stack.dlq.waitFor((c) => c.records.some((r) => r.json.requestId === 'fb1-1'), 30_000, 'the invalid feedback in the DLQ');
    expect(stack.dlq.records.find((r) => r.json.requestId === 'fb1-1')!.json).toMatchObject({ reason: 'schema', source: { topic: feedbackTopic } });

    const after = await wave('fb2', 100, { class: 'support', params: { maxTokens: 40 } });
    const onAlpha = after.filter((r) => r.attempts[0].arm === 'alpha').length;
    expect(onAlpha).toBeLessThan(15);
    // /health/routing shows what was learnt, per class.
    const routing = (await (await fetch(`http://127.0.0.1:${stack.router.port}/health/routing`)).json()) as { arms: Array<{ arm: string; policy: { classes: Record<string, { qualityMean: number }> } }> };
    const quality = (arm: string) => routing.arms.find((a) => a.arm === arm)!.policy.classes.support.qualityMean;
    expect(quality('alpha')).toBeLessThan(0.4);
    expect(quality('beta')).toBeGreaterThan(0.8);
  });
});
