#!/usr/bin/env bash
# Inbound/outbound Kafka settings of the router, measured side by side: each configuration runs
# `bench:throughput --quick` with paced loads of 500 and 1,000 req/s, twice, and one line per run
# goes to <out>/results.tsv (steady-state rate and CPU per request; per paced load: added latency
# p50/p99, router CPU per request, broker cores, other processes' cores — a run where "other" is
# well above 0 shared the machine and is not comparable).
#
#   bash bench/throughput/settings-sweep.sh [out-dir]      # build first: npm run build
#
# Start a broker first and leave it running, so every configuration meets the same warm broker:
#   KAFKA_PORT=39092 KAFKA_CONTROLLER_PORT=39093 KAFKA_RUN_DIR=.infra/kafka-bench \
#     KAFKA_JVM_OPTS=-XX:+UseParallelGC bash infra/kafka.sh start
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"
out="${1:-/tmp/switchyard-settings-sweep}"
mkdir -p "$out"
: > "$out/results.tsv"
printf 'config\trun\tsteady req/s\tsteady cpu ms/req\tpaced: rate p50 p99 cpu-ms/req broker-cores other-cores ...\n' >> "$out/results.tsv"

run() {
  local name=$1; shift
  for rep in 1 2; do
    echo "$(date +%T) $name run $rep" >&2
    env "$@" BENCH_PACED_RATES=500,1000 BENCH_OUT="$out/$name-$rep" node dist/bench/throughput/run.js --quick > "$out/$name-$rep.log" 2>&1
    node -e '
      const r = require(process.argv[1]).results.instant;
      const row = [process.argv[2], process.argv[3], r.steady.responsesPerS, r.steady.routerCpuMsPerResponse];
      for (const p of r.paced) row.push(`${p.targetRate}/s`, p.addedMs.p50, p.addedMs.p99, p.routerCpuMsPerResponse, p.cpuCores.broker, p.cpuCores.others);
      console.log(row.join("\t"));' "$out/$name-$rep/throughput-quick.json" "$name" "$rep" >> "$out/results.tsv"
  done
}

run default
run fetch-min64k-wait2 KAFKA_MIN_BYTES=65536 KAFKA_MAX_WAIT_MS=2
run fetch-min64k-wait5 KAFKA_MIN_BYTES=65536 KAFKA_MAX_WAIT_MS=5
run linger1 ROUTER_PUBLISH_LINGER_MS=1
run linger2 ROUTER_PUBLISH_LINGER_MS=2
run commit1000 ROUTER_COMMIT_INTERVAL_MS=1000
run partitions-concurrency6 ROUTER_PARTITIONS_CONCURRENCY=6
cat "$out/results.tsv"
