import type { Producer } from 'kafkajs';
import { feedbackOn, judgeAnswer } from '../policy/judgement';
import { parseScenario } from '../policy/scenario';
import { buildWorld } from '../policy/world';
import { LiveFeedback } from './feedback';

const YAML = (delay: string) => `
name: fb
duration: 10m
arms:
  - { id: good, provider: openai, price: { inputPer1M: 1, outputPer1M: 1 }, latency: { medianMs: 100, p95Ms: 200 }, quality: 0.9, checkFailureRate: 0.1 }
  - { id: poor, provider: openai, price: { inputPer1M: 1, outputPer1M: 1 }, latency: { medianMs: 100, p95Ms: 200 }, quality: 0.3 }
events:
  - { type: quality-drop, arm: good, start: 5m, end: 10m, quality: 0.1 }
workload:
  arrival: { process: poisson, ratePerSec: 5 }
  classes:
    - { name: chat, weight: 1, inputTokens: { median: 100, p95: 200 }, outputTokens: { median: 50, p95: 100 }, sloMs: 3000 }
feedback: { share: 0.25, delay: ${delay}, noise: 0.1 }
`;

interface Sent {
  topic: string;
  key: string;
  body: { schemaVersion: number; requestId: string; score: number; source: string };
}

/** A producer that records what is sent (feedback goes to the router's topic; nothing else is used). */
function recordingProducer(sent: Sent[]): () => Producer {
  const producer = {
    send: ({ topic, messages }: { topic: string; messages: Array<{ key: string; value: string }> }) => {
      for (const m of messages) sent.push({ topic, key: m.key, body: JSON.parse(m.value) as Sent['body'] });
      return Promise.resolve([]);
    },
  } as unknown as Producer;
  return () => producer;
}

describe('scenario feedback (in-process and live share one judgement)', () => {
  const scenario = parseScenario(YAML('0s'));
  const world = buildWorld(scenario, 3);

  it('judges an answer by the serving arm’s true quality at answer time and its checks', () => {
    const accepted = world.requests.filter((r) => judgeAnswer(scenario, world, r, 0, 60_000).acceptable).length / world.requests.length;
    const afterDrop = world.requests.filter((r) => judgeAnswer(scenario, world, r, 0, 400_000).acceptable).length / world.requests.length;
    // 0.9 quality × 0.9 past the checks before the drop; 0.1 × 0.9 after it.
    expect(accepted).toBeGreaterThan(0.76);
    expect(accepted).toBeLessThan(0.86);
    expect(afterDrop).toBeLessThan(0.14);
    for (const r of world.requests) if (r.uCheck < 0.1) expect(judgeAnswer(scenario, world, r, 0, 0)).toEqual({ passedChecks: false, acceptable: false });
  });

  it('gives feedback on the scenario’s share of checked answers, flipped with its noise', () => {
    const given = world.requests.map((r) => ({ r, j: judgeAnswer(scenario, world, r, 0, 60_000) })).map(({ r, j }) => ({ j, f: feedbackOn(scenario, r, j) }));
    const checked = given.filter(({ j }) => j.passedChecks);
    const withFeedback = checked.filter(({ f }) => f !== undefined);
    expect(given.filter(({ j, f }) => !j.passedChecks && f !== undefined)).toHaveLength(0);
    expect(withFeedback.length / checked.length).toBeGreaterThan(0.2);
    expect(withFeedback.length / checked.length).toBeLessThan(0.3);
    const flipped = withFeedback.filter(({ j, f }) => (f!.score === 1) !== j.acceptable).length / withFeedback.length;
    expect(flipped).toBeGreaterThan(0.04);
    expect(flipped).toBeLessThan(0.17);
  });

  it('publishes each verdict once to the router’s feedback topic, keyed by request id, after the delay', async () => {
    const sent: Sent[] = [];
    const live = new LiveFeedback(scenario, world, recordingProducer(sent), 'run.feedback', (i) => `live-${i}`);
    const expected = world.requests.flatMap((r) => {
      const f = feedbackOn(scenario, r, judgeAnswer(scenario, world, r, 1, r.at + 150));
      return f ? [{ id: `live-${r.index}`, score: f.score }] : [];
    });
    for (const r of world.requests) live.answered(r.index, 1, r.at + 150);
    await new Promise((resolve) => setTimeout(resolve, 0)); // after the 0 s delay's timers, queued before it
    await live.stop();
    expect(sent.map((s) => ({ id: s.body.requestId, score: s.body.score }))).toEqual(expected);
    expect(sent.every((s) => s.topic === 'run.feedback' && s.key === s.body.requestId && s.body.schemaVersion === 1 && s.body.source.length > 0)).toBe(true);
    expect(live.counts).toEqual({ published: expected.length, bad: expected.filter((e) => e.score === 0).length, dropped: 0 });
  });

  it('drops feedback that falls due after the run instead of sending it late', async () => {
    const late = parseScenario(YAML('1h'));
    const sent: Sent[] = [];
    const live = new LiveFeedback(late, world, recordingProducer(sent), 'run.feedback', (i) => `live-${i}`);
    for (const r of world.requests) live.answered(r.index, 1, r.at + 150);
    await live.stop();
    expect(sent).toHaveLength(0);
    expect(live.counts.dropped).toBeGreaterThan(0);
  });
});
