#!/bin/sh
# A serving replica at full scale: a trainer serving a demo world of
# REPLICA_USERS users x 27,000 movies (built and trained here, or the
# trained data dir REPLICA_DATA, e.g. scale.sh's SCALE_DATA) publishes its
# version; a replica with an empty database follows it.  Reports the time
# to publish, the time the replica took to check, map and register the
# version (its model and its lists of every user), the replica's memory and
# disk, and /recommend on the replica beside the trainer for the same users
# in one run (the replica answers them from the copied lists).
# Usage: tests/bench/replica.sh BUILD_DIR
#   REPLICA_USERS   users of the world built here (1000000; 0 skips)
#   REPLICA_DATA    a trained data dir to use instead (kept as it is)
#   LIVE_SECONDS    seconds of each wrk run (10)
set -eu
B=${1:-build}
BIN=$B/cinerec
USERS=${REPLICA_USERS:-1000000}
DUR=${LIVE_SECONDS:-10}
[ "$USERS" -gt 0 ] || [ -n "${REPLICA_DATA:-}" ] ||
    { echo "replica: skipped (REPLICA_USERS=0)"; exit 0; }
. tests/bench/common.sh
bench_need wrk curl sqlite3
bench_setup replica
rpid=
trap 'kill $rpid 2>/dev/null; bench_cleanup' EXIT INT TERM

bench_machine
d=${REPLICA_DATA:-$tmp/d}
[ -f "$d/cinerec.db" ] || bench_world "$BIN" "$d" "$USERS"
version=$(sqlite3 "$d/cinerec.db" "SELECT id FROM models WHERE current = 1")
echo "version $version: $(du -h "$d/models/"*"$(printf %06d "$version")".* | awk '{ printf "%s %s  ", $1, $2 }')"

pub=$tmp/published
t0=$(date +%s.%N)
bench_serve "$BIN" "$d" "train_interval_min = 0\ntrain_at_start = 0\npublish_dir = $pub\n" "$version"
until [ -f "$pub/CURRENT" ]; do sleep 0.05; done
t1=$(date +%s.%N)
echo "publish: CURRENT written $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s after the trainer's start (hard links; a copy where they fail)"

rport=$((port + 10))
mkdir -p "$tmp/r"
printf 'admin = 127.0.0.1:%s\ntrain_at_start = 0\nfollow_dir = %s\n' $((rport + 2)) "$pub" >"$tmp/r.conf"
t0=$(date +%s.%N)
"$BIN" serve --config "$tmp/r.conf" --data-dir "$tmp/r" --http 127.0.0.1:$rport \
    --ingest 127.0.0.1:$((rport + 1)) >"$tmp/replica.log" 2>&1 &
rpid=$!
i=0
until [ "$(grep -c "serving model $version " "$tmp/replica.log")" -ge 2 ]; do
	i=$((i + 1))
	[ $i -lt 6000 ] || { tail -20 "$tmp/replica.log"; exit 1; }
	sleep 0.05
done
t1=$(date +%s.%N)
grep -E "replica: (serving|version)" "$tmp/replica.log" | sed 's/^[^ ]* cinerec info: /   /'
echo "follow: both replica workers serve version $version $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s after its start (empty database: all the trainer's movies added to its catalogue, model and lists checked, mapped, written, checked again)"
rss=0
for p in $rpid $(pgrep -P "$rpid"); do
	rss=$((rss + $(awk '/^VmHWM/ { print $2 }' "/proc/$p/status")))
done
echo "replica: peak RSS $((rss / 1024)) MiB over its processes (the lists mapped by each worker count in each); disk $(du -sh "$tmp/r" | cut -f1)"

run() { # NAME PORT
	MAX_USER=$USERS STRIDE=1 OFFSET=0 wrk -t2 -c32 -d"${DUR}s" --latency \
	    -s tests/bench/random_user.lua "http://127.0.0.1:$2/" >"$tmp/$1.txt"
}
line() { # NAME LABEL
	awk -v l="$2" '/Requests\/sec/ { r = $2 } $1 == "50%" { p50 = $2 } $1 == "99%" { p99 = $2 }
	    / Non-2xx/ { bad = $NF } END { printf "%-34s %10s req/s  p50 %8s  p99 %8s%s\n", l, r, p50, p99, bad ? "  non-2xx " bad : "" }' "$tmp/$1.txt"
}
run trainer "$port"
run replica "$rport"
echo "== /recommend, random users of the $USERS, wrk -t2 -c32 ${DUR}s, one run"
line trainer "trainer (its own lists)"
line replica "replica (the published lists)"
for u in 7 $((USERS / 2)) "$USERS"; do
	[ "$(curl -s "http://$http/recommend/$u")" = "$(curl -s "http://127.0.0.1:$rport/recommend/$u")" ] ||
	    echo "user $u: the lists differ"
done
