#!/bin/sh
# make bench: a newcomer's first start (make run): a demo world written, the
# server started at once, training its first model at start; then
# /recommend under wrk beside the constant /ping in the same run.  Usage:
# tests/bench/first_start.sh BUILD_DIR [OTHER_BINARY]: with OTHER_BINARY,
# the same again with it, for a comparison side by side.
set -eu
B=${1:-build}
DUR=${FIRST_SECONDS:-10}
command -v wrk >/dev/null || { echo "bench: wrk is needed (apt-get install wrk)"; exit 1; }
tmp=$(mktemp -d /tmp/cinerec-first-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
port=$((20000 + $$ % 20000))

# one BINARY LABEL: the first start of a fresh demo world with BINARY.
one() {
	rm -rf "$tmp/d"
	"$1" demo --data-dir "$tmp/d" >/dev/null 2>&1
	printf 'admin = 127.0.0.1:%s\n' $((port + 2)) >"$tmp/c.conf"
	"$1" serve --config "$tmp/c.conf" --data-dir "$tmp/d" --http 127.0.0.1:$port \
	    --ingest 127.0.0.1:$((port + 1)) >"$tmp/serve.log" 2>&1 &
	pid=$!
	i=0
	until grep -q "serving model 1" "$tmp/serve.log" 2>/dev/null &&
	    [ "$(grep -c 'serving model 1' "$tmp/serve.log")" -ge 2 ]; do
		i=$((i + 1)); [ $i -lt 600 ] || { tail -20 "$tmp/serve.log"; exit 1; }; sleep 0.1
	done
	wrk -t2 -c32 -d"${DUR}s" "http://127.0.0.1:$port/ping" >"$tmp/ping.txt"
	MAX_USER=3000 wrk -t2 -c32 -d"${DUR}s" --latency -s tests/bench/random_user.lua \
	    "http://127.0.0.1:$port/" >"$tmp/reco.txt"
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
	ping=$(awk '/Requests\/sec/ { print $2 }' "$tmp/ping.txt")
	awk -v label="$2" -v ping="$ping" '/Requests\/sec/ { r = $2 } $1 == "99%" { p = $2 }
	    END { printf "%-28s /recommend %10s req/s (p99 %s), /ping %10s req/s: %.0f%%\n",
	        label, r, p, ping, 100 * r / ping }' "$tmp/reco.txt"
	sleep 1
}

echo "first start (demo world 3,000 users x 3,000 movies, trained at start; wrk -t2 -c32, ${DUR} s):"
one "$B/cinerec" "this build"
[ -z "${2:-}" ] || one "$2" "$2"
