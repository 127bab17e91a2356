#!/bin/sh
# Kafka input beside TCP ingest, one run: the same log lines (a demo world)
# are loaded into a 3-partition topic of a local single-node Kafka broker
# (tests/kafka/broker.sh), then one cinerec consumes the topic into SQLite
# while its /health counts are polled, and another gets the lines over TCP
# (tests/bench/bench_send).  Prints both in events/s and their ratio.
#   BENCH_KAFKA_USERS   demo users (20000: about 5.3 million lines)
# Usage: tests/bench/kafka.sh BUILD_DIR
set -eu
B=${1:-build}
BIN=$B/cinerec
. tests/bench/common.sh
if ! command -v java >/dev/null; then
	echo "kafka bench: skipped (no java for the broker)"
	exit 0
fi
bench_need curl cc awk
bench_setup kafka
kpid=
trap 'kill $kpid 2>/dev/null; bench_cleanup' EXIT INT TERM

if ! sh tests/kafka/broker.sh fetch; then
	echo "kafka bench: skipped (no broker: see above)"
	exit 0
fi
mkdir -p "$B/bench"
cc -O2 tests/bench/bench_kafka_produce.c -lrdkafka -o "$B/bench/bench_kafka_produce"
cc -O2 tests/bench/bench_send.c -lpthread -o "$B/bench/bench_send"

"$BIN" demo --print --users "${BENCH_KAFKA_USERS:-20000}" >"$tmp/lines.log" 2>/dev/null
n=$(wc -l <"$tmp/lines.log")
kport=$((port + 5))
kpid=$(sh tests/kafka/broker.sh start "$tmp/kafka" $kport $((port + 6)))
echo "== Kafka input vs TCP ingest: $n lines of a demo world, one run"
t0=$(date +%s.%N)
"$B/bench/bench_kafka_produce" 127.0.0.1:$kport movielog1 3 "$tmp/lines.log" >/dev/null
t1=$(date +%s.%N)
echo "   loaded into the topic (3 partitions) in $(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s"

# Consumer: from its first commit until every line is committed.
printf 'train_at_start = 0\nadmin = 127.0.0.1:%s\n' $((port + 2)) >"$tmp/k.conf"
mkdir -p "$tmp/k"
"$BIN" serve --config "$tmp/k.conf" --data-dir "$tmp/k" --http "$http" \
    --ingest 127.0.0.1:$((port + 1)) --kafka-brokers 127.0.0.1:$kport \
    --kafka-topic movielog1 >"$tmp/k.log" 2>&1 &
pid=$!
until curl -sf "http://$http/health" >/dev/null; do sleep 0.02; done
ts=$(date +%s.%N)
# Lines committed so far (the database's counts, every batch_ms).
committed() {
	curl -s "http://$http/health" | sed -n \
	    's/.*"lines_accepted":\([0-9]*\),"lines_rejected":\([0-9]*\).*/\1 \2/p' |
	    awk '{ print $1 + $2 }'
}
# Joining the group and the first fetch, apart from the throughput: the
# clock starts at the first commit (its lines are counted in n0).
until [ "$(committed)" -gt 0 ] 2>/dev/null; do sleep 0.01; done
t0=$(date +%s.%N)
n0=$(committed)
until [ "$(committed)" -ge "$n" ] 2>/dev/null; do sleep 0.01; done
t1=$(date +%s.%N)
bench_stop
kafka=$(awk "BEGIN { printf \"%d\", ($n - $n0) / ($t1 - $t0) }")
echo "   Kafka consumer into SQLite: $kafka events/s ($(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s from its first commit of $n0 lines; joining the group and the first fetch took $(awk "BEGIN { printf \"%.2f\", $t0 - $ts }") s before)"

# TCP: the same lines, one sender and four.
bench_serve_plain() {
	rm -rf "$tmp/t"; mkdir -p "$tmp/t"
	"$BIN" serve --config "$tmp/k.conf" --data-dir "$tmp/t" --http "$http" \
	    --ingest 127.0.0.1:$((port + 1)) >"$tmp/t.log" 2>&1 &
	pid=$!
	until curl -sf "http://$http/health" >/dev/null; do sleep 0.02; done
}
for c in 1 4; do
	bench_serve_plain
	out=$("$B/bench/bench_send" "$tmp/lines.log" $((port + 1)) $c)
	bench_stop
	tcp=$(echo "$out" | sed -n 's/.* \([0-9][0-9]*\) events\/s.*/\1/p' | tail -1)
	echo "   TCP ingest, $c sender(s): $out"
	[ -n "$tcp" ] && echo "   Kafka / TCP($c): $(awk "BEGIN { printf \"%.2f\", $kafka / $tcp }")"
done
