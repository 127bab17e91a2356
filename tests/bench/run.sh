#!/bin/sh
# make bench: every figure beside its reference, measured in the same run on
# this machine.  Usage: tests/bench/run.sh BUILD_DIR
set -eu
B=${1:-build}
BIN=$B/cinerec
USERS=${BENCH_USERS:-20000}
DUR=${BENCH_SECONDS:-10}
mkdir -p "$B/bench"
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || {
	echo "bench: wrk is needed (apt-get install wrk)"; exit 1; }
cc -O2 -Iapp tests/bench/bench_parse.c "$B/obj/parse.o" -o "$B/bench/bench_parse"
cc -O2 tests/bench/bench_send.c -lpthread -o "$B/bench/bench_send"

tmp=$(mktemp -d /tmp/cinerec-bench-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
echo "== log lines: demo world, $USERS users"
"$BIN" demo --print --users "$USERS" --movies 27000 > "$tmp/lines.log"
wc -l < "$tmp/lines.log" | sed 's/^/lines: /'

echo "== parse rate (one core) beside the raw line read rate"
"$B/bench/bench_parse" "$tmp/lines.log"

port=$((20000 + $$ % 20000))
http=127.0.0.1:$port
ingest=127.0.0.1:$((port + 1))
"$BIN" serve --data-dir "$tmp/data" --http "$http" --ingest "$ingest" >"$tmp/serve.log" 2>&1 &
pid=$!
i=0
until curl -sf "http://$http/health" >/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { cat "$tmp/serve.log"; exit 1; }; sleep 0.1
done

echo "== sustained TCP ingest into SQLite (parse + aggregate + commit, SYNC at the end)"
"$B/bench/bench_send" "$tmp/lines.log" $((port + 1)) 4
sleep 2	# let the workers reload the ranking

echo "== /recommend (uniformly random users) beside the constant /ping, wrk -t2 -c64 -d${DUR}s"
wrk -t2 -c64 -d"${DUR}s" --latency "http://$http/ping" > "$tmp/ping.txt"
MAX_USER=$USERS wrk -t2 -c64 -d"${DUR}s" --latency -s tests/bench/random_user.lua \
    "http://$http/recommend/1" > "$tmp/reco.txt"
rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
lat() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }
printf 'ping:      %10.0f req/s  p50 %s  p99 %s\n' "$(rps "$tmp/ping.txt")" \
    "$(lat "$tmp/ping.txt" 50%)" "$(lat "$tmp/ping.txt" 99%)"
printf 'recommend: %10.0f req/s  p50 %s  p99 %s\n' "$(rps "$tmp/reco.txt")" \
    "$(lat "$tmp/reco.txt" 50%)" "$(lat "$tmp/reco.txt" 99%)"
awk -v a="$(rps "$tmp/reco.txt")" -v b="$(rps "$tmp/ping.txt")" \
    'BEGIN { printf "recommend/ping throughput: %.1f%% (target >= 60%%)\n", 100 * a / b }'
grep -E "Non-2xx|Socket errors" "$tmp/reco.txt" "$tmp/ping.txt" || true
