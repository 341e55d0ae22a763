import type { ChatMessage, ProviderReply } from '../ports/provider';

/** A reply cut by `finishReason: 'length'` while the caller asked for more may be continued. */
export function shouldContinue(reply: ProviderReply, outputTokensSoFar: number, requestedMaxTokens: number | undefined): boolean {
  if (reply.finishReason !== 'length') return false;
  return requestedMaxTokens === undefined || outputTokensSoFar < requestedMaxTokens;
}

/** The original conversation, the partial answer so far as the assistant's turn, and a request to go on. */
export function continuationMessages(original: readonly ChatMessage[], partialText: string, prompt: string): ChatMessage[] {
  return [...original, { role: 'assistant', content: partialText }, { role: 'user', content: prompt }];
}
