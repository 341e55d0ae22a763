import type { IncomingMessage } from 'node:http';
import { OpenAiError } from './openai-error';

/**
 * The request body as UTF-8 text, refused with 413 past `maxBytes` (ROUTER_MAX_MESSAGE_BYTES, the
 * same limit as a Kafka record). The rest is not read at all: the 413 goes out with
 * `Connection: close` and the connection is closed, so a client that keeps sending is cut off.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(declared, maxBytes));
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge(size, maxBytes));
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

function tooLarge(size: number, maxBytes: number): OpenAiError {
  const error = new OpenAiError(413, `request body of ${size} bytes or more is over the limit of ${maxBytes} bytes (ROUTER_MAX_MESSAGE_BYTES)`, 'invalid_request_error', 'request_too_large');
  error.closeConnection = true;
  return error;
}
