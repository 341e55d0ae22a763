import { maxHeaderSize, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { OpenAiError } from './openai-error';

/**
 * Requests Node's HTTP parser refuses before any route sees them (headers over the size limit, a
 * malformed request line, a request that took too long to arrive) are answered in OpenAI's error
 * shape, so an SDK reports what went wrong, instead of Node's bare status line. The connection is
 * closed after the answer: the parser cannot tell where the next request would start.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // The server is Nest's, made without options: Node's limit (--max-http-header-size) applies.
    socket.end(clientErrorResponse(err, maxHeaderSize));
  });
}

/** The raw HTTP/1.1 response for a parser error. */
export function clientErrorResponse(err: NodeJS.ErrnoException, maxHeaderSize: number): string {
  const { status, reason, error } = classify(err, maxHeaderSize);
  const body = JSON.stringify(error.body());
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

function classify(err: NodeJS.ErrnoException, maxHeaderSize: number): { status: number; reason: string; error: OpenAiError } {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const message = `the request's headers are larger than the limit of ${maxHeaderSize} bytes (an oversized Authorization or cookie header?)`;
    return { status: 431, reason: 'Request Header Fields Too Large', error: new OpenAiError(431, message, 'invalid_request_error', 'request_headers_too_large') };
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, reason: 'Request Timeout', error: new OpenAiError(408, 'the request did not arrive in time', 'invalid_request_error', 'request_timeout') };
  }
  return { status: 400, reason: 'Bad Request', error: new OpenAiError(400, 'malformed HTTP request', 'invalid_request_error', 'malformed_request') };
}
