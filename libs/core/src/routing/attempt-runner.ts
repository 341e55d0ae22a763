import { traitsOf } from '../errors/error-kind';
import { isProviderError } from '../errors/provider-error';
import type { AttemptOutcome, AttemptRole } from '../outcome/attempt-outcome';
import type { Clock } from '../ports/clock';
import type { Provider, ProviderCall, ProviderReply } from '../ports/provider';
import type { ArmConfig } from './arm';
import { costUsd } from './arm';

export interface AttemptInput {
  arm: ArmConfig;
  provider: Provider;
  call: Omit<ProviderCall, 'signal' | 'arm'>;
  /** Absolute time (clock ms) after which the attempt is abandoned as `deadline_exceeded`. */
  deadlineAt: number;
  /** Caller-side cancellation (shutdown, hedge lost). */
  signal?: AbortSignal;
  clock: Clock;
  role?: AttemptRole;
}

export interface AttemptResult {
  outcome: AttemptOutcome;
  reply?: ProviderReply;
}

const ATTEMPT_DONE = 'attempt done';
const DEADLINE = 'deadline';
const ARM_TIMEOUT = 'arm total timeout';

/**
 * Runs exactly one provider call bounded by min(arm.timeouts.totalMs, request deadline) and turns
 * whatever happens into an `AttemptOutcome`. Nothing escapes as an exception: the routing loop works
 * on data. The connect timeout (`arm.timeouts.connectMs`) is the provider adapter's: only it sees
 * the socket. An abort by the caller (hedge lost, shutdown) yields `cancelled`, cost 0.
 */
export async function runAttempt(input: AttemptInput): Promise<AttemptResult> {
  const { arm, clock } = input;
  const startedAt = clock.now();
  const controller = new AbortController();
  const onCallerAbort = () => controller.abort(input.signal?.reason);
  input.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const timer = new AbortController();
  const remaining = Math.max(0, input.deadlineAt - startedAt);
  const armBound = arm.timeouts.totalMs < remaining;
  clock.sleep(armBound ? arm.timeouts.totalMs : remaining, timer.signal).then(
    () => controller.abort(armBound ? ARM_TIMEOUT : DEADLINE),
    () => undefined,
  );
  const base = { arm: arm.id, attempt: input.call.attempt, startedAt, ...(input.role ? { role: input.role } : {}) };
  try {
    const reply = await input.provider.call({ ...input.call, arm, signal: controller.signal });
    const latencyMs = clock.now() - startedAt;
    return {
      reply,
      outcome: {
        ...base,
        kind: 'ok',
        retryable: false,
        countsAgainstArm: false,
        latencyMs,
        costUsd: costUsd(arm, reply.usage),
        usage: reply.usage,
        finishReason: reply.finishReason,
        model: reply.model,
        ...(reply.droppedParams?.length ? { droppedParams: reply.droppedParams } : {}),
      },
    };
  } catch (err) {
    const latencyMs = clock.now() - startedAt;
    const failed = { ...base, latencyMs, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 } };
    if (controller.signal.aborted && controller.signal.reason === DEADLINE) {
      return { outcome: { ...failed, kind: 'deadline_exceeded', ...traitsOf('deadline_exceeded'), message: `request deadline reached after ${latencyMs} ms on ${arm.id}` } };
    }
    if (controller.signal.aborted && controller.signal.reason === ARM_TIMEOUT) {
      return { outcome: { ...failed, kind: 'timeout_read', ...traitsOf('timeout_read'), message: `no answer within the arm's total timeout of ${arm.timeouts.totalMs} ms` } };
    }
    if (input.signal?.aborted) {
      return { outcome: { ...failed, kind: 'cancelled', retryable: false, countsAgainstArm: false, message: `aborted by the router: ${String(input.signal.reason)}` } };
    }
    if (isProviderError(err)) {
      return {
        outcome: {
          ...failed,
          kind: err.kind,
          retryable: err.retryable,
          countsAgainstArm: err.countsAgainstArm,
          message: err.message,
          status: err.status,
          retryAfterMs: err.retryAfterMs,
        },
      };
    }
    // An adapter bug or an unexpected SDK error: treat as a provider-side failure so the request
    // moves on to another arm, and keep the message for the operator.
    return {
      outcome: { ...failed, kind: 'server_error', ...traitsOf('server_error'), message: `unclassified provider error: ${String((err as Error)?.message ?? err)}` },
    };
  } finally {
    // A constant reason: abort() without one builds a DOMException per attempt (measurable GC).
    timer.abort(ATTEMPT_DONE);
    input.signal?.removeEventListener('abort', onCallerAbort);
  }
}
