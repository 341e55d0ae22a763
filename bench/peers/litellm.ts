// The LiteLLM proxy (the leading open-source peer) as a benchmark arm for `npm run bench:peers`:
// installs it (infra/litellm.sh), writes its config.yaml with its strongest reliability settings,
// runs it on loopback against the provider simulator, and calls it the way a client would.
//
// Offline: it runs with a scrubbed environment (no inherited keys, proxies, DATABASE_URL), no
// database, no admin UI, and every LITELLM_LOCAL_* switch of the pinned version (bench/peers/
// requirements-litellm.txt) so the cost map, Anthropic beta headers, blog feed, policy templates
// and auto-router presets come from the package, never from the network (that version has no
// LITELLM_OFFLINE_MODE, and no telemetry: --telemetry is a no-op). Checked with strace: the only
// connections it opens are to the simulator.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from '../support/env';
import { numHeader, postChat, type ChatBody, type PeerCallResult, type PeerRequest } from './chat-call';
import type { PeerArm } from './peer-arm';
import { installPeer, startPeerProcess, type PeerProcess } from './peer-process';

export type { PeerArm } from './peer-arm';

export interface LiteLLMSettings {
  /** router num_retries: re-tries within the pool after the first failure. */
  numRetries: number;
  /** router allowed_fails: failed requests a deployment may have within cooldownTimeS before it is cooled down. */
  allowedFails: number;
  /** router cooldown_time (s), used when the failure carries no Retry-After. */
  cooldownTimeS: number;
  routingStrategy: string;
  /** routing_strategy_args.lowest_latency_buffer: pick randomly among deployments within this fraction of the fastest. */
  lowestLatencyBuffer: number;
  /** Per-arm fallback groups behind the pool (fallbacks, context_window_fallbacks, content_policy_fallbacks). */
  fallbacks: boolean;
  /** router enable_pre_call_checks: skip deployments whose context window the prompt exceeds. */
  preCallChecks: boolean;
}

export const LITELLM_STRONGEST: LiteLLMSettings = {
  // A retry re-picks a deployment in the pool with no back-off while a healthy one is left (cooled
  // down ones excluded), so 3 retries can reach every arm of a 3-4 arm pool before the fallbacks.
  numRetries: 3,
  // Cool a deployment down on its first failed request. LiteLLM counts a failure once per client
  // request (its failure callback runs once per request, not per retry), and latency-based
  // routing does not penalise a 5xx (only timeouts), so with any higher value the retries of that
  // request go back to the same failing deployment. 0 is the only value with which a retry avoids
  // it. Cost: one transient 5xx takes the deployment out for cooldownTimeS. 400s (context window,
  // content policy) never cool a deployment down.
  allowedFails: 0,
  // Without Retry-After (5xx outages, timeouts): 5 s out of rotation (LiteLLM's default), then one
  // live request probes it again. Short, because allowedFails 0 also ejects on transient errors;
  // a probe of a dead deployment costs one fast failure and an instant retry elsewhere. A 429's
  // Retry-After overrides it (LiteLLM uses the header as that cooldown's length).
  cooldownTimeS: 5,
  // The "latency-based routing": lowest rolling mean latency per output token (last 10).
  routingStrategy: 'latency-based-routing',
  // Always the fastest: spreading load only helps under provider rate limits, which cooldowns handle.
  lowestLatencyBuffer: 0,
  fallbacks: true,
  preCallChecks: true,
};

/** The model group clients request: every arm, one deployment each. */
export const POOL_MODEL = 'switchyard-peer-pool';
const fallbackGroup = (arm: PeerArm) => `fallback-${arm.id}`;

export const LITELLM_VENV = join(REPO_ROOT, '.cache', 'litellm-venv');

/** Installs (or finds) the pinned LiteLLM in .cache/litellm-venv via infra/litellm.sh. */
export async function ensureLiteLLM(): Promise<{ python: string; version: string }> {
  return { python: join(LITELLM_VENV, 'bin', 'python'), version: await installPeer('infra/litellm.sh') };
}

const perToken = (per1M: number) => Number((per1M / 1e6).toPrecision(12));

function deployment(simUrl: string, arm: PeerArm, group: string, id: string, numRetries?: number) {
  return {
    model_name: group,
    litellm_params: {
      model: `${arm.api}/${arm.model}`,
      // LiteLLM appends /v1/messages to an Anthropic api_base that lacks it; the OpenAI SDK appends /chat/completions.
      api_base: arm.api === 'openai' ? `${simUrl}/openai/v1` : `${simUrl}/anthropic`,
      api_key: 'sk-switchyard-bench',
      timeout: arm.timeoutMs / 1000,
      stream_timeout: arm.timeoutMs / 1000,
      input_cost_per_token: perToken(arm.inputPer1M),
      output_cost_per_token: perToken(arm.outputPer1M),
      ...(numRetries === undefined ? {} : { num_retries: numRetries }),
    },
    model_info: { id, mode: 'chat', max_input_tokens: arm.contextWindow },
  };
}

/**
 * The proxy's config.yaml. Layout: one pool group (POOL_MODEL) holding every arm as a deployment,
 * which is what LiteLLM's routing strategies, retries and cooldowns work on: latency-based routing
 * picks among the pool's healthy deployments, a failed attempt is retried at once on another (if
 * the failed one was cooled down; see allowedFails), and a failing deployment is cooled down
 * pool-wide. LiteLLM falls back from one group to another only after the group's retries are
 * spent (e.g. the whole pool is cooled down), so each arm is also its own single-deployment group
 * `fallback-<id>` (own deployment ids, so the pool's cooldowns do not hide them), tried in arm
 * order (context-window fallbacks: largest window first). Those deployments get num_retries 0:
 * LiteLLM retries a single-deployment group on the same deployment with exponential back-off or
 * Retry-After sleeps (seen: 4 attempts over 9 s on a model in outage). The order is static, so it
 * includes the arm that just failed; its fallback deployment is cooled down after one failure too.
 * A request fails only after num_retries + 1 pool attempts and one attempt per fallback group.
 */
export function liteLLMConfigYaml(simUrl: string, arms: PeerArm[], s: LiteLLMSettings): string {
  const fb = s.fallbacks ? arms.map(fallbackGroup) : [];
  const byWindow = [...arms].sort((a, b) => b.contextWindow - a.contextWindow).map(fallbackGroup);
  const config = {
    model_list: [
      ...arms.map((a) => deployment(simUrl, a, POOL_MODEL, a.id)),
      ...(s.fallbacks ? arms.map((a) => deployment(simUrl, a, fallbackGroup(a), `${a.id}#fallback`, 0)) : []),
    ],
    router_settings: {
      routing_strategy: s.routingStrategy,
      routing_strategy_args: { lowest_latency_buffer: s.lowestLatencyBuffer },
      num_retries: s.numRetries,
      allowed_fails: s.allowedFails,
      cooldown_time: s.cooldownTimeS,
      enable_pre_call_checks: s.preCallChecks,
      ...(s.fallbacks
        ? {
            fallbacks: [{ [POOL_MODEL]: fb }],
            context_window_fallbacks: [{ [POOL_MODEL]: byWindow }],
            content_policy_fallbacks: [{ [POOL_MODEL]: fb }],
            max_fallbacks: arms.length,
          }
        : {}),
    },
    litellm_settings: {
      drop_params: true, // a fallback to another API must not fail on a parameter it lacks
      request_timeout: Math.max(...arms.map((a) => a.timeoutMs)) / 1000,
    },
    general_settings: {
      // Forwards every x-* client header (x-switchyard-request-id) to the provider.
      forward_client_headers_to_llm_api: true,
    },
  };
  return `# Written by bench/peers/litellm.ts; see liteLLMConfigYaml there for the layout.\n${stringify(config, { aliasDuplicateObjects: false })}`;
}

/** The environment of the proxy: nothing inherited but PATH/HOME/LANG, and every offline switch. */
export function liteLLMEnv(masterKey: string): Record<string, string> {
  return {
    PATH: `${join(LITELLM_VENV, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? '/tmp',
    LANG: process.env.LANG ?? 'C.UTF-8',
    PYTHONUNBUFFERED: '1',
    LITELLM_MASTER_KEY: masterKey,
    LITELLM_MODE: 'PRODUCTION', // DEV (the default) loads a .env from the working directory
    LITELLM_LOCAL_MODEL_COST_MAP: 'True',
    LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS: 'True',
    LITELLM_LOCAL_BLOG_POSTS: 'True',
    LITELLM_LOCAL_POLICY_TEMPLATES: 'True',
    LITELLM_LOCAL_AUTOROUTER_PRESETS: 'True',
    DISABLE_ADMIN_UI: 'True',
    LITELLM_DONT_SHOW_FEEDBACK_BOX: 'True',
    HF_HUB_OFFLINE: '1',
    NO_PROXY: '*',
  };
}

export interface LiteLLMProxy extends PeerProcess {
  /** The model name clients request (the pool group). */
  model: string;
  /** Bearer token (the proxy's master key, random per start). */
  apiKey: string;
  configPath: string;
}

export async function startLiteLLM(opts: {
  simUrl: string;
  arms: PeerArm[];
  settings?: LiteLLMSettings;
  logDir: string;
  readyTimeoutMs?: number;
  /** Extra environment for the proxy, e.g. { LITELLM_LOG: 'DEBUG' }. */
  env?: Record<string, string>;
}): Promise<LiteLLMProxy> {
  // Absolute: the proxy runs in its own working directory.
  const logDir = resolve(opts.logDir);
  mkdirSync(logDir, { recursive: true });
  const configPath = join(logDir, 'litellm-config.yaml');
  writeFileSync(configPath, liteLLMConfigYaml(opts.simUrl, opts.arms, opts.settings ?? LITELLM_STRONGEST));
  const apiKey = `sk-${randomBytes(24).toString('hex')}`;
  const proc = await startPeerProcess({
    name: 'LiteLLM',
    logDir,
    logFile: 'litellm.log',
    command: (port) => ({
      file: join(LITELLM_VENV, 'bin', 'litellm'),
      args: ['--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'],
      env: { ...liteLLMEnv(apiKey), ...opts.env },
    }),
    readyPath: '/health/readiness',
    readyTimeoutMs: opts.readyTimeoutMs ?? 90_000,
    pollMs: 200,
    killGraceMs: 10_000,
  });
  return { ...proc, model: POOL_MODEL, apiKey, configPath };
}

/**
 * servedModel: from x-litellm-model-name. errorType: LiteLLM's error.type (or error.code),
 * `timeout` (client deadline) or `connection`. retries: x-litellm-attempted-retries when LiteLLM
 * reports it.
 */
export interface LiteLLMCallResult extends PeerCallResult {
  /** LiteLLM's exception class from the message (RateLimitError, ContextWindowExceededError, ...). */
  exception: string | null;
  /** x-litellm-attempted-fallbacks when LiteLLM reports it. */
  fallbacks: number | null;
  /** x-litellm-response-cost (USD, from the arms' prices), or null. */
  costUsd: number | null;
}

/**
 * The exception class LiteLLM names in an error message's first line ("litellm.BadRequestError:
 * litellm.ContentPolicyViolationError: ..."): the specific 400 kinds first, else the first named.
 */
function exceptionName(message: string): string | null {
  const names = [...(message.split('\n')[0] ?? '').matchAll(/litellm\.(\w+Error)\b/g)].map((m) => m[1]);
  return names.find((n) => n === 'ContextWindowExceededError' || n === 'ContentPolicyViolationError') ?? names[0] ?? null;
}

/** One chat completion through the proxy; never throws. */
export async function callLiteLLM(url: string, req: PeerRequest & { model: string; apiKey: string }): Promise<LiteLLMCallResult> {
  return postChat<ChatBody, LiteLLMCallResult>(url, { ...req, headers: { authorization: `Bearer ${req.apiKey}` } }, (result, reply) => {
    const served = reply?.res.headers.get('x-litellm-model-name');
    return {
      ...result,
      servedModel: served ? served.replace(/^(openai|anthropic)\//, '') : null,
      retries: reply ? numHeader(reply.res.headers, 'x-litellm-attempted-retries') : null,
      fallbacks: reply ? numHeader(reply.res.headers, 'x-litellm-attempted-fallbacks') : null,
      costUsd: reply && result.ok ? numHeader(reply.res.headers, 'x-litellm-response-cost') : null,
      exception: reply?.message === undefined ? null : exceptionName(reply.message),
    };
  });
}
