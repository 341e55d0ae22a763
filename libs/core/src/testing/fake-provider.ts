import { ProviderError } from '../errors/provider-error';
import type { ErrorKind } from '../errors/error-kind';
import type { Clock } from '../ports/clock';
import type { Provider, ProviderCall, ProviderRegistry, ProviderReply } from '../ports/provider';
import type { ArmConfig } from '../routing/arm';

export type ScriptedStep =
  | { ok: true; latencyMs?: number; text?: string; finishReason?: ProviderReply['finishReason']; usage?: ProviderReply['usage'] }
  | { ok: false; kind: ErrorKind; latencyMs?: number; retryAfterMs?: number; status?: number }
  | { hang: true };

/**
 * An in-process provider for core tests: each arm follows a script of outcomes (the last step
 * repeats). Latency is spent on the injected clock, and every call is recorded.
 */
export class ScriptedProviders implements ProviderRegistry {
  readonly calls: Array<{ arm: string; requestId: string; attempt: number; at: number }> = [];
  private readonly cursor = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly scripts: Record<string, ScriptedStep[]>,
  ) {}

  /** Replaces an arm's script from its first step. */
  setScript(arm: string, steps: ScriptedStep[]): void {
    this.scripts[arm] = steps;
    this.cursor.delete(arm);
  }

  providerFor(arm: ArmConfig): Provider {
    return { call: (call) => this.call(arm, call) };
  }

  private async call(arm: ArmConfig, call: ProviderCall): Promise<ProviderReply> {
    this.calls.push({ arm: arm.id, requestId: call.requestId, attempt: call.attempt, at: this.clock.now() });
    const script = this.scripts[arm.id] ?? [{ ok: true }];
    const i = this.cursor.get(arm.id) ?? 0;
    this.cursor.set(arm.id, i + 1);
    const step = script[Math.min(i, script.length - 1)];
    if ('hang' in step) {
      await new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(new ProviderError({ kind: 'timeout_read', message: 'aborted' })), { once: true }));
      throw new Error('unreachable');
    }
    if (step.latencyMs) await this.clock.sleep(step.latencyMs, call.signal);
    if (!step.ok) throw new ProviderError({ kind: step.kind, message: `scripted ${step.kind}`, retryAfterMs: step.retryAfterMs, status: step.status });
    return {
      text: step.text ?? `answer from ${arm.id}`,
      finishReason: step.finishReason ?? 'stop',
      usage: step.usage ?? { inputTokens: 100, outputTokens: 50 },
      model: arm.model,
    };
  }
}

/** A data factory for arms, so tests state only what matters to them. */
export function makeArm(id: string, overrides: Partial<ArmConfig> = {}): ArmConfig {
  return {
    id,
    provider: overrides.provider ?? 'sim',
    providerKind: 'openai',
    model: id,
    pricing: { inputPer1M: 1, outputPer1M: 2 },
    contextWindow: 128_000,
    maxOutputTokens: 4_096,
    classes: [],
    policyGroup: 'default',
    timeouts: { connectMs: 1_000, totalMs: 30_000 },
    ...overrides,
  };
}
