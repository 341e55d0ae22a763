import { ConfigError, type RouterEnv } from '../config/env';
import type { ApiKeyStore } from './api-keys';
import type { FrontDoorMode } from './front-door';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|\[::1\]|localhost)$/i;

/**
 * Keys configured → keys required. No keys → off, unless FRONTDOOR_ALLOW_UNAUTHENTICATED=true and
 * the HTTP server listens on loopback only: an unauthenticated door that spends provider money is
 * never reachable from the network by accident.
 */
export function frontDoorMode(env: Pick<RouterEnv, 'FRONTDOOR_ALLOW_UNAUTHENTICATED' | 'HTTP_HOST'>, keys: ApiKeyStore): FrontDoorMode {
  if (keys.size > 0) return 'keys';
  if (!env.FRONTDOOR_ALLOW_UNAUTHENTICATED) return 'off';
  if (!LOOPBACK.test(env.HTTP_HOST)) {
    throw new ConfigError(
      `Invalid environment variables: FRONTDOOR_ALLOW_UNAUTHENTICATED=true needs a loopback HTTP_HOST (127.0.0.1 or ::1), not ${env.HTTP_HOST}: configure FRONTDOOR_API_KEYS or FRONTDOOR_API_KEYS_FILE to serve other hosts`,
    );
  }
  return 'open';
}
