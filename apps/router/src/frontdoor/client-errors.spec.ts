import { clientErrorResponse } from './client-errors';

function parse(raw: string) {
  const [head, body] = raw.split('\r\n\r\n');
  const [statusLine, ...headers] = head.split('\r\n');
  return { statusLine, headers: Object.fromEntries(headers.map((h) => h.split(': '))), body: JSON.parse(body) as unknown, bodyBytes: Buffer.byteLength(body) };
}

describe('clientErrorResponse', () => {
  it("answers headers over Node's limit with 431 in OpenAI's error shape and closes", () => {
    const r = parse(clientErrorResponse(Object.assign(new Error('Header overflow'), { code: 'HPE_HEADER_OVERFLOW' }), 16_384));
    expect(r.statusLine).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(r.headers).toEqual({ 'content-type': 'application/json', 'content-length': String(r.bodyBytes), connection: 'close' });
    expect(r.body).toEqual({ error: { message: expect.stringContaining('16384 bytes'), type: 'invalid_request_error', param: null, code: 'request_headers_too_large' } });
  });

  it('answers other parser errors with 400 malformed_request', () => {
    const r = parse(clientErrorResponse(Object.assign(new Error('Invalid method'), { code: 'HPE_INVALID_METHOD' }), 16_384));
    expect(r.statusLine).toBe('HTTP/1.1 400 Bad Request');
    expect(r.body).toMatchObject({ error: { code: 'malformed_request' } });
  });
});
