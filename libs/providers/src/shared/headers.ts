import type { ProviderCall } from '@switchyard/core';

/** Per-attempt correlation headers, sent on every provider request. */
export function requestHeaders(call: ProviderCall): Record<string, string> {
  return {
    'x-switchyard-request-id': call.requestId,
    'x-switchyard-attempt': String(call.attempt),
  };
}
