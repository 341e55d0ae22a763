import type { SemanticIndex, SemanticMatch } from '@switchyard/core';
import type { Redis } from 'ioredis';
import type { UsearchSemanticIndex } from './usearch-semantic-index';

export interface FeedLogger {
  warn(message: string): void;
}

/**
 * Shares the semantic index between replicas over Redis 7, which has no vector search of its own:
 * each new vector is appended to a capped stream (`<prefix>cache:vectors`), and every replica tails
 * the stream into its local USearch index (reading it from the start when it boots, so a new
 * replica is warm). The entries themselves are in the shared exact store, so a match found here
 * is served by whichever replica gets the request. While Redis is down lookups use what each
 * replica has, and new vectors stay local.
 */
export class SharedSemanticIndex implements SemanticIndex {
  private readonly stream: string;
  private reader?: Redis;
  private closed = false;
  private lastId = '0';
  /** Vectors received from the stream (other replicas' and, after a restart, older ones). */
  received = 0;

  constructor(
    private readonly local: UsearchSemanticIndex,
    private readonly redis: Redis,
    private readonly options: { prefix: string; maxEntries: number; replica: string; logger?: FeedLogger },
  ) {
    this.stream = `${options.prefix}cache:vectors`;
  }

  nearest(scope: string, vector: Float32Array, k: number): Promise<SemanticMatch[]> {
    return this.local.nearest(scope, vector, k);
  }

  async add(scope: string, key: string, vector: Float32Array): Promise<void> {
    await this.local.add(scope, key, vector);
    const bytes = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
    await this.redis.xadd(this.stream, 'MAXLEN', '~', String(this.options.maxEntries), '*', 'scope', scope, 'key', key, 'vector', bytes, 'replica', this.options.replica);
  }

  remove(scope: string, key: string): Promise<void> {
    return this.local.remove(scope, key);
  }

  /** Starts tailing the stream on a connection of its own (XREAD BLOCK holds it). */
  start(): void {
    this.reader = this.redis.duplicate({ connectionName: 'switchyard-cache-feed', commandTimeout: undefined });
    this.reader.on('error', () => undefined);
    void this.tail();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reader?.disconnect();
  }

  private async tail(): Promise<void> {
    let warned = false;
    while (!this.closed) {
      try {
        const batches = await this.reader!.xread('COUNT', 1000, 'BLOCK', 2_000, 'STREAMS', this.stream, this.lastId);
        warned = false;
        for (const [, entries] of batches ?? []) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            await this.apply(fields);
          }
        }
      } catch (err) {
        if (this.closed) return;
        if (!warned) this.options.logger?.warn(`semantic cache feed: ${(err as Error).message}; retrying (lookups use this replica's vectors meanwhile)`);
        warned = true;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  private async apply(fields: string[]): Promise<void> {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]] = fields[i + 1];
    if (!f.scope || !f.key || !f.vector || this.local.has(f.scope, f.key)) return;
    const bytes = Buffer.from(f.vector, 'base64');
    if (bytes.length === 0 || bytes.length % 4 !== 0) return;
    const vector = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    try {
      await this.local.add(f.scope, f.key, vector);
      this.received++;
    } catch {
      // A vector of another dimension (the embedding model changed): not comparable, skip it.
    }
  }
}
