// LiteLLM as a live-benchmark target: one proxy per job in front of the job's simulator, fed over
// HTTP at the same scheduled instants as the Switchyard routers are fed over Kafka. The client
// timeout is the class deadline, the same bound Switchyard works to.
import { join } from 'node:path';
import { armIndex, type LiveTarget, type TargetFactory } from '../live/engine';
import { promptText, type LiveOutcome } from '../live/records';
import { apiOf, simModelOf } from '../live/sim-config';
import type { CallRecord } from '../../apps/provider-sim/src';
import { callLiteLLM, startLiteLLM, type LiteLLMCallResult, type LiteLLMSettings, type PeerArm } from './litellm';

/**
 * LiteLLM's failures in our taxonomy's words, so failure kinds compare side by side. Its
 * `error.type` is coarse (`invalid_request_error` for context-window and content-policy errors
 * alike; "no deployments available" is an HTTP 429), so the exception class named in the message
 * decides first.
 */
export function failureKind(r: LiteLLMCallResult): string {
  const ex = r.exception ?? '';
  if (ex === 'ContentPolicyViolationError') return 'content_policy';
  if (ex === 'ContextWindowExceededError') return 'context_overflow';
  if (ex === 'Timeout' || ex === 'APITimeoutError' || r.errorType === 'timeout' || r.status === 408) return 'timeout';
  if (ex === 'RateLimitError' || r.status === 429) return (r.error ?? '').toLowerCase().includes('no deployments available') ? 'no_eligible_arm' : 'rate_limited';
  if (ex === 'ServiceUnavailableError' || ex === 'InternalServerError' || (r.status !== null && r.status >= 500)) return 'server_error';
  if (r.errorType === 'connection') return 'connection';
  return `litellm_${ex || r.status || r.errorType}`;
}

export function liteLLMTarget(logRoot: string, settings?: LiteLLMSettings): TargetFactory {
  return async ({ job, simUrl, record }): Promise<LiteLLMTargetHandle> => {
    const arms: PeerArm[] = job.scenario.arms.map((a) => ({
      id: a.id,
      api: apiOf(a),
      model: simModelOf(a),
      inputPer1M: a.price.inputPer1M,
      outputPer1M: a.price.outputPer1M,
      contextWindow: a.contextWindow,
      timeoutMs: a.timeoutMs,
    }));
    const proxy = await startLiteLLM({ simUrl, arms, settings, logDir: join(logRoot, job.scenario.name) });
    const inFlight = new Set<Promise<void>>();
    const send = (indices: number[]) => {
      for (const i of indices) {
        const req = job.world.requests[i];
        const c = job.scenario.workload.classes[req.classIndex];
        const p = callLiteLLM(proxy.url, {
          model: proxy.model,
          apiKey: proxy.apiKey,
          requestId: `live-${i}`,
          prompt: promptText(i, req.inputTokens),
          maxTokens: Math.min(req.outputTokens, c.maxTokens ?? Infinity),
          timeoutMs: c.deadlineMs,
        }).then((r) => {
          const servedArm = r.ok ? job.scenario.arms.findIndex((a) => simModelOf(a) === r.servedModel) : -1;
          const outcome: LiveOutcome = {
            ok: r.ok && r.finishReason !== 'content_filter',
            latencyMs: 0, // the engine measures it
            servedArm,
            firstArm: -1,
            inputTokens: r.inputTokens,
            outputTokens: r.outputTokens,
            ...(r.ok ? (r.finishReason === 'content_filter' ? { failure: 'content_policy' } : {}) : { failure: failureKind(r) }),
          };
          record(i, outcome);
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      return Promise.resolve();
    };
    return {
      send,
      duplicates: () => 0,
      // LiteLLM forwards our request-id header to the provider, so the simulator's call log says
      // which arm each request tried first.
      firstArms: async () => {
        const res = await fetch(`${simUrl}/_sim/calls?limit=1000000`);
        const calls = (await res.json()) as CallRecord[];
        const first = new Map<number, number>();
        for (const call of calls) {
          const id = call.requestId;
          if (!id?.startsWith('live-')) continue;
          const index = Number(id.slice(5));
          if (!first.has(index)) first.set(index, armIndex(job.scenario, call.model ?? undefined));
        }
        return first;
      },
      stop: async () => {
        await Promise.race([Promise.all(inFlight), new Promise((r) => setTimeout(r, 5_000))]);
        await proxy.close();
      },
      proxyOutput: () => proxy.output(),
    };
  };
}

type LiteLLMTargetHandle = LiveTarget & { proxyOutput(): string };
