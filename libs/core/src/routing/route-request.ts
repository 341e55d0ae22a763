import type { RequestCacheOptions } from '../cache/cache-policy';
import type { ChatMessage, ResponseFormat, ToolChoice, ToolSpec } from '../ports/provider';

export type Objective = 'balanced' | 'cheapest' | 'fastest' | 'quality';

/** The router's view of a request: transport-free, already validated at the edge. */
export interface RouteRequest {
  id: string;
  tenant: string;
  /** Request class for routing context (chat, coding, extraction, ...). */
  class: string;
  messages: ChatMessage[];
  params: { maxTokens?: number; temperature?: number; topP?: number; stop?: string[]; responseFormat?: ResponseFormat; tools?: ToolSpec[]; toolChoice?: ToolChoice };
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
    /** What an acceptable answer within the SLO is worth (USD); overrides the class's and the objective's. */
    valueUsd?: number;
    /** What each second of waiting costs (USD); overrides the class's and the objective's. */
    latencyUsdPerSecond?: number;
    /** This request's cache use; each field narrows or overrides its class's. */
    cache?: RequestCacheOptions;
  };
}
