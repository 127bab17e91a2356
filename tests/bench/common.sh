# Sourced by the benchmarks that start a server of their own (switch.sh,
# first_start.sh, live.sh, scale.sh, replica.sh): a temporary dir, loopback
# ports, the server started until every worker serves a model, and stopped
# on exit; the machine's line; a full-scale demo world, imported, trained.

# bench_need COMMAND...: each on the PATH, or the benchmark stops.
bench_need() {
	for c; do
		command -v "$c" >/dev/null || { echo "bench: $c is needed"; exit 1; }
	done
}

# bench_setup NAME: $tmp (removed on exit), $port, $http.
bench_setup() {
	tmp=$(mktemp -d "/tmp/cinerec-$1-XXXXXX")
	pid=
	trap bench_cleanup EXIT INT TERM
	port=$((20000 + $$ % 20000))
	http=127.0.0.1:$port
}

bench_cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}

# bench_serve BINARY DATA_DIR SETTINGS VERSION: serve DATA_DIR with the
# SETTINGS lines (the admin listener off the default port), until both
# workers serve model VERSION.
bench_serve() {
	printf '%badmin = 127.0.0.1:%s\n' "$3" $((port + 2)) >"$tmp/c.conf"
	"$1" serve --config "$tmp/c.conf" --data-dir "$2" --http "$http" \
	    --ingest 127.0.0.1:$((port + 1)) >"$tmp/serve.log" 2>&1 &
	pid=$!
	i=0
	until curl -sf "http://$http/health" >/dev/null &&
	    [ "$(grep -c "serving model $4 " "$tmp/serve.log")" -ge 2 ]; do
		i=$((i + 1))
		[ $i -lt 3000 ] || { tail -20 "$tmp/serve.log"; exit 1; }
		sleep 0.1
	done
	# A start that takes long is a figure too (the ingest loads the
	# click-through tracker's lists of the last day first).
	[ $i -lt 100 ] || echo "   the server took $((i / 10)) s to serve and ingest"
}

bench_stop() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

# bench_machine: the machine the figures come from, and its load now.
bench_machine() {
	echo "== machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_world BINARY DATA_DIR USERS: a demo world of USERS users x 27,000
# movies (~30 sessions each, demo --compact) imported into DATA_DIR and
# trained, the wall time and peak memory of each step printed.
bench_world() {
	[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed (Debian's time)"; exit 1; }
	echo "== $3 users x 27000 movies, ~30 sessions each (demo --print --compact)"
	"$1" demo --print --compact --users "$3" --movies 27000 \
	    --sessions 30 >"$tmp/world.log"
	n=$(wc -l <"$tmp/world.log")
	echo "lines: $n"
	/usr/bin/time -o "$tmp/import.time" -f "%e %M" \
	    "$1" import --data-dir "$2" "$tmp/world.log" 2>&1 | grep -v ' info: '
	awk -v n="$n" '{ printf "import: %s s wall, %.0f lines/s, peak RSS %s KiB\n", $1, n / $1, $2 }' "$tmp/import.time"
	rm -f "$tmp/world.log"
	/usr/bin/time -f "train: %e s wall, peak RSS %M KiB" \
	    "$1" train --data-dir "$2" --holdout 0 --factors 64 --iters 10 2>&1 |
	    grep -v ' info: '
}
