import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { PRIMARY_SECONDARY, useStack } from './support/stack';

interface Chunk {
  model: string;
  choices: Array<{ delta: { content?: string } }>;
  switchyard?: { trace_id?: string; served_by?: { arm: string } };
}

/**
 * The front door's edges on one router process: streamed headers and chunk models (a mid-stream
 * switch included), a reused Idempotency-Key with another body, wrong methods, oversized headers
 * and a client that keeps sending past the 413.
 */
describe('front door edges', () => {
  const stack = useStack({
    prefix: 'fd-edges',
    sim: { latencyScale: 0.02, seed: 26 },
    arms: PRIMARY_SECONDARY,
    kafkaClients: false,
    router: {
      FRONTDOOR_ALLOW_UNAUTHENTICATED: 'true',
      ROUTER_MAX_MESSAGE_BYTES: '65536',
      // Tracing on, exported nowhere (the discard port): the trace id header needs a trace.
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
    },
  });
  const url = (path: string) => `http://127.0.0.1:${stack.router.port}${path}`;

  async function stream(body: Record<string, unknown>) {
    const res = await fetch(url('/v1/chat/completions'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stream: true, stream_options: { include_usage: true }, ...body }) });
    const text = await res.text();
    const chunks = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice('data: '.length)) as Chunk);
    return { res, chunks };
  }

  it('sends the trace id and the first arm as headers of a stream, and each chunk names the model that produced it', async () => {
    const { res, chunks } = await stream({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'Tell me about rail yards' }] });
    expect(res.status).toBe(200);
    const traceId = res.headers.get('x-switchyard-trace-id');
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(res.headers.get('x-switchyard-arm')).toBe('primary');
    expect(chunks.length).toBeGreaterThan(3);
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(['gpt-4o-mini']));
    expect(chunks.at(-1)!.switchyard?.trace_id).toBe(traceId);
  });

  it('names the next model in the chunks after a mid-stream switch, while the arm header keeps the first arm', async () => {
    stack.sim.patchModel('gpt-4o-mini', { faults: { streamCut: { afterTokens: 5, mode: 'fail' } } });
    try {
      const { res, chunks } = await stream({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'A long story about switches' }] });
      expect(res.headers.get('x-switchyard-arm')).toBe('primary');
      const models = chunks.filter((c) => c.choices[0]?.delta.content).map((c) => c.model);
      const switchAt = models.indexOf('claude-haiku-4-5');
      expect(switchAt).toBeGreaterThan(0);
      expect(models.slice(0, switchAt).every((m) => m === 'gpt-4o-mini')).toBe(true);
      expect(models.slice(switchAt).every((m) => m === 'claude-haiku-4-5')).toBe(true);
      expect(chunks.at(-1)!.switchyard?.served_by?.arm).toBe('secondary');
    } finally {
      stack.sim.patchModel('gpt-4o-mini', { faults: {} });
    }
  });

  it('refuses an Idempotency-Key reused with another body with 422, and repeats the stored answer for the same body', async () => {
    const post = (content: string) =>
      fetch(url('/v1/chat/completions'), { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'edges-key-1' }, body: JSON.stringify({ model: 'switchyard/auto', messages: [{ role: 'user', content }] }) });
    const first = await post('first question');
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { choices: unknown };
    const reused = await post('another question');
    expect(reused.status).toBe(422);
    expect(await reused.json()).toEqual({ error: { message: expect.stringContaining('different request body'), type: 'invalid_request_error', param: 'Idempotency-Key', code: 'idempotency_key_reused' } });
    const repeat = await post('first question');
    expect(repeat.status).toBe(200);
    expect(((await repeat.json()) as { choices: unknown }).choices).toEqual(firstBody.choices);
  });

  it('answers another method with 405 and Allow', async () => {
    const get = await fetch(url('/v1/chat/completions'));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(await get.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'method_not_allowed' } });
    const del = await fetch(url('/v1/models'), { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET');
  });

  it('answers a 100 KB Authorization header with 431 in OpenAI error shape', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(url('/v1/chat/completions'), { method: 'POST', headers: { authorization: `Bearer ${'k'.repeat(100_000)}`, 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(431);
    expect(JSON.parse(body)).toMatchObject({ error: { type: 'invalid_request_error', code: 'request_headers_too_large' } });
  });

  it('answers a client that keeps sending past the body limit with 413 and closes the connection before it is done', async () => {
    const outcome = await new Promise<{ head: string; sentBytes: number; closed: boolean }>((resolve) => {
      const socket = connect(stack.router.port, '127.0.0.1');
      let head = '';
      let sentBytes = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('connect', () => {
        socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
        // 16 KB every 20 ms, for up to 10 MB: a slow, endless upload.
        const piece = 'a'.repeat(16_384);
        timer = setInterval(() => {
          if (socket.destroyed || sentBytes > 10_000_000) return;
          socket.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
          sentBytes += piece.length;
        }, 20);
      });
      socket.on('data', (d: Buffer) => (head += d.toString()));
      const done = (closed: boolean) => {
        clearInterval(timer);
        resolve({ head, sentBytes, closed });
      };
      socket.on('close', () => done(true));
      socket.on('error', () => undefined);
      setTimeout(() => {
        socket.destroy();
        done(false);
      }, 20_000).unref();
    });
    expect(outcome.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(outcome.head).toMatch(/connection: close/i);
    expect(outcome.head).toContain('"code":"request_too_large"');
    expect(outcome.closed).toBe(true);
    expect(outcome.sentBytes).toBeLessThan(2_000_000);
  });
});
