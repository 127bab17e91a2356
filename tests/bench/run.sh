#!/bin/sh
# make bench: every figure beside its reference, measured in the same run on
# this machine.  Usage: tests/bench/run.sh BUILD_DIR
#   BENCH_USERS          demo users for the parse/ingest/HTTP part (20000)
#   BENCH_SECONDS        seconds per wrk run (10)
#   BENCH_ALS=0          skips the ALS training comparison with implicit
set -eu
B=${1:-build}
BIN=$B/cinerec
USERS=${BENCH_USERS:-20000}
DUR=${BENCH_SECONDS:-10}
mkdir -p "$B/bench"
command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || {
	echo "bench: wrk is needed (apt-get install wrk)"; exit 1; }
cc -O2 -Iapp tests/bench/bench_parse.c "$B/obj/ingest/parse.o" -o "$B/bench/bench_parse"
cc -O2 tests/bench/bench_send.c -lpthread -o "$B/bench/bench_send"
[ -x "$B/bench/bench_reclog" ] || make -s BUILD="$B" "$B/bench/bench_reclog"

tmp=$(mktemp -d /tmp/cinerec-bench-XXXXXX)
pid=
pid_off=
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; }
cleanup() { stop; [ -n "$pid_off" ] && kill "$pid_off" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM

port=$((20000 + $$ % 20000))
http=127.0.0.1:$port
ingest=127.0.0.1:$((port + 1))

# serve DATA_DIR [CONFIG]: start the server, wait for /health.
serve() {
	if [ -n "${2:-}" ]; then set -- "$1" --config "$2"; fi
	"$BIN" serve --data-dir "$@" --http "$http" --ingest "$ingest" >>"$tmp/serve.log" 2>&1 &
	pid=$!
	i=0
	until curl -sf "http://$http/health" >/dev/null; do
		i=$((i + 1)); [ $i -lt 200 ] || { tail -20 "$tmp/serve.log"; exit 1; }; sleep 0.1
	done
}

rps() { awk '/Requests\/sec/ { print $2 }' "$1"; }
lat() { awk -v p="$2" '$1 == p { print $2 }' "$1"; }
# wrk_run NAME URL [MAX_USER]: one wrk run into $tmp/NAME.txt, one summary line.
# WRK_OPTS: the load (default: saturating, 2 threads, 64 connections).
wrk_run() {
	if [ -n "${3:-}" ]; then
		MAX_USER=$3 wrk ${WRK_OPTS:--t2 -c64} -d"${WRK_DUR:-$DUR}s" --latency -s tests/bench/random_user.lua "$2" >"$tmp/$1.txt"
	else
		wrk ${WRK_OPTS:--t2 -c64} -d"${WRK_DUR:-$DUR}s" --latency "$2" >"$tmp/$1.txt"
	fi
	printf '%-22s %10.0f req/s  p50 %-9s p99 %s\n' "$1:" "$(rps "$tmp/$1.txt")" \
	    "$(lat "$tmp/$1.txt" 50%)" "$(lat "$tmp/$1.txt" 99%)"
	grep -E "Non-2xx|Socket errors" "$tmp/$1.txt" || true
}
ratio() {
	awk -v a="$(rps "$tmp/$1.txt")" -v b="$(rps "$tmp/$2.txt")" -v t="$3" \
	    'BEGIN { printf "  %s\n", sprintf("%.1f%% (target >= %s%%)", 100 * a / b, t) }'
}
# p99 of /recommend inside the server, from its histogram (bucket bound).
server_p99() {
	curl -s "http://$http/metrics" | awk -F'[{}" ]+' 'BEGIN { n = 0 }
	    /^cinerec_recommend_duration_seconds_bucket/ { le[n] = $3; c[n++] = $NF }
	    /^cinerec_recommend_duration_seconds_count/ { total = $NF }
	    END { for (i = 0; i < n; i++) if (c[i] >= 0.99 * total) { printf "%s s", le[i]; exit } }'
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== log lines: demo world, $USERS users"
"$BIN" demo --print --users "$USERS" --movies 27000 > "$tmp/lines.log"
wc -l < "$tmp/lines.log" | sed 's/^/lines: /'

echo "== parse rate (one core) beside the raw line read rate"
"$B/bench/bench_parse" "$tmp/lines.log"

echo "== sustained TCP ingest into SQLite (parse + aggregate + commit, SYNC at the end)"
serve "$tmp/data"
"$B/bench/bench_send" "$tmp/lines.log" $((port + 1)) 4
stop

echo "== a model for the HTTP part: cinerec train (ALS defaults)"
# Users changed within 5 s before a training are folded in at request time
# rather than answered from its precomputed lists: start after that margin.
sleep 6
"$BIN" train --data-dir "$tmp/data"
printf 'train_interval_min = 0\nreco_log = 0\n' > "$tmp/nolog.conf"
printf 'train_interval_min = 0\nreco_log = 1\n' > "$tmp/log.conf"

echo "== the recommendation log's cost in the writer alone (one core, no HTTP)"
"$B/bench/bench_reclog" "$tmp/reclog" 700000 "$USERS" 2>/dev/null
rm -rf "$tmp/reclog"

# Log on and log off are measured on two servers running side by side (the
# second on a copy of the data), in short runs alternating on/off/off/on...,
# so both see the same machine state: throughput here swings by a fifth
# from one run to the next (wrk and the neighbours share the cores).  Both
# run the default configuration.  A log-on run is followed by a pause of
# 11 s, in which the writer's next roll-up (every reco_rollup_s = 10 s)
# runs, so that it does not land in the log-off server's next run; the
# servers' own CPU time is read from /proc before a run and after its pause,
# so the CPU figure includes that work (a log-off run gets the same pause,
# so both include the same idle time).
ROUNDS=${BENCH_ROUNDS:-8}
RDUR=${BENCH_ROUND_SECONDS:-5}
cpu_ticks() {
	for p in $1 $(pgrep -P "$1"); do cat "/proc/$p/stat"; done 2>/dev/null |
	    awk '{ sub(/^.*\) /, ""); s += $12 + $13 } END { print s }'
}
reqs() { awk '/requests in/ { print $1 }' "$1"; }
# measured NAME URL PID PAUSE: a wrk run, then the server's CPU us per request.
measured() {
	t0=$(cpu_ticks "$3")
	wrk_run "$1" "$2" "$USERS" >/dev/null
	sleep "$4"
	awk -v t="$(( $(cpu_ticks "$3") - t0 ))" -v n="$(reqs "$tmp/$1.txt")" \
	    -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f\n", t * 1e6 / hz / n }' \
	    > "$tmp/$1.cpu"
}
echo "== /recommend (uniformly random users): log on vs log off, and vs /ping"
echo "   two servers side by side, $ROUNDS rounds alternating, wrk -t2 -c64 -d${RDUR}s each"
cp -r "$tmp/data" "$tmp/data-off"
"$BIN" serve --data-dir "$tmp/data-off" --config "$tmp/nolog.conf" \
    --http "127.0.0.1:$((port + 10))" --ingest "127.0.0.1:$((port + 11))" \
    --admin "127.0.0.1:$((port + 12))" >>"$tmp/serve-off.log" 2>&1 &
pid_off=$!
serve "$tmp/data" "$tmp/log.conf"
off=127.0.0.1:$((port + 10))
i=0
until curl -sf "http://$off/health" >/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || { tail -20 "$tmp/serve-off.log"; exit 1; }; sleep 0.1
done
WRK_DUR=$RDUR
r=1
while [ $r -le "$ROUNDS" ]; do
	if [ $((r % 2)) = 1 ]; then
		measured "on-$r" "http://$http/recommend/1" "$pid" 11
		measured "off-$r" "http://$off/recommend/1" "$pid_off" 11
	else
		measured "off-$r" "http://$off/recommend/1" "$pid_off" 11
		measured "on-$r" "http://$http/recommend/1" "$pid" 11
	fi
	wrk_run "ping-$r" "http://$http/ping" >/dev/null
	printf 'round %d: log on %6.0f req/s (%s us CPU), log off %6.0f req/s (%s us CPU), /ping %6.0f req/s\n' \
	    "$r" "$(rps "$tmp/on-$r.txt")" "$(cat "$tmp/on-$r.cpu")" \
	    "$(rps "$tmp/off-$r.txt")" "$(cat "$tmp/off-$r.cpu")" "$(rps "$tmp/ping-$r.txt")"
	r=$((r + 1))
done
WRK_DUR=
echo "reco_log rows written by the log-on server: $(sqlite3 "$tmp/data/cinerec.db" \
    'SELECT COUNT(*) FROM reco_log' 2>/dev/null || echo '(sqlite3 not installed)')"
kill "$pid_off" 2>/dev/null; wait "$pid_off" 2>/dev/null || true
pid_off=
stop
# Per round ratios; their median and the ratio of the sums.
r=1
while [ $r -le "$ROUNDS" ]; do
	echo "$(rps "$tmp/on-$r.txt") $(rps "$tmp/off-$r.txt") $(rps "$tmp/ping-$r.txt") $(cat "$tmp/on-$r.cpu") $(cat "$tmp/off-$r.cpu")"
	r=$((r + 1))
done > "$tmp/rounds.txt"
summary() { # COLUMN_EXPR LABEL TARGET
	awk "{ print $1 }" "$tmp/rounds.txt" | sort -n | awk -v label="$2" -v t="$3" \
	    '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
	       printf "%s: median of %d rounds %.1f%% (lowest %.1f%%, highest %.1f%%; target >= %s%%)\n", label, NR, 100 * m, 100 * v[1], 100 * v[NR], t }'
}
summary '$1 / $2' "recommend throughput, log on / log off" 90
summary '$5 / $4' "server CPU per request, log off / log on (the throughput ratio on cores of its own)" 90
summary '$1 / $3' "recommend (log on) / ping" 60
awk '{ a += $1; b += $2 } END { printf "all rounds summed: recommend throughput, log on / log off: %.1f%%\n", 100 * a / b }' "$tmp/rounds.txt"
echo "== /recommend latency, not saturated (wrk -t1 -c4), log on"
serve "$tmp/data" "$tmp/log.conf"
WRK_OPTS="-t1 -c4" wrk_run recommend-latency "http://$http/recommend/1" "$USERS"
echo "p99 inside the server (histogram bucket): $(server_p99)"
stop

if [ "${BENCH_ALS:-1}" != 0 ] && [ -f tests/bench/bench_als.sh ]; then
	echo "== ALS training: cinerec (2 threads, 1 thread) beside implicit"
	sh tests/bench/bench_als.sh "$B" || echo "bench_als: skipped or failed (see above)"
fi

