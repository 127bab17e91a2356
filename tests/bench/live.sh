#!/bin/sh
# The live path: /recommend for users who just did something (their history
# changed since the training, so the model folds it in at request time),
# beside the same users unchanged (the precomputed lists) and the constant
# /ping, in one run, with the share of answers each path gave (from
# /metrics).  Usage: tests/bench/live.sh BUILD_DIR
#   LIVE_USERS / LIVE_MOVIES   the demo world (20000 / 27000)
#   LIVE_SECONDS               seconds of each wrk run (10)
set -eu
B=${1:-build}
BIN=$B/cinerec
USERS=${LIVE_USERS:-20000}
MOVIES=${LIVE_MOVIES:-27000}
DUR=${LIVE_SECONDS:-10}
. tests/bench/common.sh
bench_need wrk curl sqlite3 bc split
mkdir -p "$B/bench"
[ -x "$B/bench/bench_send" ] || cc -O2 tests/bench/bench_send.c -lpthread -o "$B/bench/bench_send"
bench_setup live

"$BIN" demo --data-dir "$tmp/d" --users "$USERS" --movies "$MOVIES" >/dev/null 2>&1
"$BIN" train --data-dir "$tmp/d" | tail -1
bench_serve "$BIN" "$tmp/d" 'train_interval_min = 0\ntrain_at_start = 0\nreco_log = 1\n' 1
paths() { curl -s "http://$http/metrics" | awk -F'"' '/^cinerec_recommend_path_total/ { split($3, v, " "); printf "%s=%s ", $2, v[2] }'; }
run() { # NAME URL [MAX_USER] [OPTS]
	MAX_USER=${3:-$USERS} wrk ${4:--t2 -c32} -d"${DUR}s" --latency -s tests/bench/random_user.lua "$2" >"$tmp/$1.txt"
}
line() { # NAME LABEL
	awk -v l="$2" '/Requests\/sec/ { r = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
	    END { printf "%-34s %10s req/s  p50 %8s  p99 %8s\n", l, r, p50, p99 }' "$tmp/$1.txt"
}
echo "live path ($USERS users x $MOVIES movies, ALS defaults; wrk -t2 -c32, ${DUR} s; one run):"
wrk -t2 -c32 -d"${DUR}s" --latency "http://$http/ping" >"$tmp/ping.txt"
line ping "/ping"
before=$(paths)
run idle "http://$http/"
line idle "/recommend, unchanged users"
echo "   paths before: $before; after: $(paths)"
# Every user does one thing: a watch of a movie, committed (SYNC).
sqlite3 "$tmp/d/cinerec.db" "SELECT slug FROM movies ORDER BY id LIMIT 1000" >"$tmp/slugs"
awk -v n="$USERS" -v t="$(date -u +%Y-%m-%dT%H:%M:%S)" 'NR == FNR { s[NR - 1] = $0; k = NR; next }
    END { for (u = 1; u <= n; u++) printf "%s,%d,GET /data/m/%s/0.mpg\n", t, u, s[(u * 7919) % k] }' \
    "$tmp/slugs" /dev/null >"$tmp/live.log"
# As a stream brings them: LIVE_RATE lines a second (1000), in tenths.
per=$(( ${LIVE_RATE:-1000} / 10 ))
split -l "$per" "$tmp/live.log" "$tmp/chunk."
t0=$(date +%s.%N)
for c in "$tmp"/chunk.*; do
	"$B/bench/bench_send" "$c" $((port + 1)) 1 >/dev/null
	sleep 0.1
done
echo "   ingest: $USERS watch lines in $(echo "$(date +%s.%N) - $t0" | bc) s, paced at ${LIVE_RATE:-1000}/s"
sleep 2
before=$(paths)
run live "http://$http/"
line live "/recommend, users who just watched"
echo "   paths before: $before; after: $(paths)"
run live1 "http://$http/" "$USERS" "-t1 -c1"
line live1 "  the same, one connection"
