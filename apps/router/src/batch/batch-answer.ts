import type { RequestV1, ResponseV1 } from '@switchyard/contracts';
import { costUsd, type ArmConfig, type BatchRequest, type ProviderReply } from '@switchyard/core';

/** Rounded as the live responses are (1e-9 USD). */
function usd(value: number): number {
  return Math.round(value * 1e9) / 1e9;
}

/** The request as it goes into a batch: the live call's fields (the batch clients build the live body from it). */
export function toBatchRequest(request: RequestV1): BatchRequest {
  const p = request.params;
  return {
    requestId: request.id,
    messages: request.messages,
    maxTokens: p.maxTokens,
    temperature: p.temperature,
    topP: p.topP,
    stop: p.stop,
    responseFormat: p.responseFormat,
    tools: p.tools,
    toolChoice: p.toolChoice,
  };
}

export interface BatchAnswerInput {
  request: RequestV1;
  arm: ArmConfig;
  reply: ProviderReply;
  batchId: string;
  /** Ms from the router's receipt of the request to this answer. */
  waitMs: number;
  /** Batch price as a share of the live price. */
  priceFactor: number;
  traceId?: string;
}

/** Response v1 for a request a provider batch answered: one attempt (role `batch`), billed at the batch price. */
export function batchResponse(input: BatchAnswerInput): ResponseV1 {
  const { request, arm, reply } = input;
  const cost = usd(costUsd(arm, reply.usage) * input.priceFactor);
  const waitMs = Math.round(input.waitMs);
  return {
    schemaVersion: 1,
    id: request.id,
    tenant: request.tenant,
    class: request.class,
    status: 'ok',
    output: { text: reply.text, finishReason: reply.finishReason, ...(reply.toolCalls?.length ? { toolCalls: reply.toolCalls } : {}) },
    servedBy: { arm: arm.id, provider: arm.provider, model: reply.model || arm.model },
    attempts: [{ arm: arm.id, outcome: 'ok', latencyMs: waitMs, costUsd: cost, role: 'batch' }],
    usage: { inputTokens: reply.usage.inputTokens, outputTokens: reply.usage.outputTokens, costUsd: cost },
    latencyMs: waitMs,
    traceId: input.traceId,
    servedVia: 'batch',
    batch: { id: input.batchId, waitMs },
  };
}
