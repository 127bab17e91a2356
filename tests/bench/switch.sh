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
command -v wrk >/dev/null || { echo "bench: wrk is needed (apt-get install wrk)"; exit 1; }

tmp=$(mktemp -d /tmp/cinerec-switch-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
port=$((20000 + $$ % 20000))
http=127.0.0.1:$port

"$BIN" demo --data-dir "$tmp/d" --users "$USERS" --movies "$MOVIES" >/dev/null 2>&1
# Users written within 5 s of a training are folded in at request time
# (train.c's margin): both versions serve their precomputed lists here, so
# that the two runs differ by the switches alone.
sleep 6
"$BIN" train --data-dir "$tmp/d" >/dev/null
"$BIN" train --data-dir "$tmp/d" --model itemknn --force >/dev/null
printf 'train_interval_min = 0\ntrain_at_start = 0\nadmin = 127.0.0.1:%s\n' $((port + 2)) >"$tmp/c.conf"
"$BIN" serve --config "$tmp/c.conf" --data-dir "$tmp/d" --http "$http" \
    --ingest 127.0.0.1:$((port + 1)) >"$tmp/serve.log" 2>&1 &
pid=$!
i=0
until curl -sf "http://$http/health" >/dev/null && grep -q "serving model 2" "$tmp/serve.log"; do
	i=$((i + 1)); [ $i -lt 300 ] || { tail -20 "$tmp/serve.log"; exit 1; }; sleep 0.1
done

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
echo "model switch under load (wrk -t2 -c32, ${DUR} s each, $USERS users x $MOVIES movies, ALS <-> item-kNN):"
summary steady "no switch"
summary switching "$n switches"
grep -c "serving model" "$tmp/serve.log" | awk '{ printf "workers switched %d times (2 workers)\n", $1 - 2 }'
