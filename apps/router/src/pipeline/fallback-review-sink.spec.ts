import { fallbackReviewRecordSchema } from '@switchyard/contracts';
import type { AttemptOutcome, RouterEvent } from '@switchyard/core';
import type { OutboundRecord } from '../kafka/batching-publisher';
import { FallbackReviewSink } from './fallback-review-sink';

const failed: AttemptOutcome = { arm: 'primary', attempt: 1, kind: 'server_error', role: 'first', retryable: true, countsAgainstArm: true, startedAt: 0, latencyMs: 80, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 }, message: 'HTTP 503' };
const served: AttemptOutcome = { ...failed, arm: 'secondary', attempt: 2, kind: 'ok', role: 'fallback', retryable: false, countsAgainstArm: false, message: undefined };

const answered: RouterEvent = {
  type: 'fallback.answered',
  requestId: 'r1',
  at: 5,
  tenant: 'acme',
  requestClass: 'chat',
  firstChoice: 'primary',
  arm: 'secondary',
  model: 'claude-haiku-4-5',
  attempts: [failed, served],
  verdict: { method: 'similarity', result: 'fail', score: 0.41, compared: 5, reason: 'similarity 0.410 < 0.8' },
  published: false,
  text: 'bananas',
};

describe('FallbackReviewSink', () => {
  it('copies each fallback answer to the review topic keyed by request id, with the arms, reasons and verdict', async () => {
    const sent: OutboundRecord[] = [];
    const sink = new FallbackReviewSink({ publish: async (r) => void sent.push(r), recordLimit: () => 1e6 }, 'llm.fallbacks', () => Date.UTC(2026, 11, 7));
    sink.listener({ type: 'fallback', requestId: 'r1', at: 1, from: 'primary', to: 'secondary', reason: 'server_error' });
    sink.listener(answered);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ topic: 'llm.fallbacks', key: 'r1' });
    const record = fallbackReviewRecordSchema.parse(JSON.parse(String(sent[0].value)));
    expect(record).toMatchObject({
      id: 'r1',
      class: 'chat',
      firstChoice: 'primary',
      arm: 'secondary',
      attempts: [{ arm: 'primary', outcome: 'server_error', role: 'first', message: 'HTTP 503' }, { arm: 'secondary', outcome: 'ok', role: 'fallback' }],
      guard: { result: 'fail', score: 0.41 },
      published: false,
      answer: 'bananas',
      answeredAt: '2026-12-07T00:00:00.000Z',
    });
    expect(sink.counts).toEqual({ published: 1, failed: 0 });
  });

  it('counts a record Kafka did not take and never throws into the router', async () => {
    const sink = new FallbackReviewSink({ publish: async () => Promise.reject(new Error('broker down')), recordLimit: () => 1e6 }, 'llm.fallbacks');
    expect(() => sink.listener(answered)).not.toThrow();
    await new Promise((r) => setImmediate(r));
    expect(sink.counts).toEqual({ published: 0, failed: 1 });
  });
});
