/** Default topic names (docs/architecture.md "Contracts and topics"); every one is configurable. */
export const DEFAULT_TOPICS = {
  requests: 'llm.requests',
  responses: 'llm.responses',
  dlq: 'llm.requests.dlq',
  escalations: 'llm.escalations',
  outcomes: 'switchyard.outcomes',
  feedback: 'llm.feedback',
  /** Stream chunk v1 records of requests with `stream: true`, keyed by request id. */
  stream: 'llm.responses.stream',
  /** Fallback answers copied for review (FALLBACK_REVIEW_ENABLED), keyed by request id. */
  fallbacks: 'llm.fallbacks',
} as const;

export type TopicNames = { -readonly [K in keyof typeof DEFAULT_TOPICS]: string };

/** Headers the router reads or writes on Kafka records. */
export const HEADERS = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  contentType: 'content-type',
} as const;
