// The provider-call reference of bench:throughput (issue 22): a bare loop of OpenAI SDK calls to
// provider-sim in its own process, the way the router makes them (the same SDK, over the router's
// undici transport with the buffered reply path) but with nothing around them: no routing, no
// error classification, no Kafka. Its CPU per call is the provider call's share of the router's
// CPU per request.
//
//   node dist/bench/throughput/sdk-loop-process.js <sim url> <calls> <concurrency> <warm-up calls>
//
// Prints one JSON line: { calls, failed, seconds, callsPerS, cpuMsPerCall } (CPU of this whole
// process, all threads, over the measured calls only).
import OpenAI from 'openai';
import { EndpointTransport, newCallTransportState, runWithCallState } from '../../libs/providers/src/shared/transport';

async function main(): Promise<void> {
  const [url, callsArg, concurrencyArg, warmupArg] = process.argv.slice(2);
  const calls = Number(callsArg);
  const concurrency = Number(concurrencyArg);
  const warmup = Number(warmupArg ?? 1_000);
  const transport = new EndpointTransport();
  const dispatcher = transport.dispatcherFor(2_000);
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: `${url}/openai/v1`, maxRetries: 0, timeout: 30_000, fetch: transport.fetch });
  let failed = 0;
  const one = (i: number) =>
    runWithCallState(newCallTransportState(dispatcher, true), () =>
      client.chat.completions.create({
        model: process.env.BENCH_SIM_MODEL ?? 'gpt-4o-mini',
        messages: [{ role: 'user', content: `Summarise ticket sdk-${i} in one sentence: the customer cannot log in after resetting the password.` }],
        max_tokens: 256,
      }),
    ).then(
      () => undefined,
      () => void failed++,
    );
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < n) await one(next++);
    }));
  };
  await run(warmup);
  failed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run(calls);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(
    JSON.stringify({ calls, failed, concurrency, seconds: Number(seconds.toFixed(2)), callsPerS: Math.round(calls / seconds), cpuMsPerCall: Number((cpuMs / calls).toFixed(3)) }) + '\n',
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`sdk loop failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
