import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import http, { IncomingHttpHeaders } from 'node:http';
import net, { AddressInfo } from 'node:net';

/**
 * Test support (not exported from the package): an in-process HTTP server on port 0 that answers
 * with scripted provider replies and records every request that reaches it.
 */

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export type ScriptedReply =
  | { status: number; headers?: Record<string, string>; body?: unknown }
  /** Accept the request and never answer. */
  | { hang: true }
  /** Send status + headers, then never finish the body. */
  | { hangBody: true; status?: number }
  /** Destroy the socket without answering. */
  | { destroy: true }
  /**
   * Server-sent events (each string one event's text); `cut`: close the connection after them,
   * unfinished; `hold`: keep the response open after them (a stream that goes silent).
   */
  | { sse: string[]; cut?: boolean; hold?: boolean };

export interface FakeServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** TCP connections accepted so far (keep-alive reuse check). */
  connections: number;
  close(): Promise<void>;
}

export async function startFakeServer(
  script: (req: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>,
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const state = { connections: 0 };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      // keep raw text
    }
    const recorded: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
    requests.push(recorded);
    const reply = await script(recorded);
    if ('hang' in reply) return;
    if ('destroy' in reply) {
      req.socket.destroy();
      return;
    }
    if ('sse' in reply) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const event of reply.sse) res.write(event);
      if (reply.cut) req.socket.end();
      else if (!reply.hold) res.end();
      return;
    }
    if ('hangBody' in reply) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' });
      res.write('{"id":"partial",');
      return;
    }
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(text);
  });
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on which nothing listens (connection refused). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function hasPython3(): boolean {
  try {
    return spawnSync('python3', ['-c', 'print(1)'], { timeout: 5000 }).status === 0;
  } catch {
    return false;
  }
}

/**
 * A genuine TCP connect timeout on loopback: a listening socket with backlog 0 that never
 * accept()s (Node cannot make one: net.Server always accepts), so once one connection fills the
 * accept queue the kernel drops further SYNs and connect() hangs. Needs python3.
 */
export async function startBlackholeListener(): Promise<{ port: number; close(): Promise<void> }> {
  const child: ChildProcess = spawn(
    'python3',
    [
      '-c',
      'import socket,sys\n' +
        's=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0)\n' +
        'print(s.getsockname()[1], flush=True)\n' +
        'sys.stdin.read()\n',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  // Fill the accept queue, then wait until a probe really hangs.
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    fillers.push(socket);
    const connected = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      setTimeout(() => resolve(false), 300);
    });
    if (!connected) break;
  }
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      child.stdin!.end();
      child.kill();
    },
  };
}
