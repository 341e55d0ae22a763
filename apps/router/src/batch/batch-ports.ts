import type { ArmConfig, BatchPort } from '@switchyard/core';
import { AnthropicBatchClient, OpenAiBatchClient, type ProviderEndpointConfig } from '@switchyard/providers';

type ClosablePort = BatchPort & { close(): Promise<void> };

/**
 * The batch API client of each provider endpoint that has one (kind `openai`: Files + Batch;
 * `anthropic`: Message Batches; `openai-compatible` servers have none). Built from the endpoints
 * at start; a reloaded endpoint takes effect on restart.
 */
export class BatchPorts {
  private readonly ports = new Map<string, ClosablePort>();

  constructor(endpoints: readonly ProviderEndpointConfig[]) {
    for (const e of endpoints) {
      if (e.kind === 'openai') this.ports.set(e.name, new OpenAiBatchClient(e));
      else if (e.kind === 'anthropic') this.ports.set(e.name, new AnthropicBatchClient(e));
    }
  }

  portFor(arm: ArmConfig): BatchPort | undefined {
    return this.ports.get(arm.provider);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.ports.values()].map((p) => p.close()));
  }
}
