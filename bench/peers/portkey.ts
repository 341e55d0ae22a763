// The Portkey AI gateway (open-source, npm @portkey-ai/gateway) as a benchmark arm for
// `npm run bench:peers`: installs it (infra/portkey.sh), builds its routing config with its
// strongest reliability settings, runs it on loopback against the provider simulator, and calls it
// the way a client would. The gateway keeps no routing config of its own: the config travels with
// every request in the `x-portkey-config` header (JSON, snake_case), so `portkeyConfig` is the
// whole setup.
//
// Offline: the pinned build (infra/portkey.sh) makes no call of its own at start-up or per request
// with this config; its remote calls are all opt-in: the control plane (ALBUS_BASEPATH), Redis
// (REDIS_CONNECTION_STRING), cloud credential look-ups (AWS/Azure/GCP providers only), outbound
// proxies (HTTP(S)_PROXY) and the partner guardrail plugins (none configured here). The child runs
// with a scrubbed environment (none of those variables), NODE_ENV=production and --headless (no
// log UI), TRUSTED_CUSTOM_HOSTS=127.0.0.1 (custom_host may only name the simulator's host), and
// a preload that pins its listener to 127.0.0.1 (the gateway passes no host, so it would listen
// on every interface). Checked with strace: its only connections are to the simulator.
import { join } from 'node:path';
import { REPO_ROOT } from '../support/env';
import { numHeader, postChat, REQUEST_ID_HEADER, type ChatBody, type PeerCallResult, type PeerRequest } from './chat-call';
import type { PeerArm } from './peer-arm';
import { installPeer, startPeerProcess, type PeerProcess } from './peer-process';

export interface PortkeySettings {
  /**
   * First pass: every arm once, in arm order (primary first), no retries: `strategy.mode:
   * fallback` moves on at once, and without a cooldown or circuit breaker (the open-source gateway
   * has neither) every request starts at the primary again.
   */
  fallback: boolean;
  /**
   * Second pass, reached when every arm failed once and the last failure was transient
   * (retryOnStatusCodes): the arms again, each with `retry.attempts` = this (async-retry back-off
   * 1 s, 2 s, 4 s, ... on the same arm) before the next. 0: no second pass.
   */
  secondPassRetries: number;
  /** retry.on_status_codes: what a retry is for (transient: timeouts, rate limits, 5xx). */
  retryOnStatusCodes: number[];
  /**
   * retry.use_retry_after_header: meant to sleep a 429's retry-after-ms / retry-after before
   * retrying the same arm (giving up if ≥ 60 s or beyond a 60 s budget). Broken in 1.15.2: the
   * code sets `_timeouts` on an argument async-retry does not pass, the TypeError is retried with
   * the ordinary back-off, and the last one comes back as an HTTP 500 ("Cannot set properties of
   * undefined (setting '_timeouts')") instead of the 429.
   */
  useRetryAfterHeader: boolean;
  /** strategy.on_status_codes of the fallbacks; null = fall over on any non-2xx (Portkey's default). */
  fallbackOnStatusCodes: number[] | null;
  /**
   * An output guardrail (the built-in `default.characterCount`, min 1 character, deny) that turns
   * an empty completion into an HTTP 446, which the fallback then moves past: how the gateway can
   * fall back on a 200 whose content the provider's filter removed (finish_reason content_filter /
   * Anthropic refusal, no text). Runs in-process.
   */
  emptyCompletionFallback: boolean;
  /**
   * `strategy.mode: loadbalance` at the top: requests are spread (uniform weights, random) over
   * one fallback chain per arm, each starting at that arm. Off: all traffic starts at the primary.
   * The config header grows N-fold (9 KB with 4 arms; Node's default header limit is 16 KB).
   */
  loadbalance: boolean;
}

export const PORTKEY_STRONGEST: PortkeySettings = {
  // A failed attempt (timeout, 429, 5xx, a 400 the next arm may not give: context window, content
  // policy) moves to the next arm at once. A retry on the same arm first costs its back-off (1 s,
  // then 2 s, ...) on every request for as long as the arm is down, since nothing remembers that
  // it is down; so retries come after every arm was tried once.
  fallback: true,
  // Only when every arm failed: each arm again with up to 2 retries (1 s + 2 s back-off), i.e.
  // ~3 s + 3 fast failures per arm, which fits the scenarios' 30 s deadlines.
  secondPassRetries: 2,
  retryOnStatusCodes: [408, 429, 500, 502, 503, 504, 529],
  // Broken in this version (see above); and a 10 s Retry-After would be spent waiting on an arm
  // that said it is limited, where the back-off retries sooner.
  useRetryAfterHeader: false,
  fallbackOnStatusCodes: null,
  emptyCompletionFallback: true,
  // Weighted-random spread over arms without health or latency awareness: it sends most traffic
  // away from the primary (the fastest/cheapest in the scenarios) and does not avoid a dead arm.
  loadbalance: false,
};

export const PORTKEY_PREFIX = join(REPO_ROOT, '.cache', 'portkey-gateway');
export const PORTKEY_ENTRY = join(PORTKEY_PREFIX, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
/** The request header that carries our request id; forwarded to the provider (forward_headers). */
export { REQUEST_ID_HEADER };
/** The model name clients send; every target overrides it with its own (override_params.model). */
export const PORTKEY_MODEL = 'switchyard-peer-pool';

/** Installs (or finds) the pinned gateway in .cache/portkey-gateway via infra/portkey.sh. */
export async function ensurePortkey(): Promise<{ entry: string; version: string }> {
  return { entry: PORTKEY_ENTRY, version: await installPeer('infra/portkey.sh') };
}

/** One arm as a gateway target: its provider's adapter, pointed at the simulator. */
function target(simUrl: string, arm: PeerArm, retry: { attempts: number; on_status_codes?: number[]; use_retry_after_header?: boolean }) {
  return {
    provider: arm.api, // 'openai' | 'anthropic': the gateway's own adapters, so Anthropic arms speak the Messages API
    api_key: 'sk-switchyard-bench',
    // The adapters append /chat/completions (OpenAI) and /messages (Anthropic) to the host.
    custom_host: arm.api === 'openai' ? `${simUrl}/openai/v1` : `${simUrl}/anthropic/v1`,
    override_params: { model: arm.model },
    // Per attempt (each retry gets its own); a timed-out attempt is an HTTP 408 to the strategy.
    request_timeout: arm.timeoutMs,
    retry,
  };
}

export type PortkeyConfig = Record<string, unknown>;

/**
 * The arms as one fallback chain: a first pass over every arm without retries, falling over on
 * any failure; then, if the first pass ended on a transient status (retryOnStatusCodes), a second
 * pass with retries, falling over on transient statuses only (a 400 or a guardrail denial would
 * only repeat).
 */
function chain(simUrl: string, arms: PeerArm[], s: PortkeySettings): PortkeyConfig {
  const anyFailure = { mode: 'fallback', ...(s.fallbackOnStatusCodes ? { on_status_codes: s.fallbackOnStatusCodes } : {}) };
  const transient = { mode: 'fallback', on_status_codes: s.retryOnStatusCodes };
  const retry = { attempts: s.secondPassRetries, on_status_codes: s.retryOnStatusCodes, use_retry_after_header: s.useRetryAfterHeader };
  if (!s.fallback) return { strategy: anyFailure, targets: [target(simUrl, arms[0], retry)] };
  const firstPass = { strategy: anyFailure, targets: arms.map((a) => target(simUrl, a, { attempts: 0 })) };
  if (s.secondPassRetries <= 0) return firstPass;
  return { strategy: transient, targets: [firstPass, { strategy: transient, targets: arms.map((a) => target(simUrl, a, retry)) }] };
}

/**
 * The gateway config sent with every request (`x-portkey-config`). Layout (the default):
 *
 *   fallback on transient statuses [
 *     fallback on any failure [arm0, arm1, ..., armN],               // config.targets[0].targets[i]
 *     fallback on transient statuses [arm0 .. armN, each with retry], // config.targets[1].targets[i]
 *   ]
 *
 * Each arm is its provider's adapter with custom_host = the simulator and its model as an
 * override. The gateway walks the tree depth-first until a target answers 2xx; the last response
 * (a failure) is returned as is. With `loadbalance`, the top is a loadbalance over N such chains, chain i
 * starting at arm i. forward_headers passes our request id to the provider (every hop, including
 * retries); strict_open_ai_compliance false keeps the provider's finish reason (Anthropic's
 * `refusal` would otherwise become `stop`).
 */
export function portkeyConfig(simUrl: string, arms: PeerArm[], s: PortkeySettings = PORTKEY_STRONGEST): PortkeyConfig {
  if (arms.length === 0) throw new Error('portkeyConfig: no arms');
  const top = s.loadbalance
    ? { strategy: { mode: 'loadbalance' }, targets: arms.map((_, i) => ({ ...chain(simUrl, [...arms.slice(i), ...arms.slice(0, i)], s), weight: 1 })) }
    : chain(simUrl, arms, s);
  return {
    ...top,
    forward_headers: [REQUEST_ID_HEADER],
    strict_open_ai_compliance: false,
    // failOnError: an empty text is an error to this check ("Missing text to analyze"), which
    // would otherwise count as a pass.
    ...(s.emptyCompletionFallback
      ? { output_guardrails: [{ 'default.characterCount': { minCharacters: 1, maxCharacters: 2 ** 31 - 1, failOnError: true }, deny: true }] }
      : {}),
  };
}

/**
 * The model of the target at a config path as the gateway reports it in
 * x-portkey-last-used-option-index (`config.targets[1].targets[2]`), or null: which arm answered,
 * whatever model name the provider put in its response.
 */
export function modelAtTarget(config: PortkeyConfig, path: string | null): string | null {
  if (!path?.startsWith('config')) return null;
  let node: unknown = config;
  for (const m of path.slice('config'.length).matchAll(/\.targets\[(\d+)\]/g)) {
    node = (node as { targets?: unknown[] } | undefined)?.targets?.[Number(m[1])];
  }
  const model = (node as { override_params?: { model?: unknown } } | undefined)?.override_params?.model;
  return typeof model === 'string' ? model : null;
}

/**
 * Loaded with --import before the gateway: its server calls listen(port) with no host (every
 * interface); this makes such a call listen on 127.0.0.1 only.
 */
const LOOPBACK_PRELOAD = `data:text/javascript,${encodeURIComponent(
  "import net from 'node:net'; const listen = net.Server.prototype.listen; " +
    "net.Server.prototype.listen = function (...a) { if (typeof a[0] === 'number' && (a[1] === undefined || typeof a[1] === 'function')) a.splice(1, a[1] === undefined ? 1 : 0, '127.0.0.1'); return listen.apply(this, a); };",
)}`;

/** The environment of the gateway: nothing inherited but PATH/HOME/LANG, and the offline switches. */
export function portkeyEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: process.env.LANG ?? 'C.UTF-8',
    NODE_ENV: 'production', // with --headless: no /public log UI
    TRUSTED_CUSTOM_HOSTS: '127.0.0.1',
  };
}

export type PortkeyGateway = PeerProcess;

export async function startPortkey(opts: { logDir: string; readyTimeoutMs?: number; env?: Record<string, string> }): Promise<PortkeyGateway> {
  return startPeerProcess({
    name: 'Portkey gateway',
    logDir: opts.logDir,
    logFile: 'portkey.log',
    command: (port) => ({
      file: process.execPath,
      args: [`--import=${LOOPBACK_PRELOAD}`, PORTKEY_ENTRY, `--port=${port}`, '--headless'],
      env: { ...portkeyEnv(), ...opts.env },
    }),
    readyPath: '/',
    readyBodyIncludes: 'AI Gateway',
    readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
    pollMs: 100,
    killGraceMs: 5_000,
  });
}

/**
 * servedModel: the provider response's `model`. finishReason: in OpenAI's words (stop | length |
 * content_filter | tool_calls; Anthropic's mapped). errorType: the provider error's type (or
 * code), Portkey's `hooks_failed`, `timeout` (client deadline), `connection`, or `http_<status>`.
 * retries: x-portkey-retry-attempt-count of the last target, retries spent on it (-1: all spent).
 */
export interface PortkeyCallResult extends PeerCallResult {
  /** x-portkey-last-used-option-index: the config path of the target that answered last, e.g. `config.targets[1]`. */
  servedTarget: string | null;
  /** The provider error's code (context_length_exceeded, content_policy_violation, rate_limit_exceeded), if any. */
  errorCode: string | null;
}

interface PortkeyBody extends ChatBody {
  /** The gateway's own failures: { status: 'failure', message }. */
  status?: string;
  message?: string;
  /** A transport failure or exception in an attempt: "Message: fetch failed Cause: ... Name: TypeError". */
  'html-message'?: string;
}

/** Provider finish reasons that strict_open_ai_compliance=false leaves unmapped, in OpenAI's words. */
const FINISH: Record<string, string> = { end_turn: 'stop', stop_sequence: 'stop', max_tokens: 'length', refusal: 'content_filter', tool_use: 'tool_calls' };

/** One chat completion through the gateway; never throws. */
export async function callPortkey(url: string, req: PeerRequest & { config: PortkeyConfig | string }): Promise<PortkeyCallResult> {
  return postChat<PortkeyBody, PortkeyCallResult>(
    url,
    {
      ...req,
      model: PORTKEY_MODEL,
      headers: { 'x-portkey-config': typeof req.config === 'string' ? req.config : JSON.stringify(req.config) },
      // Not JSON: e.g. the gateway's "Message: fetch failed" text on a refused connection.
      errorMessage: (body) => body.message ?? body['html-message'],
    },
    (result, reply) => {
      const code = reply?.body.error?.code;
      return {
        ...result,
        servedModel: result.ok ? (reply?.body.model ?? null) : null,
        finishReason: result.finishReason === null ? null : (FINISH[result.finishReason] ?? result.finishReason),
        servedTarget: reply?.res.headers.get('x-portkey-last-used-option-index') ?? null,
        retries: reply ? numHeader(reply.res.headers, 'x-portkey-retry-attempt-count') : null,
        errorCode: !result.ok && code != null ? String(code) : null,
      };
    },
  );
}
