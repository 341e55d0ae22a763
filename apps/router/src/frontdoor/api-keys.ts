import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

/** A key as configured: the tenant it spends for and the SHA-256 of the key (never the key). */
export interface ApiKeyEntry {
  tenant: string;
  sha256: string;
  /** For operators (which key is which); never compared. */
  name?: string;
}

const TENANT = z.string().min(1).max(128).regex(/^[^\s:,]+$/, 'a tenant name without spaces, ":" or ","');
const SHA256_HEX = z.string().regex(/^[0-9a-fA-F]{64}$/, 'the SHA-256 of the key as 64 hex characters (printf %s "$KEY" | sha256sum)');

const fileSchema = z.strictObject({
  keys: z.array(z.strictObject({ tenant: TENANT, sha256: SHA256_HEX, name: z.string().max(128).optional() })),
});

export class ApiKeyConfigError extends Error {
  override readonly name = 'ApiKeyConfigError';
}

/**
 * Bearer keys of the HTTP front door, by tenant. Only hashes are kept: a leaked configuration
 * file or environment does not leak a usable key. A lookup hashes the presented key and finds the
 * digest in a map; the digest of a guess tells an attacker nothing, so there is no timing to leak.
 */
export class ApiKeyStore {
  private readonly tenants = new Map<string, string>();

  constructor(entries: readonly ApiKeyEntry[]) {
    for (const entry of entries) {
      const digest = entry.sha256.toLowerCase();
      const existing = this.tenants.get(digest);
      if (existing !== undefined && existing !== entry.tenant) {
        throw new ApiKeyConfigError(`one API key hash is configured for two tenants (${existing} and ${entry.tenant})`);
      }
      this.tenants.set(digest, entry.tenant);
    }
  }

  get size(): number {
    return this.tenants.size;
  }

  /** Every tenant some key belongs to. */
  tenantNames(): string[] {
    return [...new Set(this.tenants.values())];
  }

  /** The tenant of `key`, or undefined for an unknown key. */
  tenantOf(key: string): string | undefined {
    return this.tenants.get(sha256Hex(key));
  }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * `FRONTDOOR_API_KEYS`: comma-separated `tenant:sha256hex` entries.
 * `FRONTDOOR_API_KEYS_FILE`: YAML or JSON `{ keys: [{ tenant, sha256, name? }] }`.
 * Both may be given; their keys add up. Errors name the variable and the entry, never a hash.
 */
export function loadApiKeys(source: { FRONTDOOR_API_KEYS?: string; FRONTDOOR_API_KEYS_FILE?: string }): ApiKeyStore {
  const entries: ApiKeyEntry[] = [];
  const inline = source.FRONTDOOR_API_KEYS?.trim();
  if (inline) {
    inline.split(',').forEach((raw, i) => {
      const item = raw.trim();
      if (!item) return;
      const colon = item.lastIndexOf(':');
      const tenant = TENANT.safeParse(item.slice(0, Math.max(0, colon)));
      const sha256 = SHA256_HEX.safeParse(item.slice(colon + 1));
      if (colon <= 0 || !tenant.success || !sha256.success) {
        throw new ApiKeyConfigError(`FRONTDOOR_API_KEYS: entry ${i + 1} must be tenant:sha256hex (64 hex characters: printf %s "$KEY" | sha256sum)`);
      }
      entries.push({ tenant: tenant.data, sha256: sha256.data });
    });
  }
  const path = source.FRONTDOOR_API_KEYS_FILE?.trim();
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ApiKeyConfigError(`FRONTDOOR_API_KEYS_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    let raw: unknown;
    try {
      raw = parse(text);
    } catch (err) {
      throw new ApiKeyConfigError(`FRONTDOOR_API_KEYS_FILE: ${path} is not YAML or JSON: ${(err as Error).message}`);
    }
    const parsed = fileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiKeyConfigError(`FRONTDOOR_API_KEYS_FILE: ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    entries.push(...parsed.data.keys);
  }
  return new ApiKeyStore(entries);
}
