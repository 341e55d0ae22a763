#!/usr/bin/env bash
# Kafka's own command-line clients — what the release tarball calls kafka-console-producer.sh,
# kafka-console-consumer.sh, kafka-topics.sh and kafka-consumer-groups.sh — run from the jars that
# infra/kafka.sh fetches (fetched on first use), so no Kafka install is needed.
#
#   bash infra/kafka-console.sh producer --topic llm.requests [options]   # one record per stdin line
#   bash infra/kafka-console.sh consumer --topic llm.responses [options]  # records to stdout
#   bash infra/kafka-console.sh topics --list | --describe --topic T | --create --topic T ...
#   bash infra/kafka-console.sh groups --list | --describe --group G
#
# Options are Kafka's own (`... producer --help` lists them). --bootstrap-server is added when not
# given: KAFKA_BROKERS if set, else 127.0.0.1:$KAFKA_PORT.
#
# Environment (defaults in brackets):
#   KAFKA_BROKERS                    bootstrap servers (host:port[,host:port])
#   KAFKA_PORT [9092]                port on 127.0.0.1 when KAFKA_BROKERS is not set
#   KAFKA_VERSION [4.3.1]            which fetched jars to use (as infra/kafka.sh)
#   KAFKA_TOOLS_HEAP_OPTS [-Xmx256m]
#   JAVA_HOME                        Java 17+ (else java from the PATH)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICE=kafka-console
# shellcheck source=infra/lib.sh
source "$ROOT/infra/lib.sh"

KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
LIBS="$ROOT/.cache/kafka/$KAFKA_VERSION/libs"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
HEAP="${KAFKA_TOOLS_HEAP_OPTS:--Xmx256m}"

usage() {
  log "usage: $0 {producer|consumer|topics|groups} [kafka tool options]   (e.g. $0 consumer --topic llm.responses --from-beginning)"
  exit 2
}

case "${1:-}" in
  producer) class=org.apache.kafka.tools.ConsoleProducer ;;
  consumer) class=org.apache.kafka.tools.consumer.ConsoleConsumer ;;
  topics) class=org.apache.kafka.tools.TopicCommand ;;
  groups) class=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  *) usage ;;
esac
shift

"$JAVA" -version >/dev/null 2>&1 || die "java not found (the Kafka tools need Java 17+; set JAVA_HOME or put java on the PATH)"
if [[ ! -f "$ROOT/.cache/kafka/$KAFKA_VERSION/.complete" || ! -f "$LIBS/kafka-tools-$KAFKA_VERSION.jar" ]]; then
  bash "$ROOT/infra/kafka.sh" fetch
fi

args=("$@")
bootstrap_given=false
for arg in "$@"; do
  [[ "$arg" == --bootstrap-server || "$arg" == --bootstrap-server=* ]] && bootstrap_given=true
done
if [[ "$bootstrap_given" == false ]]; then
  args=(--bootstrap-server "${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT:-9092}}" "${args[@]}")
fi

# shellcheck disable=SC2086 # HEAP is a word list
exec "$JAVA" $HEAP -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="$ROOT/infra/kafka/tools-log4j2.properties" \
  -cp "$LIBS/*" "$class" "${args[@]}"
