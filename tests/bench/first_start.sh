#!/bin/sh
# make bench: a newcomer's first start (make run): a demo world written, the
# server started at once, training its first model at start; then
# /recommend under wrk beside the constant /ping in the same run.  Usage:
# tests/bench/first_start.sh BUILD_DIR [OTHER_BINARY]: with OTHER_BINARY,
# the same again with it, for a comparison side by side.
set -eu
B=${1:-build}
DUR=${FIRST_SECONDS:-10}
. tests/bench/common.sh
bench_need wrk curl
bench_setup first

# one BINARY LABEL: the first start of a fresh demo world with BINARY.
one() {
	rm -rf "$tmp/d"
	"$1" demo --data-dir "$tmp/d" >/dev/null 2>&1
	bench_serve "$1" "$tmp/d" "" 1
	wrk -t2 -c32 -d"${DUR}s" "http://$http/ping" >"$tmp/ping.txt"
	MAX_USER=3000 wrk -t2 -c32 -d"${DUR}s" --latency -s tests/bench/random_user.lua \
	    "http://$http/" >"$tmp/reco.txt"
	bench_stop
	ping=$(awk '/Requests\/sec/ { print $2 }' "$tmp/ping.txt")
	awk -v label="$2" -v ping="$ping" '/Requests\/sec/ { r = $2 } $1 == "99%" { p = $2 }
	    END { printf "%-28s /recommend %10s req/s (p99 %s), /ping %10s req/s: %.0f%%\n",
	        label, r, p, ping, 100 * r / ping }' "$tmp/reco.txt"
	sleep 1
}

echo "first start (demo world 3,000 users x 3,000 movies, trained at start; wrk -t2 -c32, ${DUR} s):"
one "$B/cinerec" "this build"
[ -z "${2:-}" ] || one "$2" "$2"
