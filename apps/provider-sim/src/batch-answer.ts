// Answers one request of a batch with the same model logic as a live call (validation, faults,
// generated text), without the wait and without taking from the live rate-limit quota: the real
// APIs run batches on separate capacity.
import { planCall } from './fault-plan';
import { buildCompletion } from './provider-handler';
import type { Scenario } from './scenario';
import { isSimError, type WireApi } from './wire';
import { checkBody, type StrictSettings } from './strict-mode';

export interface BatchAnswer {
  status: number;
  /** The provider's request id header of this answer. */
  requestId: string | null;
  /** The JSON body the live endpoint would have returned (answer or error). */
  body: unknown;
}

export function answerBatchRequest(wire: WireApi, scenario: Scenario, strict: StrictSettings, params: unknown): BatchAnswer {
  const strictError = checkBody(wire.api, params, strict);
  if (strictError) return toAnswer(wire.error(strictError, 400));
  const request = wire.parseRequest(params);
  if (isSimError(request)) return toAnswer(wire.error(request, 400));
  if (request.stream) return toAnswer(wire.error({ kind: 'bad_request', message: 'stream: streaming is not supported in batch requests', param: 'stream', code: null }, 400));
  const live = scenario.find(wire.api, request.model);
  if (!live) return toAnswer(wire.error({ kind: 'model_not_found', model: request.model }, 404));
  const batchLive = { ...live, spec: { ...live.spec, faults: { ...live.spec.faults, rateLimit: false as const } } };
  const plan = planCall(batchLive, request, 0);
  switch (plan.kind) {
    case 'refuse':
    case 'reset':
    case 'hang':
      // Transport faults have no meaning inside a batch: the provider reports a server error.
      return toAnswer(wire.error({ kind: 'server', status: 500 }, 500));
    case 'error':
      return toAnswer(wire.error(plan.error, plan.status));
    case 'complete':
      return toAnswer(wire.completion(buildCompletion(wire, live.spec.responseModel ?? live.spec.name, request, plan)));
  }
}

export function serverErrorAnswer(wire: WireApi): BatchAnswer {
  return toAnswer(wire.error({ kind: 'server', status: 500 }, 500));
}

function toAnswer(r: { status: number; headers: Record<string, string>; body: string }): BatchAnswer {
  return { status: r.status, requestId: r.headers['x-request-id'] ?? r.headers['request-id'] ?? null, body: JSON.parse(r.body) as unknown };
}
