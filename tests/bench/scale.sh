#!/bin/sh
# Full scale, measured the way a stream uses it.  A demo world of SCALE
# users x 27,000 movies (~30 sessions each, demo --compact) bulk-imported
# and trained (wall time and peak memory of each); then the server with a
# stream running all along: watch lines from the ACTIVE users active now,
# paced at RATE a second, while wrk asks /recommend for those same users,
# beside /ping and the users the stream leaves alone, in the same run, with
# the share of answers each path gave (from /metrics); then the stream at
# full speed (bulk) under a latency probe, beside the probe without it.
# Usage: tests/bench/scale.sh BUILD_DIR
#   BENCH_SCALE_USERS   users (1000000; 0 skips the benchmark)
#   SCALE_ACTIVE        users active in the stream (30000)
#   SCALE_RATE          the stream's lines a second (1000)
#   SCALE_DATA          a data dir to keep: built there when it holds no
#                       database, else reused as it is (no import, no training)
#   LIVE_SECONDS        seconds of each wrk run (10)
set -eu
B=${1:-build}
BIN=$B/cinerec
USERS=${BENCH_SCALE_USERS:-1000000}
ACTIVE=${SCALE_ACTIVE:-30000}
RATE=${SCALE_RATE:-1000}
DUR=${LIVE_SECONDS:-10}
[ "$USERS" -gt 0 ] || { echo "scale: skipped (BENCH_SCALE_USERS=0)"; exit 0; }
. tests/bench/common.sh
bench_need wrk curl sqlite3
mkdir -p "$B/bench"
cc -O2 tests/bench/bench_send.c -lpthread -o "$B/bench/bench_send"
bench_setup scale
STRIDE=$((USERS / ACTIVE))

bench_machine
d=${SCALE_DATA:-$tmp/d}
[ -f "$d/cinerec.db" ] || bench_world "$BIN" "$d" "$USERS"
version=$(sqlite3 "$d/cinerec.db" "SELECT id FROM models WHERE current = 1")
bench_serve "$BIN" "$d" 'train_interval_min = 0\ntrain_at_start = 0\nreco_log = 1\n' "$version"

paths() { curl -s "http://$http/metrics" | awk -F'"' '/^cinerec_recommend_path_total/ { split($3, v, " "); printf "%s=%s ", $2, v[2] }'; }
run() { # NAME OFFSET [WRK_OPTS]
	MAX_USER=$ACTIVE STRIDE=$STRIDE OFFSET=$2 wrk ${3:--t2 -c32} -d"${DUR}s" --latency \
	    -s tests/bench/random_user.lua "http://$http/" >"$tmp/$1.txt"
}
line() { # NAME LABEL
	awk -v l="$2" '/Requests\/sec/ { r = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
	    / Non-2xx/ { bad = $NF } END { printf "%-42s %10s req/s  p50 %8s  p99 %8s%s\n", l, r, p50, p99, bad ? "  non-2xx " bad : "" }' "$tmp/$1.txt"
}
peak_mib() {
	for p in $pid $(pgrep -P "$pid"); do cat "/proc/$p/status"; done |
	    awk '/^VmHWM/ { s += $2 } END { printf "%.0f", s / 1024 }'
}
# Proportional set size: a page shared by the processes (the database and
# model maps, the fresh lists) is split between them, not counted in each.
pss_mib() {
	for p in $pid $(pgrep -P "$pid"); do cat "/proc/$p/smaps_rollup"; done |
	    awk '/^Pss:/ { s += $2 } END { printf "%.0f", s / 1024 }'
}

# The stream: watch lines of the active users (1 + STRIDE k), minute after
# minute of movies taken in turn, as many as the runs below need.
sqlite3 "$d/cinerec.db" "SELECT slug FROM movies ORDER BY id LIMIT 2000" >"$tmp/slugs"
awk -v n=$((RATE * (40 + 8 * DUR))) -v a="$ACTIVE" -v s="$STRIDE" -v t="$(date -u +%Y-%m-%dT%H:%M:%S)" \
    'NR == FNR { m[NR - 1] = $0; k = NR; next }
    END { for (i = 0; i < n; i++) printf "%s,%d,GET /data/m/%s/%d.mpg\n", t,
	1 + s * ((i * 7919) % a), m[(i * 31 + int(i / a)) % k], i % 90 }' \
    "$tmp/slugs" /dev/null >"$tmp/stream.log"
"$B/bench/bench_send" "$tmp/stream.log" $((port + 1)) 1 "$RATE" >"$tmp/stream.out" &
stream=$!
t0=$(date +%s)
echo "== the live path: $ACTIVE active users of $USERS, stream of $RATE watch lines/s running (wrk -t2 -c32, ${DUR} s each; one run)"
echo "   40 s of stream first: every active user has an event newer than the training"
sleep 40
c0=$(curl -s "http://$http/metrics" | awk '/^cinerec_ingest_lines_total\{kind="watch"\}/ { print $NF }')
wrk -t2 -c32 -d"${DUR}s" --latency "http://$http/ping" >"$tmp/ping.txt"
line ping "/ping"
before=$(paths)
run live 1
line live "/recommend, active users (the stream's)"
echo "   paths before: $before"
echo "   paths after:  $(paths)"
run idle 2
line idle "/recommend, users the stream leaves alone"
echo "   paths after:  $(paths)"
run live1 1 "-t1 -c1"
line live1 "  active users, one connection"
run live4 1 "-t1 -c4"
line live4 "  active users, four connections"
c1=$(curl -s "http://$http/metrics" | awk '/^cinerec_ingest_lines_total\{kind="watch"\}/ { print $NF }')
echo "   stream: $((c1 - c0)) lines accepted while measuring, $(( (c1 - c0) / ($(date +%s) - t0 - 40) )) a second"
kill "$stream" 2>/dev/null || true
wait "$stream" 2>/dev/null || true

echo "== bulk ingest while serving: 3,000,000 watch lines of the active users over 4 connections, outlasting the latency probe (wrk -t1 -c4)"
awk -v n=3000000 -v a="$ACTIVE" -v s="$STRIDE" -v t="$(date -u +%Y-%m-%dT%H:%M:%S)" \
    'NR == FNR { m[NR - 1] = $0; k = NR; next }
    END { for (i = 0; i < n; i++) printf "%s,%d,GET /data/m/%s/%d.mpg\n", t,
	1 + s * ((i * 104729) % a), m[(i * 17 + 3) % k], i % 90 }' \
    "$tmp/slugs" /dev/null >"$tmp/bulk.log"
run quiet 1 "-t1 -c4"
line quiet "  probe, no ingest"
"$B/bench/bench_send" "$tmp/bulk.log" $((port + 1)) 4 >"$tmp/bulk.out" &
bulk=$!
run busy 1 "-t1 -c4"
line busy "  probe, bulk ingest running"
wait "$bulk" || true
cat "$tmp/bulk.out"
echo "   paths after:  $(paths)"
echo "server memory (parent + workers): peak resident $(peak_mib) MiB summed (VmHWM, shared pages counted in each), proportional now $(pss_mib) MiB (Pss)"
bench_stop
