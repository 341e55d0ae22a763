#!/usr/bin/env bash
# Single-node Kafka (KRaft, broker+controller in one JVM) without Docker, for tests, the demo and CI.
# The broker runs from Maven Central jars (see infra/kafka/pom.xml); nothing else is downloaded.
#
#   bash infra/kafka.sh fetch    # download jars into .cache/kafka/<version>/libs (once; reused after),
#                                # with the console tools for infra/kafka-console.sh
#   bash infra/kafka.sh start    # fetch if needed, format storage if new, start, wait until it takes a message
#   bash infra/kafka.sh stop     # SIGTERM, up to 30 s, then SIGKILL
#   bash infra/kafka.sh status   # exit 0 if running and listening, 3 if not
#
# Environment (defaults in brackets):
#   KAFKA_VERSION [4.3.1]            kafka_2.13 version from Maven Central
#   KAFKA_PORT [9092]                PLAINTEXT listener on 127.0.0.1
#   KAFKA_CONTROLLER_PORT [9093]     KRaft controller listener on 127.0.0.1
#   KAFKA_RUN_DIR [.infra/kafka]     server.properties, kafka.pid, kafka.log (one broker per run dir)
#   KAFKA_DATA_DIR [$KAFKA_RUN_DIR/data]  log.dirs
#   KAFKA_NUM_PARTITIONS [6]         default partitions for auto-created topics
#   KAFKA_HEAP_OPTS [-Xmx1g -Xms256m]
#   KAFKA_JVM_OPTS [-XX:+UseSerialGC -XX:TieredStopAtLevel=1 ...]  fast start; for benchmarks use e.g.
#                                    KAFKA_JVM_OPTS='-XX:+UseParallelGC' (C2 JIT, more throughput)
#   KAFKA_EXTRA_PROPERTIES           extra server.properties lines (newline separated), appended last
#   KAFKA_READY_TIMEOUT [60]         seconds to wait for the broker to accept a produced message
#   KAFKA_M2_REPO [.cache/m2]        Maven local repository used by fetch
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICE=kafka
PROCESS_PATTERN='kafka\.Kafka'
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
KAFKA_HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_RUN_DIR="$(abspath "${KAFKA_RUN_DIR:-$ROOT/.infra/kafka}")"
KAFKA_DATA_DIR="$(abspath "${KAFKA_DATA_DIR:-$KAFKA_RUN_DIR/data}")"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-6}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1g -Xms256m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError -Xss1m}"
KAFKA_EXTRA_PROPERTIES="${KAFKA_EXTRA_PROPERTIES:-}"
KAFKA_READY_TIMEOUT="${KAFKA_READY_TIMEOUT:-60}"
KAFKA_M2_REPO="$(abspath "${KAFKA_M2_REPO:-$ROOT/.cache/m2}")"

CACHE_DIR="$ROOT/.cache/kafka/$KAFKA_VERSION"
LIBS="$CACHE_DIR/libs"
PID_FILE="$KAFKA_RUN_DIR/kafka.pid"
LOG_FILE="$KAFKA_RUN_DIR/kafka.log"
PROPS="$KAFKA_RUN_DIR/server.properties"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if [[ -x "$ROOT/node_modules/.bin/node" ]]; then NODE="$ROOT/node_modules/.bin/node"; else NODE=node; fi

copy_dependencies() { # copy_dependencies DIR -> the runtime closure of infra/kafka/pom.xml into DIR
  command -v mvn >/dev/null || die "mvn not found (needed once to download the Kafka jars)"
  mvn -q -B -f "$ROOT/infra/kafka/pom.xml" \
    -Dmaven.repo.local="$KAFKA_M2_REPO" -Dstyle.color=never \
    -Dkafka.version="$KAFKA_VERSION" \
    -DincludeScope=runtime \
    -DoutputDirectory="$1" \
    dependency:copy-dependencies 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2
}

fetch() {
  if [[ -f "$CACHE_DIR/.complete" && -f "$LIBS/kafka-tools-$KAFKA_VERSION.jar" ]]; then
    log "kafka: $KAFKA_VERSION jars cached in ${CACHE_DIR#"$ROOT"/}/libs"
    return 0
  fi
  local t0 tmp
  t0="$(now_ms)"
  mkdir -p "$(dirname "$CACHE_DIR")"
  tmp="$(mktemp -d "$CACHE_DIR.tmp.XXXXXX")"
  chmod 755 "$tmp"
  if [[ -f "$CACHE_DIR/.complete" ]]; then
    # A cache from before the console tools were in the pom: add the jars it lacks (kafka-tools)
    # next to the others, without touching the ones a running broker may have open.
    log "kafka: adding org.apache.kafka:kafka-tools:$KAFKA_VERSION (console producer/consumer) to ${CACHE_DIR#"$ROOT"/}/libs..."
    copy_dependencies "$tmp/libs" || { rm -rf "$tmp"; die "mvn dependency:copy-dependencies failed for kafka-tools:$KAFKA_VERSION"; }
    local jar added=0
    for jar in "$tmp"/libs/*.jar; do
      [[ -e "$LIBS/${jar##*/}" ]] && continue
      mv "$jar" "$LIBS/" && added=$((added + 1)) # same file system: a rename, never a half-written jar
    done
    rm -rf "$tmp"
    [[ -f "$LIBS/kafka-tools-$KAFKA_VERSION.jar" ]] || die "kafka-tools-$KAFKA_VERSION.jar missing after fetch"
    log "kafka: added $added jar(s) in $(since "$t0") s"
    return 0
  fi
  log "kafka: fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION + kafka-tools + log4j2 binding from Maven Central (first run only, ~1 min)..."
  if ! copy_dependencies "$tmp/libs"; then
    rm -rf "$tmp"
    die "mvn dependency:copy-dependencies failed for kafka_2.13:$KAFKA_VERSION"
  fi
  [[ -f "$tmp/libs/kafka_2.13-$KAFKA_VERSION.jar" ]] || { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar missing after fetch"; }
  touch "$tmp/.complete"
  rm -rf "$CACHE_DIR"
  mv "$tmp" "$CACHE_DIR"
  log "kafka: fetched $(ls "$LIBS" | wc -l) jars into ${CACHE_DIR#"$ROOT"/}/libs in $(since "$t0") s"
}

write_properties() {
  mkdir -p "$KAFKA_RUN_DIR" "$KAFKA_DATA_DIR"
  cat >"$PROPS" <<EOF
# Written by infra/kafka.sh on every start; edit the script (or KAFKA_EXTRA_PROPERTIES), not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA_DIR
num.partitions=$KAFKA_NUM_PARTITIONS
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# Lets a consumer ask for a session shorter than the stock 6 s (the soak's kill -9 fail-over).
group.min.session.timeout.ms=1000
num.network.threads=3
num.io.threads=4
log.retention.hours=24
$KAFKA_EXTRA_PROPERTIES
EOF
}

java_cmd() { # common JVM invocation; the class and its arguments follow
  # shellcheck disable=SC2086 # the *_OPTS variables are word lists
  "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" \
    -cp "$LIBS/*" "$@"
}

format_storage() {
  [[ -f "$KAFKA_DATA_DIR/meta.properties" ]] && return 0
  local cluster_id out
  # A cluster id is 16 random bytes, base64url without padding (what `StorageTool random-uuid` prints);
  # like Kafka's Uuid.randomUuid, never one starting with '-' (the CLI would take it for an option).
  cluster_id=-
  while [[ "$cluster_id" == -* ]]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  done
  log "kafka: formatting ${KAFKA_DATA_DIR#"$ROOT"/} (cluster id $cluster_id)"
  if ! out="$(KAFKA_HEAP_OPTS='-Xmx256m' java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" 2>&1)"; then
    log "$out"
    die "kafka.tools.StorageTool format failed"
  fi
}

start() {
  local t0 pid
  t0="$(now_ms)"
  pid="$(read_pid)"
  if pid_alive "$pid"; then
    if port_open "$KAFKA_PORT"; then
      log "kafka: already running on $KAFKA_HOST:$KAFKA_PORT (pid $pid)"
      return 0
    fi
    log "kafka: pid $pid is starting; waiting for it"
  else
    rm -f "$PID_FILE"
    port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by a process this script did not start (set KAFKA_PORT)"
    port_open "$KAFKA_CONTROLLER_PORT" && die "controller port $KAFKA_CONTROLLER_PORT is taken (set KAFKA_CONTROLLER_PORT)"
    "$JAVA" -version >/dev/null 2>&1 || die "java not found (Kafka $KAFKA_VERSION needs Java 17+)"
    fetch
    write_properties
    format_storage
    log "kafka: starting $KAFKA_VERSION on $KAFKA_HOST:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT, data ${KAFKA_DATA_DIR#"$ROOT"/}, log ${LOG_FILE#"$ROOT"/})"
    printf '\n===== %s start %s =====\n' "$(date -Is)" "$KAFKA_VERSION" >>"$LOG_FILE"
    # setsid: own session, so the broker outlives the caller (jest globalSetup, CI step) and no
    # terminal signal reaches it; every stdio fd is redirected so callers waiting on pipes return.
    (cd "$KAFKA_RUN_DIR" && exec setsid "$JAVA" $KAFKA_HEAP_OPTS $KAFKA_JVM_OPTS -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$ROOT/infra/kafka/log4j2.properties" \
      -cp "$LIBS/*" kafka.Kafka "$PROPS" </dev/null >>"$LOG_FILE" 2>&1) &
    pid=$!
    echo "$pid" >"$PID_FILE"
  fi

  local deadline=$((SECONDS + KAFKA_READY_TIMEOUT))
  wait_started "$pid" "$KAFKA_READY_TIMEOUT" "port $KAFKA_PORT not open" port_open "$KAFKA_PORT"
  local left=$((deadline - SECONDS))
  ((left > 5)) || left=5
  if ! "$NODE" "$ROOT/infra/kafka/ready.mjs" "$KAFKA_HOST:$KAFKA_PORT" "$left"; then
    tail -n 40 "$LOG_FILE" >&2 || true
    die "broker on $KAFKA_HOST:$KAFKA_PORT did not accept a produced message (see ${LOG_FILE#"$ROOT"/})"
  fi
  log "kafka: ready on $KAFKA_HOST:$KAFKA_PORT ($KAFKA_VERSION) in $(since "$t0") s"
}

port_open() { tcp_open "$KAFKA_HOST" "$1"; }

stop() { stop_service 30 "$KAFKA_RUN_DIR"; }

status() {
  local pid
  pid="$(read_pid)"
  if pid_alive "$pid" && port_open "$KAFKA_PORT"; then
    echo "kafka: running on $KAFKA_HOST:$KAFKA_PORT ($KAFKA_VERSION, pid $pid, log ${LOG_FILE#"$ROOT"/})"
  elif pid_alive "$pid"; then
    echo "kafka: starting (pid $pid, port $KAFKA_PORT not open yet)"
    return 3
  else
    echo "kafka: not running (${KAFKA_RUN_DIR#"$ROOT"/})"
    return 3
  fi
}

dispatch "$@"
