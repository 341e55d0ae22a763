import { ProviderCall, ProviderError, isProviderError } from '@switchyard/core';
import {
  HttpFailure,
  OwnAbort,
  callerAbortToProviderError,
  httpFailureToProviderError,
  messageFromBody,
  safeMessage,
  transportFailureToProviderError,
} from './errors';
import { CallTransportState, EndpointTransport, newCallTransportState, runWithCallState } from './transport';

/** What a provider's SDK error means, before status/transport rules apply. */
export type NormalizedSdkError =
  | { type: 'http'; failure: Omit<HttpFailure, 'endpoint' | 'secrets'> }
  | { type: 'abort' }
  | { type: 'timeout' }
  | { type: 'connection' }
  | { type: 'auth_config'; message: string }
  | { type: 'unknown' };

export interface RunCallOptions<T> {
  endpoint: string;
  transport: EndpointTransport;
  call: ProviderCall;
  /** Secrets to scrub from provider messages (the endpoint's API key). */
  secrets: (string | undefined)[];
  /** Makes exactly one SDK call with this signal. */
  invoke: (signal: AbortSignal) => Promise<T>;
  /** The reply is read whole, not streamed: the transport may buffer it (see CallTransportState.buffered). */
  buffered?: boolean;
  /** The reply is read as a stream of events: the transport may hand the SDK undici's body stream (see CallTransportState.streamed). */
  streamed?: boolean;
  /** Provider-specific reading of an SDK error (`openai-errors.ts`, `anthropic-errors.ts`). */
  normalize: (error: unknown, state: CallTransportState) => NormalizedSdkError;
}

/**
 * Runs one provider call: per-call transport state, the total timeout (arm.timeouts.totalMs) as our
 * own timer besides the SDK's (the Anthropic SDK does not bound the body read), the connect watchdog
 * when no undici Agent enforces `connectMs`, and classification of whatever comes out into exactly
 * one `ProviderError`.
 */
export async function runProviderCall<T>(options: RunCallOptions<T>): Promise<T> {
  const { endpoint, transport, call } = options;
  const { connectMs, totalMs } = call.arm.timeouts;
  if (call.signal.aborted) throw callerAbortToProviderError(endpoint, call.signal.reason);

  const state = newCallTransportState(transport.dispatcherFor(connectMs), options.buffered ?? false, options.streamed ?? false);
  const own = new AbortController();
  let ownAbort: OwnAbort;
  const totalTimer = setTimeout(() => {
    ownAbort ??= 'total_timeout';
    own.abort(new Error('total timeout'));
  }, totalMs);
  let connectTimer: NodeJS.Timeout | undefined;
  if (!transport.hasAgent) {
    // Fallback connect timeout: the request must reach a connected socket within connectMs.
    // Armed only when undici's diagnostics channel proved it reports this call (`created`).
    connectTimer = setTimeout(() => {
      if (state.created && !state.connected) {
        ownAbort ??= 'connect_timeout';
        own.abort(new Error('connect timeout'));
      }
    }, connectMs);
    state.onConnected = () => clearTimeout(connectTimer);
  }
  // The caller's abort is forwarded to our own controller rather than composed with
  // AbortSignal.any, whose signals are tracked through weak references (GC work on every call).
  const forward = () => own.abort(call.signal.reason);
  call.signal.addEventListener('abort', forward, { once: true });

  try {
    return await runWithCallState(state, () => options.invoke(own.signal));
  } catch (error) {
    throw classify(error, options, state, ownAbort);
  } finally {
    call.signal.removeEventListener('abort', forward);
    clearTimeout(totalTimer);
    if (connectTimer) clearTimeout(connectTimer);
  }
}

function classify<T>(error: unknown, options: RunCallOptions<T>, state: CallTransportState, ownAbort: OwnAbort): ProviderError {
  const { endpoint, call, secrets } = options;
  if (isProviderError(error)) return error;
  const normalized = options.normalize(error, state);
  const { connectMs, totalMs } = call.arm.timeouts;

  if (normalized.type === 'http') {
    // An HTTP answer is the provider's verdict, even if the caller aborted meanwhile.
    const failure = { ...normalized.failure };
    if (state.errorBody !== undefined && state.errorStatus === failure.status) {
      // The raw body is authoritative: the SDKs drop messages of non-standard error shapes.
      const raw = messageFromBody(state.errorBody);
      failure.message ??= raw.message;
      failure.code ??= raw.code;
      failure.type ??= raw.type;
    }
    return httpFailureToProviderError({ ...failure, endpoint, secrets, cause: undefined });
  }
  if (call.signal.aborted) return callerAbortToProviderError(endpoint, call.signal.reason);
  if (normalized.type === 'auth_config') {
    return new ProviderError({ kind: 'auth', message: `${endpoint}: ${safeMessage(normalized.message, secrets)}` });
  }
  if (normalized.type === 'abort' || normalized.type === 'timeout' || normalized.type === 'connection') {
    if (normalized.type === 'abort' && !ownAbort) {
      // Aborted, but neither by the caller nor by our timers: treat as a broken connection.
      return new ProviderError({ kind: 'network', message: `${endpoint}: request aborted unexpectedly` });
    }
    return transportFailureToProviderError({
      endpoint,
      sdk: normalized.type === 'connection' ? 'connection' : 'timeout',
      state,
      ownAbort,
      connectMs,
      totalMs,
    });
  }
  if (ownAbort) {
    // e.g. the body stream failed with a bare AbortError when our timer fired.
    return transportFailureToProviderError({ endpoint, sdk: 'timeout', state, ownAbort, connectMs, totalMs });
  }
  if (state.transportError !== undefined) {
    return transportFailureToProviderError({ endpoint, sdk: 'connection', state, ownAbort, connectMs, totalMs });
  }
  if (error instanceof SyntaxError) {
    return new ProviderError({ kind: 'server_error', message: `${endpoint}: malformed reply: invalid JSON` });
  }
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError({
    kind: 'server_error',
    message: `${endpoint}: unexpected client error: ${safeMessage(`${name}: ${message}`, secrets)}`,
  });
}
