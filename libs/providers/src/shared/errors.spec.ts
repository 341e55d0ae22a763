import { APIConnectionError, APIConnectionTimeoutError } from 'openai';
import { ProviderError } from '@switchyard/core';
import { normalizeOpenAiError } from '../openai/openai-errors';
import {
  callerAbortToProviderError,
  errorCodes,
  httpFailureToProviderError,
  isDeadlineReason,
  kindForStatus,
  parseGoDurationMs,
  parseRetryAfterMs,
  redactSecrets,
  transportFailureToProviderError,
} from './errors';
import { newCallTransportState } from './transport';

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': '0' }, 0],
    [{ 'Retry-After': '3' }, 3000],
    [{ 'retry-after-ms': '1500' }, 1500],
    [{ 'retry-after-ms': '250.7', 'retry-after': '9' }, 251],
    [{ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, 30_000],
    [{ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }, 0], // in the past
    [{ 'retry-after': 'soon' }, undefined],
    [{ 'retry-after-ms': '-5' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, expected) => {
    expect(parseRetryAfterMs(headers, now)).toBe(expected);
    expect(parseRetryAfterMs(new Headers(headers), now)).toBe(expected);
  });
});

describe('parseGoDurationMs (OpenAI x-ratelimit-reset-*)', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['', undefined],
    ['soon', undefined],
  ])('%s → %s', (value, expected) => expect(parseGoDurationMs(value)).toBe(expected));
});

describe('kindForStatus', () => {
  it.each([
    [429, 'rate_limited'],
    [401, 'auth'],
    [403, 'auth'],
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'server_error'],
    [504, 'server_error'],
    [529, 'server_error'],
    [408, 'timeout_read'],
    [400, 'bad_request'],
    [404, 'bad_request'],
    [422, 'bad_request'],
  ])('%s → %s', (status, kind) => expect(kindForStatus(status, [])).toBe(kind));

  it('reads context overflow and content policy from 4xx messages only', () => {
    expect(kindForStatus(400, ['prompt is too long: 210000 tokens > 200000 maximum'])).toBe('context_overflow');
    expect(kindForStatus(400, ["This model's maximum context length is 4096 tokens"])).toBe('context_overflow');
    expect(kindForStatus(400, ['Your prompt was flagged as potentially violating our usage policy'])).toBe('content_policy');
    expect(kindForStatus(500, ['maximum context length'])).toBe('server_error');
    expect(kindForStatus(429, ['content policy'])).toBe('rate_limited');
  });
});

describe('message hygiene', () => {
  it('redacts the configured key, key-like tokens, bearer tokens and key assignments', () => {
    const text =
      'Incorrect API key provided: sk-proj-abc***xyz. key=sk-ant-api03-AAAA; Authorization: Bearer abcdefghijklmnop; api_key="hunter2hunter2" MYSECRETKEY';
    const out = redactSecrets(text, ['MYSECRETKEY']);
    expect(out).not.toMatch(/abc\*\*\*xyz|AAAA|abcdefghijklmnop|hunter2|MYSECRETKEY/);
    expect(out).toContain('Incorrect API key provided');
  });

  it('builds "<endpoint>: HTTP <status> <code/type>: <message>" without headers', () => {
    const error = httpFailureToProviderError({
      endpoint: 'openai',
      status: 429,
      headers: new Headers({ 'retry-after': '2', 'set-cookie': 'session=SECRETCOOKIE' }),
      code: 'rate_limit_exceeded',
      type: 'requests',
      message: 'Rate limit reached for gpt-4o',
    });
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.message).toBe('openai: HTTP 429 rate_limit_exceeded/requests: Rate limit reached for gpt-4o');
    expect(error.retryAfterMs).toBe(2000);
    expect(error.retryable).toBe(true);
    expect(error.countsAgainstArm).toBe(false);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('SECRETCOOKIE');
  });
});

describe('transport classification (what the SDKs throw, reproduced)', () => {
  // Exactly what undici's fetch throws when Agent connect.timeout fires:
  // TypeError("fetch failed") with cause ConnectTimeoutError { code: 'UND_ERR_CONNECT_TIMEOUT' }.
  function undiciConnectTimeout(): Error {
    const cause = Object.assign(new Error('Connect Timeout Error (attempted address: 10.0.0.1:443, timeout: 200ms)'), {
      name: 'ConnectTimeoutError',
      code: 'UND_ERR_CONNECT_TIMEOUT',
    });
    return new TypeError('fetch failed', { cause });
  }
  const base = { endpoint: 'openai', connectMs: 200, totalMs: 3000, ownAbort: undefined };

  it('UND_ERR_CONNECT_TIMEOUT → the openai SDK says APIConnectionTimeoutError → timeout_connect', () => {
    const fetchError = undiciConnectTimeout();
    // what openai's makeRequest builds from it ("timed? ?out" matches "Timeout Error")
    const sdkError = Object.assign(new APIConnectionTimeoutError(), { cause: fetchError });
    const state = newCallTransportState();
    state.transportError = fetchError;
    const normalized = normalizeOpenAiError(sdkError, state);
    expect(normalized.type).toBe('timeout');
    const error = transportFailureToProviderError({ ...base, sdk: 'timeout', state });
    expect(error.kind).toBe('timeout_connect');
    expect(error.message).toBe('openai: no connection within 200 ms (UND_ERR_CONNECT_TIMEOUT)');
  });

  it('SDK timeout while the request never reached a connected socket → timeout_connect', () => {
    const state = newCallTransportState();
    state.created = true;
    state.connected = false;
    expect(transportFailureToProviderError({ ...base, sdk: 'timeout', state }).kind).toBe('timeout_connect');
  });

  it('SDK timeout after the request was sent → timeout_read', () => {
    const state = newCallTransportState();
    state.created = true;
    state.connected = true;
    expect(transportFailureToProviderError({ ...base, sdk: 'timeout', state }).kind).toBe('timeout_read');
  });

  it('no diagnostics evidence → a timeout counts as timeout_read', () => {
    expect(transportFailureToProviderError({ ...base, sdk: 'timeout', state: newCallTransportState() }).kind).toBe('timeout_read');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'UND_ERR_SOCKET'])('%s → network', (code) => {
    const fetchError = new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
    const state = newCallTransportState();
    state.transportError = fetchError;
    expect(normalizeOpenAiError(new APIConnectionError({ cause: fetchError }), state).type).toBe('connection');
    const error = transportFailureToProviderError({ ...base, sdk: 'connection', state });
    expect(error.kind).toBe('network');
    expect(error.message).toContain(code);
  });

  it('finds codes inside AggregateError (happy-eyeballs connect)', () => {
    const agg = new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' })], 'all failed');
    expect(errorCodes(new TypeError('fetch failed', { cause: agg }))).toEqual(['ECONNREFUSED']);
  });

  it('undici headers timeout → timeout_read', () => {
    const state = newCallTransportState();
    state.transportError = new TypeError('fetch failed', { cause: Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }) });
    state.connected = true;
    expect(transportFailureToProviderError({ ...base, sdk: 'connection', state }).kind).toBe('timeout_read');
  });
});

describe('caller aborts', () => {
  it('deadline reasons', () => {
    expect(isDeadlineReason(new DOMException('signal timed out', 'TimeoutError'))).toBe(true);
    expect(isDeadlineReason(Object.assign(new Error('x'), { name: 'DeadlineExceededError' }))).toBe(true);
    expect(isDeadlineReason('deadline')).toBe(true);
    expect(isDeadlineReason(new DOMException('This operation was aborted', 'AbortError'))).toBe(false);
    expect(isDeadlineReason(new Error('hedge lost'))).toBe(false);
  });

  it('maps to deadline_exceeded with distinct messages; a ProviderError reason passes through', () => {
    expect(callerAbortToProviderError('openai', AbortSignal.timeout(0).reason ?? new DOMException('t', 'TimeoutError')).kind).toBe('deadline_exceeded');
    const aborted = callerAbortToProviderError('openai', new DOMException('This operation was aborted', 'AbortError'));
    expect(aborted.kind).toBe('deadline_exceeded');
    expect(aborted.message).toBe('openai: aborted by caller (AbortError: This operation was aborted)');
    expect(aborted.retryable).toBe(false);
    expect(aborted.countsAgainstArm).toBe(false);
    const reason = new ProviderError({ kind: 'circuit_open', message: 'x' });
    expect(callerAbortToProviderError('openai', reason)).toBe(reason);
  });
});
