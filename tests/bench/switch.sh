#!/bin/sh
# make bench (and make bench-switch): /recommend under wrk while the current
# model version is switched back and forth, beside the same load without
# switches, in one run.  Usage: tests/bench/switch.sh BUILD_DIR
#   SWITCH_USERS / SWITCH_MOVIES   the demo world (3000 / 3000)
#   SWITCH_SECONDS                 seconds of each wrk run (20)
set -eu
B=${1:-build}
BIN=$B/cinerec
USERS=${SWITCH_USERS:-3000}
MOVIES=${SWITCH_MOVIES:-3000}
DUR=${SWITCH_SECONDS:-20}
. tests/bench/common.sh
bench_need wrk curl
bench_setup switch

# Both versions serve their precomputed lists (every user is in their
# data), so that the two runs differ by the switches alone.
"$BIN" demo --data-dir "$tmp/d" --users "$USERS" --movies "$MOVIES" >/dev/null 2>&1
"$BIN" train --data-dir "$tmp/d" >/dev/null
"$BIN" train --data-dir "$tmp/d" --model itemknn --force >/dev/null
bench_serve "$BIN" "$tmp/d" 'train_interval_min = 0\ntrain_at_start = 0\n' 2

run() {
	MAX_USER=$USERS wrk -t2 -c32 -d"${DUR}s" --latency -s tests/bench/random_user.lua \
	    "http://$http/" >"$tmp/$1.txt"
}
# summary FILE LABEL: one line of a wrk run.
summary() {
	awk -v name="$2" '/Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = $2 } $1 == "50%" { p50 = $2 }
	    /Non-2xx/ { bad = $NF } /Socket errors/ { err = $0 } /requests in/ { n = $1 }
	    END { printf "%-22s %9s req/s  p50 %8s  p99 %8s  requests %s  non-2xx %s  %s\n",
	        name, rps, p50, p99, n, bad + 0, err ? err : "socket errors 0" }' "$tmp/$1.txt"
}

# A run without switches on each side: the server's throughput drifts as
# its recommendation log grows, so the switching run is read between them.
run steady
run switching &
wpid=$!
sleep 2
n=0
end=$(( $(date +%s) + DUR - 4 ))
while [ "$(date +%s)" -lt "$end" ]; do
	v=$(( n % 2 + 1 ))
	"$BIN" model use "$v" --data-dir "$tmp/d" --why bench >/dev/null
	n=$((n + 1))
	sleep 1
done
wait "$wpid"
run after
echo "model switch under load (wrk -t2 -c32, ${DUR} s each, $USERS users x $MOVIES movies, ALS <-> item-kNN):"
summary steady "no switch, before"
summary switching "$n switches"
summary after "no switch, after"
grep -c "serving model" "$tmp/serve.log" | awk '{ printf "workers switched %d times (2 workers)\n", $1 - 2 }'
