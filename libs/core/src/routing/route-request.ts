import type { ChatMessage } from '../ports/provider';

export type Objective = 'balanced' | 'cheapest' | 'fastest' | 'quality';

/** The router's view of a request: transport-free, already validated at the edge. */
export interface RouteRequest {
  id: string;
  tenant: string;
  /** Request class for routing context (chat, coding, extraction, ...). */
  class: string;
  messages: ChatMessage[];
  params: { maxTokens?: number; temperature?: number; stop?: string[] };
  routing: {
    /** Arm ids or model names allowed for this request; absent means every arm. */
    models?: string[];
    objective: Objective;
    latencySloMs?: number;
    maxCostUsd?: number;
    deadlineMs?: number;
    conversationId?: string;
    hedge?: boolean;
    contentPolicyFallback?: boolean;
  };
}
