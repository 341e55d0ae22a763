/**
 * Where a streamed request's answer goes as it is produced (an HTTP server-sent-events response).
 * The router calls `text` with each new piece, in order, never repeating one: after a mid-stream
 * switch to another arm the continuation's pieces follow what was already sent.
 */
export interface StreamSink {
  text(delta: string): void;
}

/** Per-request options of `Router.route` beyond the request itself. */
export interface RouteOptions {
  /** Stream the answer's text; absent: the answer is returned whole. */
  stream?: StreamSink;
}
