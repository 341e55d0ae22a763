import { ProviderError } from '../errors/provider-error';
import type { Clock } from '../ports/clock';
import type { Provider, ProviderCall, ProviderReply, TextListener } from '../ports/provider';

export interface StreamedProviderOptions {
  clock: Clock;
  /** Longest silence between two pieces of a started stream before it counts as stalled. */
  stallMs: number;
  onText: TextListener;
}

/**
 * Turns a provider into one whose `call` streams to `onText`: through its `stream` when it has
 * one, else whole (the answer is one piece). A started stream that goes silent for `stallMs` is
 * aborted and fails as `timeout_read`, so the router can continue the answer elsewhere; before the
 * first piece the arm's own timeouts and the hung-call watch apply, as for any call.
 */
export function streamedProvider(provider: Provider, options: StreamedProviderOptions): Provider {
  return {
    // Tool calls are not streamed piecewise: such a call is made whole and its text (if any) sent at once.
    call: (call) => (provider.stream && !call.tools?.length ? streamWithStallWatch(provider, call, options) : callWhole(provider, call, options.onText)),
  };
}

async function callWhole(provider: Provider, call: ProviderCall, onText: TextListener): Promise<ProviderReply> {
  const reply = await provider.call(call);
  if (reply.text) onText(reply.text);
  return reply;
}

async function streamWithStallWatch(provider: Provider, call: ProviderCall, options: StreamedProviderOptions): Promise<ProviderReply> {
  const { clock, stallMs } = options;
  const stall = new AbortController();
  const watch = new AbortController();
  let lastAt = 0;
  let chars = 0;
  let watching = false;
  // One timer per stream, re-armed for the remaining silence, rather than one per piece.
  const arm = (ms: number) => {
    clock.sleep(ms, watch.signal).then(
      () => {
        const silent = clock.now() - lastAt;
        if (silent >= stallMs) stall.abort('stalled');
        else arm(stallMs - silent);
      },
      () => undefined,
    );
  };
  let stalled = false;
  stall.signal.addEventListener('abort', () => (stalled = true), { once: true });
  const onText: TextListener = (text) => {
    // A flag, not `signal.aborted`: this runs once per token.
    if (stalled || text.length === 0) return;
    lastAt = clock.now();
    chars += text.length;
    if (!watching) {
      watching = true;
      arm(stallMs);
    }
    options.onText(text);
  };
  try {
    const reply = await provider.stream!({ ...call, signal: AbortSignal.any([call.signal, stall.signal]) }, onText);
    // Finished just as the watch fired: pieces after the stall were not passed on, so it is a stall.
    if (stall.signal.aborted) throw new Error('stalled');
    return reply;
  } catch (err) {
    if (stall.signal.aborted && !call.signal.aborted) {
      throw new ProviderError({ kind: 'timeout_read', message: `stream stalled: nothing for ${stallMs} ms after ${chars} characters`, cause: err });
    }
    throw err;
  } finally {
    watch.abort('stream done');
  }
}
