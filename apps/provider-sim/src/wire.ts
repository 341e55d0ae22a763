// What a provider wire format must provide, plus small helpers shared by both.
import { randomBytes } from 'node:crypto';
import type { ApiKind, ModelSpec } from './config-schema';
import type { Completion, FinishKind, SimError, SimRequest } from './sim-request';

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface WireApi {
  readonly api: ApiKind;
  /** Validates the parsed JSON body; returns the neutral request or the error to send. */
  parseRequest(body: unknown): SimRequest | SimError;
  completion(completion: Completion): WireResponse;
  error(error: SimError, status: number): WireResponse;
  listModels(models: ModelSpec[]): WireResponse;
  /** The provider's own finish/stop reason string (for call records). */
  finishLabel(finish: FinishKind): string;
  /** Server-sent events of a streamed answer: the opening events, one event per piece of text, the closing events. */
  streamOpen(completion: Completion): string;
  streamText(completion: Completion, text: string): string;
  streamClose(completion: Completion, includeUsage: boolean): string;
}

export const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' };

/** Pieces of a streamed text: one word (token) each with the space that follows it; joined they are the text. */
export function streamPieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

export function isSimError(value: SimRequest | SimError): value is SimError {
  return 'kind' in value;
}

const PROCESS_TAG = randomBytes(6).toString('hex');
let idCounter = 0;

/** Unique-enough opaque ids (process tag + counter); cheap at thousands of calls per second. */
export function nextId(prefix: string): string {
  idCounter = (idCounter + 1) % 0x1000000000;
  return `${prefix}${PROCESS_TAG}${idCounter.toString(16).padStart(9, '0')}`;
}

export function json(status: number, headers: Record<string, string>, payload: unknown): WireResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) };
}

/** Text of a content field: a string, or an array of blocks/parts whose `text` fields are joined. */
export function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (Array.isArray(content)) {
    let out = '';
    for (const part of content) {
      if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') {
        if (out) out += '\n';
        out += (part as { text: string }).text;
      }
    }
    return out;
  }
  return null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function stopList(value: unknown): string[] | null {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value as string[];
  return null;
}
