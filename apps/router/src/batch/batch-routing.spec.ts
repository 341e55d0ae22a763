import type { RequestV1 } from '@switchyard/contracts';
import {
  AnswerChecks,
  CompletionTimeLearner,
  InMemoryBatchLedger,
  InMemoryIdempotencyStore,
  ProviderError,
  type ArmConfig,
  type BatchItemResult,
  type BatchPoll,
  type BatchPort,
  type BatchRequest,
  type Decision,
} from '@switchyard/core';
import { makeArm, ManualClock } from '@switchyard/core/testing';
import { propagation } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { OutboundRecord } from '../kafka/batching-publisher';
import type { AnswerInput } from '../pipeline/answer-pipeline';
import { BatchRouting } from './batch-routing';
import { InMemoryParkedRequests } from './parked-requests';

const MIN = 60_000;
const arm = makeArm('gpt', { providerKind: 'openai', provider: 'openai' });

/** A batch API whose batches end when the test says, with the results it says. */
class FakeBatchPort implements BatchPort {
  readonly limits = { maxRequests: 100, windowMs: 24 * 60 * MIN };
  readonly submitted: Array<{ id: string; requests: readonly BatchRequest[] }> = [];
  readonly ended = new Map<string, BatchPoll>();
  cancelled: string[] = [];
  failSubmit = false;

  async submit(_arm: ArmConfig, requests: readonly BatchRequest[]): Promise<string> {
    if (this.failSubmit) throw new ProviderError({ kind: 'server_error', message: 'upload failed' });
    const id = `batch_${this.submitted.length + 1}`;
    this.submitted.push({ id, requests });
    return id;
  }

  async poll(_arm: ArmConfig, id: string): Promise<BatchPoll> {
    return this.ended.get(id) ?? { state: 'in_progress' };
  }

  async cancel(_arm: ArmConfig, id: string): Promise<void> {
    this.cancelled.push(id);
  }

  end(id: string, results: BatchItemResult[], end: 'completed' | 'expired' = 'completed'): void {
    this.ended.set(id, { state: 'ended', end, results });
  }
}

function reply(id: string): BatchItemResult {
  return { requestId: id, outcome: 'succeeded', reply: { text: `batch answer ${id}`, finishReason: 'stop', usage: { inputTokens: 1_000, outputTokens: 500 }, model: 'gpt' } };
}

function req(id: string, deadlineMs = 60 * MIN): RequestV1 {
  return { schemaVersion: 1, id, tenant: 't', class: 'default', messages: [{ role: 'user', content: 'q' }], params: {}, routing: { objective: 'balanced', batch: 'prefer', deadlineMs } };
}

function setup(extra: Partial<ConstructorParameters<typeof BatchRouting>[0]> = {}) {
  const clock = new ManualClock(1_000_000);
  const port = new FakeBatchPort();
  const ledger = new InMemoryBatchLedger();
  const store = new InMemoryIdempotencyStore(clock, { ttlMs: 24 * 60 * MIN, maxEntries: 1_000 });
  const published: OutboundRecord[] = [];
  const rescued: string[] = [];
  const quote: Decision = { chosen: arm, candidates: [{ arm: 'gpt' }], excluded: [], reason: 'test', exploration: false };
  const routing = new BatchRouting({
    settings: { maxRequests: 2, maxAgeMs: 10, pollIntervalMs: 3_600_000, liveBudgetMs: 2 * MIN, priceFactor: 0.5, defaultDeadlineMs: 30_000, responsesTopic: 'responses' },
    router: { quote: () => quote },
    pipeline: {
      answer: async (input: AnswerInput) => {
        rescued.push(input.request.id);
        const value = Buffer.from(JSON.stringify({ id: input.request.id, servedVia: 'live' }));
        return { answer: { requestId: input.request.id, tenant: 't', topic: 'responses', value, headers: {} }, response: JSON.parse(value.toString()), replayed: false };
      },
    },
    store,
    publisher: { publish: async (r) => void published.push(r), recordLimit: () => 1_000_000 },
    clock,
    learner: new CompletionTimeLearner({ windowMs: 24 * 60 * MIN }),
    arm: (id) => (id === arm.id ? arm : undefined),
    classOf: () => undefined,
    port: () => port,
    open: async () => ({ ledger, parked: new InMemoryParkedRequests(), close: async () => undefined }),
    ...extra,
  });
  const responses = (id: string) => published.filter((r) => r.key === id).map((r) => JSON.parse(r.value.toString()) as Record<string, unknown>);
  return { clock, port, ledger, store, published, rescued, routing, responses };
}

/** The rescues run in the background: let them finish. */
const settled = () => new Promise((r) => setTimeout(r, 20));

describe('BatchRouting', () => {
  it('leaves requests of mode never alone, without touching the batch path', async () => {
    const { routing, port } = setup();
    await routing.start();
    const never = { ...req('n-1'), routing: { objective: 'balanced' as const } };
    expect(routing.wants(never)).toBe(false);
    expect(routing.wants({ ...req('s-1'), stream: true })).toBe(false);
    expect(port.submitted).toEqual([]);
    await routing.close();
  });

  it('submits chosen requests as one batch, recorded in the ledger before offer resolves, and publishes each result once', async () => {
    const { routing, port, ledger, responses, store, rescued } = setup();
    await routing.start();
    await expect(Promise.all([routing.offer(req('r-1'), {}), routing.offer(req('r-2'), {})])).resolves.toEqual([true, true]);
    expect(port.submitted.map((b) => b.requests.map((r) => r.requestId))).toEqual([['r-1', 'r-2']]);
    expect((await ledger.open()).map((b) => b.requestIds)).toEqual([['r-1', 'r-2']]);
    // Delivered again before its batch ended: not batched again, not answered live.
    await expect(routing.offer(req('r-1'), {})).resolves.toBe(true);
    expect(port.submitted).toHaveLength(1);

    port.end('batch_1', [reply('r-1'), reply('r-2')]);
    await routing.poll();
    await routing.poll();
    expect(responses('r-1')).toHaveLength(1);
    expect(responses('r-1')[0]).toMatchObject({ servedVia: 'batch', batch: { id: 'batch_1' }, output: { text: 'batch answer r-1' } });
    // 1000 in × $1/1M + 500 out × $2/1M = $0.002 live; half of it in a batch.
    expect(responses('r-2')[0]).toMatchObject({ usage: { costUsd: 0.001 } });
    expect(await store.get('r-2')).toBeDefined();
    expect(await ledger.open()).toEqual([]);
    expect(rescued).toEqual([]);
    expect(routing.stats).toMatchObject({ batched: 2, answeredByBatch: 2, lateDiscarded: 0 });
    expect(routing.stats.savingsUsd).toBeCloseTo(0.002, 12);
    await routing.close();
  });

  it('answers live at deadline minus the live budget, cancels a batch nobody waits for, and discards its late result', async () => {
    const { routing, port, clock, responses, rescued } = setup();
    await routing.start();
    await Promise.all([routing.offer(req('d-1', 10 * MIN), {}), routing.offer(req('d-2', 10 * MIN), {})]);
    await clock.advance(7 * MIN);
    await routing.poll();
    expect(rescued).toEqual([]);
    await clock.advance(MIN + 1);
    await routing.poll();
    await settled();
    expect(rescued.sort()).toEqual(['d-1', 'd-2']);
    expect(responses('d-1')).toEqual([{ id: 'd-1', servedVia: 'live' }]);
    expect(routing.stats.rescued.get('deadline')).toBe(2);
    expect(port.cancelled).toEqual(['batch_1']);
    // Every request answered: the batch is closed in the ledger, so nothing more is published for it.
    port.end('batch_1', [reply('d-1'), reply('d-2')]);
    await routing.poll();
    expect(responses('d-1')).toHaveLength(1);
    await routing.close();
  });

  it('starts a rescue at its rescue time, without waiting for the next poll', async () => {
    const { routing, clock, rescued } = setup();
    await routing.start();
    // Rescue time: deadline − 2 min live budget = 50 ms from now.
    await Promise.all([routing.offer(req('t-1', 2 * MIN + 50), {}), routing.offer(req('t-2', 60 * MIN), {})]);
    await clock.advance(50);
    await new Promise((r) => setTimeout(r, 150));
    expect(rescued).toEqual(['t-1']);
    expect(routing.stats.rescued.get('deadline')).toBe(1);
    await routing.close();
  });

  it('answers live the requests of an expired batch and those the batch answered with an error', async () => {
    const { routing, port, responses, rescued } = setup();
    await routing.start();
    await Promise.all([routing.offer(req('e-1'), {}), routing.offer(req('e-2'), {})]);
    port.end('batch_1', [reply('e-1'), { requestId: 'e-2', outcome: 'errored', error: new ProviderError({ kind: 'server_error', message: 'boom' }) }]);
    await routing.poll();
    await settled();
    expect(responses('e-1')[0]).toMatchObject({ servedVia: 'batch' });
    expect(rescued).toEqual(['e-2']);
    expect(routing.stats.rescued.get('errored')).toBe(1);

    await Promise.all([routing.offer(req('e-3'), {}), routing.offer(req('e-4'), {})]);
    port.end('batch_2', [{ requestId: 'e-3', outcome: 'expired' }], 'expired');
    await routing.poll();
    await settled();
    expect(rescued.sort()).toEqual(['e-2', 'e-3', 'e-4']);
    expect(routing.stats.rescued.get('expired')).toBe(1);
    expect(routing.stats.rescued.get('batch_expired')).toBe(1);
    await routing.close();
  });

  it('answers live a batch answer the class checks reject, as the live path would not publish it', async () => {
    const checks = new AnswerChecks({ classes: { default: { regex: '^\\{', rejectOnFailure: true } } });
    const { routing, port, responses, rescued } = setup({ answerChecks: checks });
    await routing.start();
    await Promise.all([routing.offer(req('c-1'), {}), routing.offer(req('c-2'), {})]);
    port.end('batch_1', [reply('c-1'), reply('c-2')]);
    await routing.poll();
    await settled();
    expect(rescued.sort()).toEqual(['c-1', 'c-2']);
    expect(responses('c-1')).toEqual([{ id: 'c-1', servedVia: 'live' }]);
    expect(routing.stats.rescued.get('check_failed')).toBe(2);
    await routing.close();
  });

  it('leaves a request to the live path when its batch cannot be submitted', async () => {
    const { routing, port } = setup();
    await routing.start();
    port.failSubmit = true;
    await expect(routing.offer(req('f-1'), {})).resolves.toBe(false);
    expect(routing.stats.rescued.get('submit_failed')).toBe(1);
    await routing.close();
  });

  it('traces the decision per request (both options and why), one span per batch linked to them, and each answer in its request trace', async () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const exporter = new InMemorySpanExporter();
      const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test');
      const { routing, port, responses } = setup({ tracer });
      await routing.start();
      const producer = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
      await Promise.all([routing.offer(req('s-1'), producer), routing.offer(req('s-2'), {})]);
      port.end('batch_1', [reply('s-1'), reply('s-2')]);
      await routing.poll();
      await routing.close();
      const spans = exporter.getFinishedSpans();
      const decisions = spans.filter((x) => x.name === 'switchyard.batch.decision');
      expect(decisions.map((d) => d.attributes['switchyard.request.id']).sort()).toEqual(['s-1', 's-2']);
      const first = decisions.find((d) => d.attributes['switchyard.request.id'] === 's-1')!;
      expect(first.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(first.attributes).toMatchObject({ 'switchyard.batch.via': 'batch', 'switchyard.batch.why': 'preferred', 'switchyard.batch.live.arm': 'gpt', 'switchyard.batch.batch.arm': 'gpt' });
      expect(typeof first.attributes['switchyard.batch.live.value_usd']).toBe('number');
      expect(typeof first.attributes['switchyard.batch.p_in_time']).toBe('number');
      const batch = spans.find((x) => x.name === 'switchyard.batch')!;
      expect(batch.attributes).toMatchObject({ 'switchyard.batch.id': 'batch_1', 'switchyard.batch.size': 2, 'switchyard.batch.end': 'completed' });
      expect(batch.links.map((l) => l.context.spanId).sort()).toEqual(decisions.map((d) => d.spanContext().spanId).sort());
      const answer = spans.find((x) => x.name === 'switchyard.batch.answer' && x.attributes['switchyard.request.id'] === 's-1')!;
      expect(answer.parentSpanContext?.spanId).toBe(first.spanContext().spanId);
      expect(answer.links.map((l) => l.context.spanId)).toEqual([batch.spanContext().spanId]);
      expect(responses('s-1')[0].traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    } finally {
      propagation.disable();
    }
  });
});
