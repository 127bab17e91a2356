#!/bin/sh
# A throwaway single-node Apache Kafka 4.x broker (KRaft mode) for the tests.
#
#   broker.sh fetch                  the jars into the cache (once; mvn)
#   broker.sh start DIR PORT CPORT   format DIR the first time, start the
#                                    broker on 127.0.0.1:PORT (controller on
#                                    CPORT), wait until it serves, print its pid
#
# The cache is $CINEREC_KAFKA_LIB (default ~/.cache/cinerec/kafka-4.1.1).
# Exit 77 (skip) when Java or the jars are missing, with the reason on stderr.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
lib=${CINEREC_KAFKA_LIB:-$HOME/.cache/cinerec/kafka-4.1.1}

need_java() {
	if ! command -v java >/dev/null 2>&1; then
		echo "broker.sh: no java on PATH: Kafka tests skipped" >&2
		exit 77
	fi
}

case "${1:-}" in
fetch)
	need_java
	if [ -f "$lib/.complete" ]; then exit 0; fi
	if ! command -v mvn >/dev/null 2>&1; then
		echo "broker.sh: no mvn to fetch Kafka: Kafka tests skipped" >&2
		exit 77
	fi
	mkdir -p "$lib"
	if ! mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies \
	    -DoutputDirectory="$lib" >"$lib/fetch.log" 2>&1; then
		tail -20 "$lib/fetch.log" >&2
		echo "broker.sh: fetching Kafka failed: Kafka tests skipped" >&2
		exit 77
	fi
	touch "$lib/.complete"
	;;
start)
	need_java
	[ $# -eq 4 ] || { echo "usage: broker.sh start DIR PORT CPORT" >&2; exit 2; }
	dir=$2 port=$3 cport=$4
	if [ ! -f "$lib/.complete" ]; then
		echo "broker.sh: Kafka not fetched ($lib): Kafka tests skipped" >&2
		exit 77
	fi
	mkdir -p "$dir"
	cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
	cp="$lib/*"
	if [ ! -f "$dir/data/meta.properties" ]; then
		java -cp "$cp" kafka.tools.StorageTool format -c \
		    "$dir/server.properties" -t "$(java -cp "$cp" \
		    kafka.tools.StorageTool random-uuid 2>/dev/null)" >"$dir/format.log" 2>&1
	fi
	: >"$dir/broker.log"
	java -Xms128m -Xmx512m -XX:+UseSerialGC -cp "$cp" kafka.Kafka \
	    "$dir/server.properties" >>"$dir/broker.log" 2>&1 </dev/null &
	pid=$!
	i=0
	while ! grep -q "Kafka Server started" "$dir/broker.log"; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
			tail -30 "$dir/broker.log" >&2
			kill $pid 2>/dev/null || true
			echo "broker.sh: the broker did not start" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo $pid
	;;
*)
	echo "usage: broker.sh fetch | start DIR PORT CPORT" >&2
	exit 2
	;;
esac
