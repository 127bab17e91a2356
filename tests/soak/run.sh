#!/bin/sh
# make soak: mixed traffic for SOAK_SECONDS (600), then the server's memory,
# open files and unsaturated p99 at the start and at the end, side by side.
# Fails when they grew: RSS by more than 20% + 32 MiB, descriptors by more
# than 16, p99 by more than 2x + 2 ms.  Not part of make test.
#   Usage: tests/soak/run.sh BUILD_DIR
set -eu
B=${1:-build}
BIN=$B/cinerec
SECS=${SOAK_SECONDS:-600}
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || {
	echo "soak: wrk is needed (apt-get install wrk)"; exit 1; }
mkdir -p "$B/bench"
cc -O2 tests/bench/bench_send.c -lpthread -o "$B/bench/bench_send"

tmp=$(mktemp -d /tmp/cinerec-soak-XXXXXX)
pid=
kids=
cleanup() {
	[ -n "$kids" ] && kill $kids 2>/dev/null
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=$((21000 + $$ % 20000))
http=127.0.0.1:$port
ingest=127.0.0.1:$((port + 1))
admin=127.0.0.1:$((port + 2))
"$BIN" demo --data-dir "$tmp/data" --users 5000 --movies 3000 >/dev/null
"$BIN" serve --data-dir "$tmp/data" --http "$http" --ingest "$ingest" \
    --admin "$admin" >"$tmp/serve.log" 2>&1 &
pid=$!
i=0
until curl -sf "http://$http/health" >/dev/null; do
	i=$((i + 1)); [ $i -lt 300 ] || { tail -20 "$tmp/serve.log"; exit 1; }; sleep 0.1
done

# The figures: summed RSS (KiB), summed open descriptors, p99 of a light probe.
rss() { for p in $pid $(pgrep -P "$pid"); do cat "/proc/$p/status"; done |
	awk '/^VmRSS/ { s += $2 } END { print s }'; }
fds() { n=0; for p in $pid $(pgrep -P "$pid"); do
	n=$((n + $(ls "/proc/$p/fd" | wc -l))); done; echo $n; }
p99() { MAX_USER=5000 wrk -t1 -c2 -d10s --latency -s tests/bench/random_user.lua \
	"http://$http/recommend/" | awk '$1 == "99%" { v = $2;
	    if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
	    else if (v ~ /ms$/) { sub(/ms$/, "", v) }
	    else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
	    printf "%.3f", v }'; }

# Traffic: a stream of watch lines, saturating /recommend, an admin session.
"$BIN" demo --print --users 5000 --movies 3000 --seed 7 > "$tmp/lines.log"
( while :; do "$B/bench/bench_send" "$tmp/lines.log" $((port + 1)) 2 >/dev/null || sleep 1; done ) &
kids="$!"
( while :; do MAX_USER=5000 wrk -t1 -c16 -d60s -s tests/bench/random_user.lua \
	"http://$http/recommend/" >/dev/null 2>&1; done ) &
kids="$kids $!"
( pw=$(cat "$tmp/data/initial-admin-password"); jar="$tmp/cookies"
  while :; do
	curl -s -c "$jar" -o /dev/null -H "Origin: http://$admin" \
	    --data-urlencode "name=admin" --data-urlencode "password=$pw" "http://$admin/login"
	for k in 1 2 3 4 5 6 7 8 9 10; do
		curl -s -b "$jar" -o /dev/null "http://$admin/api/overview"
		curl -s -b "$jar" -o /dev/null "http://$admin/api/ingest"
		sleep 1
	done
  done ) &
kids="$kids $!"

sleep 30
r0=$(rss); f0=$(fds); l0=$(p99)
echo "soak: $SECS s of mixed traffic (ingest, /recommend, admin) on $(nproc) cores"
# The memory curve, a sample a minute: a plateau is a cache filling up, a
# line that keeps rising is a leak.
t=0; rmax=$r0
while [ $t -lt "$SECS" ]; do
	step=$(( SECS - t < 60 ? SECS - t : 60 ))
	sleep "$step"; t=$(( t + step ))
	r=$(rss); [ "$r" -gt "$rmax" ] && rmax=$r
	echo "soak: ${t} s  resident ${r} KiB  descriptors $(fds)"
done
r1=$(rss); f1=$(fds); l1=$(p99)
kill $kids 2>/dev/null; kids=

printf '%-28s %12s %12s\n' "" start end
printf '%-28s %12s %12s\n' "resident memory (KiB)" "$r0" "$r1"
printf '%-28s %12s %12s\n' "open descriptors" "$f0" "$f1"
printf '%-28s %12s %12s\n' "p99 /recommend, light (ms)" "$l0" "$l1"
awk -v r0="$r0" -v r1="$r1" -v f0="$f0" -v f1="$f1" -v l0="$l0" -v l1="$l1" 'BEGIN {
	bad = 0
	if (r1 > r0 * 1.2 + 32768) { print "soak: memory grew"; bad = 1 }
	if (f1 > f0 + 16) { print "soak: descriptors grew"; bad = 1 }
	if (l1 > l0 * 2 + 2) { print "soak: p99 grew"; bad = 1 }
	if (!bad) print "soak: flat"
	exit bad }'
