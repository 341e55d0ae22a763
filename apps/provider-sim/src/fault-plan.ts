// Decides what a call does: which fault (if any) fires, how long to wait, how many tokens to emit.
// Every call draws the same number of values from its model's stream, so under a fixed seed the
// n-th call to a model always gets the same draws, whatever the fault settings.
import type { Faults, OutageSetting, Probability } from './config-schema';
import { requestedAnswerTokens } from './completion-text';
import { sampleLatencyMs } from './latency';
import type { LiveModel } from './scenario';
import type { FinishKind, SimError, SimRequest } from './sim-request';

/** Errors that a real API returns before doing the work arrive after this fraction of the latency. */
const FAST_FAIL_FRACTION = 0.05;
const DRAWS_PER_CALL = 10;

export type CallPlan =
  | { kind: 'refuse'; fault: string; sampledLatencyMs: number }
  | { kind: 'error'; error: SimError; status: number; delayMs: number; fault: string; sampledLatencyMs: number }
  | { kind: 'reset'; delayMs: number; fault: string; sampledLatencyMs: number }
  | { kind: 'hang'; fault: string; sampledLatencyMs: number }
  | {
      kind: 'complete';
      delayMs: number;
      outputTokens: number;
      finish: Extract<FinishKind, 'stop' | 'length' | 'content_filter'>;
      fault: string | null;
      /** Answer a JSON request with prose (fault `invalidJson`). */
      invalidJson?: boolean;
      sampledLatencyMs: number;
    };

/** Values accepted in the `x-sim-fault` request header (forces one outcome for that call). */
export const FORCEABLE = ['ok', 'rate429', 'error5xx', 'reset', 'hang', 'content_policy', 'truncate', 'auth', 'refused'] as const;

function p(value: Probability): number {
  return value === true ? 1 : value === false ? 0 : value;
}

function outageStatus(outage: OutageSetting, api: 'openai' | 'anthropic'): number | 'refused' | null {
  if (outage === false) return null;
  if (outage === true) return api === 'anthropic' ? 529 : 503;
  return outage;
}

export function statusError(status: number, model: string, faults: Faults): SimError {
  if (status === 429) return { kind: 'rate_limit', model, retryAfterS: faults.retryAfterS };
  if (status === 401 || status === 403) return { kind: 'auth' };
  if (status >= 500) return { kind: 'server', status };
  return { kind: 'bad_request', message: 'The service is unavailable for this model (simulated outage).', param: null, code: null };
}

/**
 * Takes one token from the model's quota bucket. Returns null when the call may proceed, else the
 * `retry-after` in seconds (configured, or the time until the next token, rounded up).
 */
export function takeQuotaToken(live: LiveModel, nowMs: number): number | null {
  const limit = live.spec.faults.rateLimit;
  if (limit === false) return null;
  const burst = limit.burst ?? limit.rps;
  const b = live.bucket ?? (live.bucket = { tokens: burst, atMs: nowMs });
  b.tokens = Math.min(burst, b.tokens + ((nowMs - b.atMs) * limit.rps) / 1000);
  b.atMs = nowMs;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return null;
  }
  return limit.retryAfterS ?? Math.max(1, Math.ceil((1 - b.tokens) / limit.rps));
}

export function planCall(live: LiveModel, req: SimRequest, latencyScale: number, forced?: string, nowMs: number = performance.now()): CallPlan {
  const { spec, rng } = live;
  const f = spec.faults;
  const u: number[] = new Array<number>(DRAWS_PER_CALL);
  for (let i = 0; i < DRAWS_PER_CALL; i++) u[i] = rng();
  const [uAuth, u429, u5xx, u5xxPick, uReset, uHang, uPolicy, uTrunc, uLat1, uLat2] = u;
  // Drawn only for models with a latency tail, so every other model keeps its draws.
  const uTail = spec.latency.tail ? rng() : 1;
  const sampled = sampleLatencyMs(spec.latency, latencyScale, uLat1, uLat2, uTail);
  const fast = sampled * FAST_FAIL_FRACTION;
  const pick5xx = () => f.error5xxStatuses[Math.min(f.error5xxStatuses.length - 1, Math.floor(u5xxPick * f.error5xxStatuses.length))];
  const error = (error: SimError, status: number, delayMs: number, fault: string): CallPlan => ({
    kind: 'error', error, status, delayMs, fault, sampledLatencyMs: sampled,
  });

  // Per-call override (x-sim-fault header).
  if (forced && forced !== 'ok') {
    const status = Number(forced);
    if (Number.isInteger(status) && status >= 400 && status <= 599) {
      return error(statusError(status, spec.name, f), status, status >= 500 ? sampled : fast, 'forced');
    }
    switch (forced) {
      case 'refused': return { kind: 'refuse', fault: 'forced', sampledLatencyMs: sampled };
      case 'rate429': return error({ kind: 'rate_limit', model: spec.name, retryAfterS: f.retryAfterS }, 429, fast, 'forced');
      case 'error5xx': { const s = pick5xx(); return error({ kind: 'server', status: s }, s, sampled, 'forced'); }
      case 'auth': return error({ kind: 'auth' }, 401, fast, 'forced');
      case 'reset': return { kind: 'reset', delayMs: sampled / 2, fault: 'forced', sampledLatencyMs: sampled };
      case 'hang': return { kind: 'hang', fault: 'forced', sampledLatencyMs: sampled };
      case 'content_policy':
        return f.contentPolicyMode === 'error'
          ? error({ kind: 'content_policy' }, 400, fast, 'forced')
          : { kind: 'complete', delayMs: sampled, outputTokens: 0, finish: 'content_filter', fault: 'forced', sampledLatencyMs: sampled };
      case 'truncate': {
        const cap = Math.min(spec.outputTokens, req.maxTokens ?? Infinity);
        return { kind: 'complete', delayMs: sampled, outputTokens: Math.max(1, Math.floor(cap / 2)), finish: 'length', fault: 'forced', sampledLatencyMs: sampled };
      }
    }
  }

  const outage = outageStatus(f.outage, spec.api);
  if (outage === 'refused') return { kind: 'refuse', fault: 'outage', sampledLatencyMs: sampled };
  if (outage !== null) return error(statusError(outage, spec.name, f), outage, fast, 'outage');

  if (req.maxTokens !== null && spec.maxOutputTokens !== undefined && req.maxTokens > spec.maxOutputTokens) {
    return error({ kind: 'max_tokens_too_large', model: spec.name, maxTokens: req.maxTokens, limit: spec.maxOutputTokens }, 400, fast, 'max_tokens_too_large');
  }
  if (req.inputTokens + (req.maxTokens ?? 0) > spec.contextWindow) {
    return error(
      { kind: 'context_overflow', inputTokens: req.inputTokens, maxTokens: req.maxTokens, contextWindow: spec.contextWindow },
      400, fast, 'context_length_exceeded',
    );
  }
  if (uAuth < p(f.authError)) return error({ kind: 'auth' }, 401, fast, 'authError');
  const quotaRetryAfterS = takeQuotaToken(live, nowMs);
  if (quotaRetryAfterS !== null) return error({ kind: 'rate_limit', model: spec.name, retryAfterS: quotaRetryAfterS }, 429, fast, 'rateLimit');
  if (u429 < p(f.rate429)) return error({ kind: 'rate_limit', model: spec.name, retryAfterS: f.retryAfterS }, 429, fast, 'rate429');
  const policy = uPolicy < p(f.contentPolicy);
  if (policy && f.contentPolicyMode === 'error') return error({ kind: 'content_policy' }, 400, fast, 'contentPolicy');
  if (u5xx < p(f.error5xx)) { const s = pick5xx(); return error({ kind: 'server', status: s }, s, sampled, 'error5xx'); }
  if (uReset < p(f.connectionReset)) return { kind: 'reset', delayMs: sampled / 2, fault: 'connectionReset', sampledLatencyMs: sampled };
  if (uHang < p(f.hang)) return { kind: 'hang', fault: 'hang', sampledLatencyMs: sampled };
  if (policy) return { kind: 'complete', delayMs: sampled, outputTokens: 0, finish: 'content_filter', fault: 'contentPolicy', sampledLatencyMs: sampled };

  const cap = req.maxTokens ?? Infinity;
  // What the model has to say: the model's length, or what a scripted prompt asks for.
  const natural = requestedAnswerTokens(req.prompt) ?? spec.outputTokens;
  if (uTrunc < p(f.truncate)) {
    const n = Math.max(1, Math.floor(Math.min(natural, cap) / 2));
    return { kind: 'complete', delayMs: sampled, outputTokens: n, finish: 'length', fault: 'truncate', sampledLatencyMs: sampled };
  }
  if (natural > cap) {
    return { kind: 'complete', delayMs: sampled, outputTokens: cap, finish: 'length', fault: null, sampledLatencyMs: sampled };
  }
  // Drawn only for JSON requests, so the draws of every other call stay as they were.
  if (req.json && rng() < p(f.invalidJson)) {
    return { kind: 'complete', delayMs: sampled, outputTokens: natural, finish: 'stop', fault: 'invalidJson', sampledLatencyMs: sampled, invalidJson: true };
  }
  return { kind: 'complete', delayMs: sampled, outputTokens: natural, finish: 'stop', fault: null, sampledLatencyMs: sampled };
}
