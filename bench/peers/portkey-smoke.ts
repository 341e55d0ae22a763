// Proves the Portkey side of the peer benchmark end to end, in well under a minute: installs the
// Portkey AI gateway, runs it against a 3-model provider simulator (2 OpenAI, 1 Anthropic) with
// its strongest reliability config (bench/peers/portkey.ts) and checks that every request
// succeeds in three phases: baseline; an outage of the primary (it must fall back); a 429 storm
// with Retry-After on the primary. Prints per phase the successes, client latency p50/p95, which
// target answered and the simulator's attempts per request by model. The phases, report and pass
// criteria are bench/peers/smoke-harness.ts; this file holds what is Portkey's own.
//
//   node dist/bench/peers/portkey-smoke.js [--requests 30] [--log-dir DIR]
//
// Exits 1 if a phase has a failed request, if an upstream call is not attributed to one of the
// requests (x-switchyard-request-id not forwarded), if the Anthropic arm was not reached through
// the simulator's Anthropic Messages API, or if the gateway's answering-target header disagrees
// with the model in the response.
import { callPortkey, ensurePortkey, modelAtTarget, portkeyConfig, PORTKEY_STRONGEST, startPortkey, type PortkeyCallResult } from './portkey';
import { countKeys, fmtCounts, runSmoke, SMOKE_ARMS, type PhaseResult } from './smoke-harness';

runSmoke<PortkeyCallResult>({
  name: 'portkey',
  install: async () => `portkey gateway ${(await ensurePortkey()).version}`,
  start: async (simUrl, logDir) => {
    const gateway = await startPortkey({ logDir });
    const configObject = portkeyConfig(simUrl, SMOKE_ARMS, PORTKEY_STRONGEST);
    const config = JSON.stringify(configObject);
    const check = (p: PhaseResult<PortkeyCallResult>) => {
      const failures: string[] = [];
      const mismatched = p.results.filter((r) => r.ok && modelAtTarget(configObject, r.servedTarget) !== r.servedModel).length;
      if (mismatched) failures.push(`${p.name}: ${mismatched} answers whose target header names another model than the response`);
      const wrongApi = p.calls.filter((c) => SMOKE_ARMS.find((a) => a.model === c.model)?.api !== c.api).length;
      if (wrongApi) failures.push(`${p.name}: ${wrongApi} upstream calls on the wrong provider API`);
      const anthropic = SMOKE_ARMS.find((a) => a.api === 'anthropic')!;
      if (p.name === 'outage' && !p.calls.some((c) => c.model === anthropic.model && c.api === 'anthropic' && c.outcome === 'ok')) {
        failures.push(`outage: no successful call to ${anthropic.model} on the simulator's Anthropic Messages API`);
      }
      return failures;
    };
    return {
      peer: { call: (req) => callPortkey(gateway.url, { ...req, config }), check, close: () => gateway.close() },
      ready: `portkey gateway ready on ${gateway.url}`,
      about: `; settings ${JSON.stringify(PORTKEY_STRONGEST)}`,
    };
  },
  simModelKey: (c) => `${c.model ?? '?'} (${c.api})`,
  simModelWidth: 25,
  errorLabel: (r) => `${r.errorType}`,
  extraLines: (ok) => [`   answering target (x-portkey-last-used-option-index): ${fmtCounts(countKeys(ok.map((r) => r.servedTarget ?? '?')))}`],
  retrySummary: (ok) => `gateway-reported retries ${ok.reduce((s, r) => s + Math.max(0, r.retries ?? 0), 0)}`,
});
