// The Portkey AI gateway as a live-benchmark target (bench/peers/http-peer-target.ts): one
// gateway per job in front of the job's simulator, fed over HTTP; this file holds what is
// Portkey's own: how to start and call it, which arm answered, and its failures in our
// taxonomy's words.
import type { TargetFactory } from '../live/engine';
import { httpPeerTarget } from './http-peer-target';
import { callPortkey, modelAtTarget, portkeyConfig, startPortkey, type PortkeyCallResult, type PortkeySettings } from './portkey';

/**
 * The gateway's failures in our taxonomy's words (the same as the LiteLLM peer's), so failure
 * kinds compare side by side. The gateway passes the last target's status and error body through
 * (`<provider> error: <message>`, the provider's type and code), so those decide; its own answers
 * are a 446 (our empty-completion guardrail: the provider's content filter), a 408 (an attempt's
 * request_timeout) and a 500 whose text starts "Message: fetch failed" (connection reset/refused).
 */
export function failureKind(r: PortkeyCallResult): string {
  const msg = (r.error ?? '').toLowerCase();
  if (r.status === 446 || r.errorCode === 'content_policy_violation' || /content (filtering )?policy|content filter/.test(msg)) return 'content_policy';
  if (r.errorCode === 'context_length_exceeded' || /maximum context length|prompt is too long|exceed context limit/.test(msg)) return 'context_overflow';
  if (r.errorType === 'timeout' || r.status === 408) return 'timeout';
  if (r.status === 429) return 'rate_limited';
  if (r.errorType === 'connection' || (r.status === 500 && /fetch failed|econnreset|econnrefused|socket/.test(msg))) return 'connection';
  if (r.status !== null && r.status >= 500) return 'server_error';
  if (r.status === 401 || r.status === 403) return 'auth';
  if (r.status === 400) return 'bad_request';
  return `portkey_${r.status ?? r.errorType}`;
}

export function portkeyTarget(logRoot: string, settings?: PortkeySettings): TargetFactory {
  return httpPeerTarget(logRoot, {
    start: async ({ simUrl, arms, logDir }) => {
      const gateway = await startPortkey({ logDir });
      const configObject = portkeyConfig(simUrl, arms, settings);
      const config = JSON.stringify(configObject); // serialised once: the same header on every request
      return {
        call: (req) => callPortkey(gateway.url, { ...req, config }),
        // The answering target's model (whatever model name the provider put in its response).
        servedModel: (r: PortkeyCallResult) => modelAtTarget(configObject, r.servedTarget) ?? r.servedModel,
        output: () => gateway.output(),
        logFile: gateway.logFile,
        close: () => gateway.close(),
      };
    },
    failureKind,
  });
}
