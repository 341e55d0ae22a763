/**
 * One configured provider endpoint. Arms name it through `ArmConfig.provider`; the registry keeps
 * exactly one SDK client (and one keep-alive connection pool) per endpoint.
 */
export interface ProviderEndpointConfig {
  /** Unique name, referenced by `ArmConfig.provider` (e.g. `openai`, `anthropic`, `local-vllm`). */
  name: string;
  kind: 'openai' | 'anthropic' | 'openai-compatible';
  /** Defaults to the vendor's public API; required for `openai-compatible`. */
  baseUrl?: string;
  /** Never logged, never part of an error message. Optional for `openai-compatible`. */
  apiKey?: string;
  /** Extra headers sent on every request (e.g. an `OpenAI-Organization` or a gateway token). */
  headers?: Record<string, string>;
}
