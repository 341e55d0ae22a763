import type { RouterEvents } from '../events/router-events';
import type { Clock } from '../ports/clock';
import type { ChatMessage, Provider, ProviderRegistry } from '../ports/provider';
import { continuationMessages } from '../resilience/continuation';
import type { ArmConfig } from '../routing/arm';
import type { Run } from '../routing/route-run';
import { estimatePromptTokens } from '../routing/token-estimate';
import { streamedProvider } from './streamed-provider';

export const DEFAULT_STREAM_STALL_MS = 10_000;

export interface StreamResumeOptions {
  clock: Clock;
  events: RouterEvents;
  providers: ProviderRegistry;
  /** No piece for this long after the first one: the stream is stalled (`timeout_read`). */
  stallMs?: number;
  /** The continuation prompt (`resilience.continuation.prompt`). */
  continuationPrompt: string;
}

/** A streamed answer's attempts: pieces go to the caller as they come, and a switched arm continues from them. */
export class StreamResume {
  constructor(private readonly options: StreamResumeOptions) {}

  /** The arm's provider; for a streamed request, one whose pieces go to the caller and are remembered. */
  providerFor(run: Run, arm: ArmConfig, onFirstText: () => void): Provider {
    const provider = this.options.providers.providerFor(arm);
    const stream = run.stream;
    if (!stream) return provider;
    let first = true;
    return streamedProvider(provider, {
      clock: this.options.clock,
      stallMs: this.options.stallMs ?? DEFAULT_STREAM_STALL_MS,
      onText: (text) => {
        if (first) {
          first = false;
          onFirstText();
        }
        stream.sent += text;
        stream.sink.text(text);
      },
    });
  }

  /**
   * A streamed answer that an earlier attempt started and did not finish continues from what the
   * caller already has: the conversation, the text sent as the assistant's turn, and the
   * continuation prompt, so nothing is sent twice. Undefined when nothing was sent yet (an ordinary
   * retry or fallback).
   */
  resume(run: Run, arm: ArmConfig, attempt: number, maxTokens: number | undefined): { messages: ChatMessage[]; maxTokens?: number } | undefined {
    const sent = run.stream!.sent;
    if (!sent) return undefined;
    const previous = run.attempts.at(-1);
    this.options.events.emit({
      type: 'stream.switched',
      requestId: run.request.id,
      at: this.options.clock.now(),
      from: previous?.arm ?? arm.id,
      to: arm.id,
      attempt,
      streamedChars: sent.length,
      reason: previous ? `${previous.kind}${previous.message ? `: ${previous.message}` : ''}` : 'stream interrupted',
    });
    const messages = continuationMessages(run.messages, sent, this.options.continuationPrompt);
    // What was sent counts against the request's cap (estimated at the prompt's chars per token).
    return { messages, maxTokens: maxTokens === undefined ? undefined : Math.max(1, maxTokens - estimatePromptTokens([{ role: 'assistant', content: sent }])) };
  }
}
