// Proves the LiteLLM side of the peer benchmark end to end, in about a minute: installs LiteLLM,
// runs it against a 3-model provider simulator (2 OpenAI, 1 Anthropic) and checks that every
// request succeeds in three phases: baseline; an outage of the model LiteLLM prefers (it must
// route around it); a 429 storm with Retry-After on that model. Prints per phase the successes,
// client latency p50/p95 and the simulator's attempts per request by model. The phases, report
// and pass criteria are bench/peers/smoke-harness.ts; this file holds what is LiteLLM's own.
//
//   npm run build && node dist/bench/peers/litellm-smoke.js [--requests 30] [--log-dir DIR]
//
// Exits 1 if a phase has a failed request, or if an upstream call is not attributed to one of
// the requests (x-switchyard-request-id not forwarded).
import { callLiteLLM, ensureLiteLLM, startLiteLLM, type LiteLLMCallResult } from './litellm';
import { runSmoke, SMOKE_ARMS } from './smoke-harness';

const sum = (rs: LiteLLMCallResult[], f: (r: LiteLLMCallResult) => number | null) => rs.reduce((s, r) => s + (f(r) ?? 0), 0);

runSmoke<LiteLLMCallResult>({
  name: 'litellm',
  install: async () => `litellm ${(await ensureLiteLLM()).version}`,
  start: async (simUrl, logDir) => {
    const proxy = await startLiteLLM({ simUrl, arms: SMOKE_ARMS, logDir });
    return {
      peer: { call: (req) => callLiteLLM(proxy.url, { ...req, model: proxy.model, apiKey: proxy.apiKey }), close: () => proxy.close() },
      ready: `litellm proxy ready on ${proxy.url}`,
      about: ` (config ${proxy.configPath})`,
    };
  },
  simModelKey: (c) => c.model ?? '?',
  simModelWidth: 13,
  errorLabel: (r) => `${r.exception ?? r.errorType}`,
  retrySummary: (ok) => `LiteLLM-reported retries ${sum(ok, (r) => r.retries)}, fallbacks ${sum(ok, (r) => r.fallbacks)}`,
});
