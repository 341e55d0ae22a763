import type { Clock } from '../ports/clock';
import type { StickinessConfig } from './resilience-config';

/**
 * conversationId → the arm that served its last turn, so a conversation keeps one model's tone
 * while that arm is healthy. Bounded: least recently used conversations go first, and entries
 * expire after a TTL.
 */
export class ConversationStickiness {
  private readonly entries = new Map<string, { arm: string; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly config: StickinessConfig,
  ) {}

  armFor(conversationId: string): string | undefined {
    const entry = this.entries.get(conversationId);
    if (!entry) return undefined;
    this.entries.delete(conversationId);
    if (entry.expiresAt <= this.clock.now()) return undefined;
    this.entries.set(conversationId, entry);
    return entry.arm;
  }

  remember(conversationId: string, arm: string): void {
    this.entries.delete(conversationId);
    this.entries.set(conversationId, { arm, expiresAt: this.clock.now() + this.config.ttlMs });
    while (this.entries.size > this.config.maxConversations) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
