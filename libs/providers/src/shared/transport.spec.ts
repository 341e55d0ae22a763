import { OpenAiProvider } from '../openai/openai-provider';
import { hasPython3, startBlackholeListener, startFakeServer } from '../testing/fake-http-server';
import { caught, testArm, testCall } from '../testing/fixtures';
import { EndpointTransport, resolveUndiciRuntime } from './transport';

describe('EndpointTransport', () => {
  it('finds an undici Agent (npm undici, else the one bundled with Node)', () => {
    const runtime = resolveUndiciRuntime();
    expect(runtime).not.toBeNull();
    expect(['undici', 'node-bundled']).toContain(runtime!.source);
  });

  it('keeps one keep-alive pool per connect timeout', async () => {
    const transport = new EndpointTransport();
    try {
      expect(transport.hasAgent).toBe(true);
      expect(transport.dispatcherFor(1000)).toBe(transport.dispatcherFor(1000));
      expect(transport.dispatcherFor(1000)).not.toBe(transport.dispatcherFor(2000));
    } finally {
      await transport.close();
    }
  });

  describe('whole-reply calls (undici request(), buffered reply)', () => {
    const completion = { id: 'c1', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'hello' } }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } };

    it('goes through request(), not fetch, and the SDK reads the reply as it reads a fetch Response', async () => {
      const runtime = resolveUndiciRuntime()!;
      if (!runtime.request) throw new Error('npm undici (a dependency) is expected to provide request()');
      let requests = 0;
      let fetches = 0;
      const counted = { ...runtime, request: ((...args: Parameters<NonNullable<typeof runtime.request>>) => (requests++, runtime.request!(...args))) as typeof runtime.request, fetch: ((...args: Parameters<typeof runtime.fetch>) => (fetches++, runtime.fetch(...args))) as typeof runtime.fetch };
      const server = await startFakeServer(() => ({ status: 200, headers: { 'x-request-id': 'req-1' }, body: completion }));
      const transport = new EndpointTransport({ runtime: counted });
      const provider = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-x-1234567' }, { transport });
      try {
        const reply = await provider.call(testCall(testArm()));
        expect(reply.text).toBe('hello');
        expect(reply.usage).toEqual({ inputTokens: 3, outputTokens: 1 });
        expect({ requests, fetches }).toEqual({ requests: 1, fetches: 0 });
      } finally {
        await provider.close();
        await server.close();
      }
    });

    it('an error status still reaches the SDK as a full Response, with the raw body kept for classification', async () => {
      const server = await startFakeServer(() => ({ status: 503, body: { error: { message: 'overloaded', type: 'server_error' } } }));
      const provider = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-x-1234567' });
      try {
        const error = await caught(() => provider.call(testCall(testArm())));
        expect(error.kind).toBe('server_error');
        expect(error.status).toBe(503);
        expect(error.message).toContain('overloaded');
      } finally {
        await provider.close();
        await server.close();
      }
    });
  });

  describe('streamed calls (undici request(), the body stream handed to the SDK)', () => {
    const sse = (payload: unknown) => `data: ${JSON.stringify(payload)}\n\n`;
    const piece = (content: string) => sse({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content }, finish_reason: null }] });
    const done = sse({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });

    function countingRuntime() {
      const runtime = resolveUndiciRuntime()!;
      if (!runtime.request) throw new Error('npm undici (a dependency) is expected to provide request()');
      const counts = { requests: 0, fetches: 0 };
      const counted = {
        ...runtime,
        request: ((...args: Parameters<NonNullable<typeof runtime.request>>) => (counts.requests++, runtime.request!(...args))) as typeof runtime.request,
        fetch: ((...args: Parameters<typeof runtime.fetch>) => (counts.fetches++, runtime.fetch(...args))) as typeof runtime.fetch,
      };
      return { counts, runtime: counted };
    }

    it('go through request(), not fetch, and each piece reaches the caller', async () => {
      const { counts, runtime } = countingRuntime();
      const server = await startFakeServer(() => ({ sse: [piece('Hel'), piece('lo'), done, 'data: [DONE]\n\n'] }));
      const provider = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-x-1234567' }, { transport: new EndpointTransport({ runtime }) });
      try {
        const pieces: string[] = [];
        const reply = await provider.stream(testCall(testArm()), (t) => pieces.push(t));
        expect(pieces).toEqual(['Hel', 'lo']);
        expect(reply.text).toBe('Hello');
        expect(counts).toEqual({ requests: 1, fetches: 0 });
      } finally {
        await provider.close();
        await server.close();
      }
    });

    it('a caller abort mid-stream ends the call as the caller aborted it, after the pieces that came', async () => {
      const server = await startFakeServer(() => ({ sse: [piece('Hel')], hold: true }));
      const provider = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-x-1234567' });
      const caller = new AbortController();
      try {
        const pieces: string[] = [];
        const error = await caught(() =>
          provider.stream(testCall(testArm(), { signal: caller.signal }), (t) => {
            pieces.push(t);
            caller.abort(new Error('client went away'));
          }),
        );
        expect(pieces).toEqual(['Hel']);
        expect(error.kind).toBe('deadline_exceeded');
        expect(error.message).toContain('aborted by caller (Error: client went away)');
      } finally {
        await provider.close();
        await server.close();
      }
    });

    it('an error status is read whole and classified, as for a whole-reply call', async () => {
      const server = await startFakeServer(() => ({ status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'slow down', type: 'rate_limit_error' } } }));
      const provider = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-x-1234567' });
      try {
        const error = await caught(() => provider.stream(testCall(testArm()), () => undefined));
        expect(error.kind).toBe('rate_limited');
        expect(error.message).toContain('slow down');
      } finally {
        await provider.close();
        await server.close();
      }
    });
  });

  describe('without an undici Agent (global fetch + connect watchdog)', () => {
    it('still works and counts one request per call', async () => {
      const server = await startFakeServer(() => ({ status: 503, body: { error: { message: 'busy', type: 'server_error' } } }));
      const transport = new EndpointTransport({ runtime: null });
      const provider = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-x-1234567' }, { transport });
      try {
        expect(transport.hasAgent).toBe(false);
        const error = await caught(() => provider.call(testCall(testArm())));
        expect(error.kind).toBe('server_error');
        expect(server.requests).toHaveLength(1);
      } finally {
        await provider.close();
        await server.close();
      }
    });

    (hasPython3() ? it : it.skip)('enforces connectMs with the watchdog → timeout_connect', async () => {
      const blackhole = await startBlackholeListener();
      const transport = new EndpointTransport({ runtime: null });
      const provider = new OpenAiProvider(
        { name: 'openai', kind: 'openai', baseUrl: `http://127.0.0.1:${blackhole.port}/v1`, apiKey: 'sk-x-1234567' },
        { transport },
      );
      try {
        const started = Date.now();
        const error = await caught(() => provider.call(testCall(testArm({ timeouts: { connectMs: 200, totalMs: 3000 } }))));
        expect(error.kind).toBe('timeout_connect');
        expect(Date.now() - started).toBeLessThan(1500);
      } finally {
        await provider.close();
        await blackhole.close();
      }
    });

    (hasPython3() ? it : it.skip)('a total timeout before any connection → timeout_connect, not timeout_read', async () => {
      const blackhole = await startBlackholeListener();
      const provider = new OpenAiProvider({ name: 'openai', kind: 'openai', baseUrl: `http://127.0.0.1:${blackhole.port}/v1`, apiKey: 'sk-x-1234567' });
      try {
        // connectMs longer than totalMs: the total timer fires first, but nothing ever connected.
        const error = await caught(() => provider.call(testCall(testArm({ timeouts: { connectMs: 5000, totalMs: 200 } }))));
        expect(error.kind).toBe('timeout_connect');
      } finally {
        await provider.close();
        await blackhole.close();
      }
    });
  });
});
