// HTTP plumbing shared by the two batch wire modules: auth as on the live endpoints, the providers'
// error shapes, and the multipart/form-data upload of OpenAI's Files API.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKind } from './config-schema';
import { headerValue } from './http-io';
import { checkAuth, type StrictSettings } from './strict-mode';
import { nextId } from './wire';

export function sendBatchJson(res: ServerResponse, api: ApiKind, status: number, payload: unknown): void {
  const body = JSON.stringify(payload);
  const requestId = api === 'openai' ? { 'x-request-id': nextId('req_') } : { 'request-id': nextId('req_') };
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...requestId });
  res.end(body);
}

/** The provider's error body: OpenAI `{ error: { message, type, param, code } }`, Anthropic `{ type: 'error', error: { type, message } }`. */
export function sendBatchError(res: ServerResponse, api: ApiKind, status: number, message: string, param: string | null = null, code: string | null = null): void {
  if (api === 'openai') return sendBatchJson(res, api, status, { error: { message, type: 'invalid_request_error', param, code } });
  const type = status === 401 ? 'authentication_error' : status === 404 ? 'not_found_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
  sendBatchJson(res, api, status, { type: 'error', error: { type, message }, request_id: nextId('req_') });
}

/** Same rules as the live endpoints: strict mode wants each API's documented auth; otherwise any key but one containing "invalid". */
export function refuseAuth(api: ApiKind, req: IncomingMessage, res: ServerResponse, strict: StrictSettings): boolean {
  const refused = checkAuth(api, req, strict);
  if (refused) {
    const missing = refused.error.kind === 'auth' && refused.error.reason === 'missing';
    const message = refused.error.kind === 'bad_request' ? refused.error.message : missing ? 'You did not provide an API key.' : 'Incorrect API key provided.';
    sendBatchError(res, api, refused.status, message, null, refused.status === 401 && !missing ? 'invalid_api_key' : null);
    return true;
  }
  const bearer = /^bearer\s+(\S+)/i.exec(headerValue(req, 'authorization') ?? '')?.[1];
  const key = headerValue(req, 'x-api-key') || bearer;
  if (!key || key.includes('invalid')) {
    sendBatchError(res, api, 401, 'Incorrect API key provided.', null, 'invalid_api_key');
    return true;
  }
  return false;
}

export interface FormPart {
  name: string;
  filename: string | null;
  content: string;
}

/** Parts of a multipart/form-data body (text content only: JSONL uploads). Null when it is not one. */
export function parseMultipart(contentType: string | null, body: string): FormPart[] | null {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? '')?.[1];
  if (!contentType?.toLowerCase().startsWith('multipart/form-data') || !boundary) return null;
  const parts: FormPart[] = [];
  for (const chunk of body.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const headerEnd = chunk.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = chunk.slice(0, headerEnd);
    const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) continue;
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1] ?? null;
    // The part ends with the CRLF that precedes the next boundary.
    parts.push({ name, filename, content: chunk.slice(headerEnd + 4).replace(/\r\n$/, '') });
  }
  return parts;
}
