// LiteLLM as a live-benchmark target (bench/peers/http-peer-target.ts): one proxy per job in front
// of the job's simulator, fed over HTTP; this file holds what is LiteLLM's own: how to start and
// call it, and its failures in our taxonomy's words.
import type { TargetFactory } from '../live/engine';
import { httpPeerTarget } from './http-peer-target';
import { callLiteLLM, startLiteLLM, type LiteLLMCallResult, type LiteLLMSettings } from './litellm';

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
  return httpPeerTarget(logRoot, {
    start: async ({ simUrl, arms, logDir }) => {
      const proxy = await startLiteLLM({ simUrl, arms, settings, logDir });
      return {
        call: (req) => callLiteLLM(proxy.url, { ...req, model: proxy.model, apiKey: proxy.apiKey }),
        output: () => proxy.output(),
        logFile: proxy.logFile,
        close: () => proxy.close(),
      };
    },
    failureKind,
  });
}
