import { traitsOf } from '../errors/error-kind';
import { isProviderError } from '../errors/provider-error';
import type { AttemptOutcome } from '../outcome/attempt-outcome';
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
}

export interface AttemptResult {
  outcome: AttemptOutcome;
  reply?: ProviderReply;
}

const DEADLINE = 'deadline';

/**
 * Runs exactly one provider call under the request deadline and turns whatever happens into an
 * `AttemptOutcome`. Nothing escapes as an exception: the routing loop works on data.
 */
export async function runAttempt(input: AttemptInput): Promise<AttemptResult> {
  const { arm, clock } = input;
  const startedAt = clock.now();
  const controller = new AbortController();
  const onCallerAbort = () => controller.abort(input.signal?.reason);
  input.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const timer = new AbortController();
  const remaining = Math.max(0, input.deadlineAt - startedAt);
  clock.sleep(remaining, timer.signal).then(
    () => controller.abort(DEADLINE),
    () => undefined,
  );
  const base = { arm: arm.id, attempt: input.call.attempt, startedAt };
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
      },
    };
  } catch (err) {
    const latencyMs = clock.now() - startedAt;
    const failed = { ...base, latencyMs, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 } };
    if (controller.signal.aborted && controller.signal.reason === DEADLINE) {
      return { outcome: { ...failed, kind: 'deadline_exceeded', ...traitsOf('deadline_exceeded'), message: `request deadline reached after ${latencyMs} ms on ${arm.id}` } };
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
    timer.abort();
    input.signal?.removeEventListener('abort', onCallerAbort);
  }
}
