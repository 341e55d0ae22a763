/**
 * Input limits. A request over any of them is refused with a classified DLQ record instead of
 * reaching a provider. Defaults are generous for chat workloads; all are configurable.
 */
export interface RequestLimits {
  /** Largest accepted Kafka message value, in bytes. */
  maxMessageBytes: number;
  /** Most chat messages in one request. */
  maxMessages: number;
  /** Longest single message content, in characters. */
  maxContentChars: number;
  /**
   * Deepest nesting of objects and arrays in a request (a JSON Schema in `params.responseFormat`,
   * a tool's `parameters`, ...). Deeper values are refused before anything walks them.
   */
  maxJsonDepth: number;
}

export const DEFAULT_LIMITS: RequestLimits = {
  maxMessageBytes: 1_048_576,
  maxMessages: 256,
  maxContentChars: 400_000,
  maxJsonDepth: 64,
};
