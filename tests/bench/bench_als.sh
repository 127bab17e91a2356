#!/bin/sh
# make bench, ALS training: cinerec's implicit ALS on a generated matrix with
# BENCH_ALS_THREADS (2) threads and with 1 thread, beside the `implicit`
# Python library's ALS (from PyPI, in a throwaway virtualenv under
# BUILD_DIR/bench) on the very same matrix, factors, iterations, CG steps,
# regularisation and confidences, in the same run.
# Usage: tests/bench/bench_als.sh BUILD_DIR   (after make: needs BUILD_DIR/obj)
#
# Scale and parameters (defaults): BENCH_ALS_USERS (1000000),
# BENCH_ALS_ITEMS (27000), BENCH_ALS_NNZ (30000000), BENCH_ALS_FACTORS (64),
# BENCH_ALS_ITERS (3), BENCH_ALS_THREADS (2), BENCH_ALS_CG (3),
# BENCH_ALS_REG (50), BENCH_ALS_ALPHA (5), BENCH_ALS_SEED (42);
# BENCH_ALS_VENV (BUILD_DIR/bench/als-venv), BENCH_ALS_IMPLICIT (implicit:
# a pip requirement, e.g. implicit==0.7.3).  No network (no venv, no
# implicit): the reference is skipped with a message, never a failure.
set -eu
B=${1:-build}
USERS=${BENCH_ALS_USERS:-1000000}
ITEMS=${BENCH_ALS_ITEMS:-27000}
NNZ=${BENCH_ALS_NNZ:-30000000}
FACTORS=${BENCH_ALS_FACTORS:-64}
ITERS=${BENCH_ALS_ITERS:-3}
THREADS=${BENCH_ALS_THREADS:-2}
CG=${BENCH_ALS_CG:-3}
REG=${BENCH_ALS_REG:-50}
ALPHA=${BENCH_ALS_ALPHA:-5}
SEED=${BENCH_ALS_SEED:-42}
VENV=${BENCH_ALS_VENV:-$B/bench/als-venv}
IMPLICIT=${BENCH_ALS_IMPLICIT:-implicit}

mkdir -p "$B/bench"
[ -f "$B/libcinerec.a" ] || { echo "bench_als: $B/libcinerec.a missing (run make)"; exit 1; }
# Linked against the core library: the linker takes only the modules ALS
# training needs (csr, model, als, ...), whatever they become.
cc -std=gnu99 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -Wstrict-prototypes \
    -Wmissing-prototypes -Wshadow -Wpointer-arith -Iapp -I"$B" \
    tests/bench/bench_als.c "$B/libcinerec.a" -lsqlite3 -lxxhash -lpthread -lm \
    -o "$B/bench/bench_als"

tmp=$(mktemp -d /tmp/cinerec-als-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The reference: implicit from PyPI in a virtualenv of its own, reused while
# it imports.  pip is bounded so that no network means a quick skip.
py=
skip=
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c \
    'import implicit, scipy, numpy, threadpoolctl' 2>/dev/null; then
	py=$VENV/bin/python
elif ! command -v python3 >/dev/null; then
	skip="no python3"
elif [ -e "$VENV" ] && [ ! -f "$VENV/pyvenv.cfg" ]; then
	skip="$VENV exists and is not a virtualenv"
elif ! python3 -m venv --clear "$VENV" >"$tmp/venv.log" 2>&1; then
	skip="cannot create a virtualenv (apt-get install python3-venv?): $(tail -n 1 "$tmp/venv.log")"
elif ! "$VENV/bin/pip" install -q --retries 1 --timeout 30 \
    "$IMPLICIT" scipy numpy threadpoolctl >"$tmp/pip.log" 2>&1; then
	skip="cannot install $IMPLICIT from PyPI (no network?): $(tail -n 1 "$tmp/pip.log")"
else
	py=$VENV/bin/python
fi

echo "== ALS training: $USERS users x $ITEMS items, ~$NNZ entries, $FACTORS factors, $ITERS iterations, $CG CG steps"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
"$B/bench/bench_als" -u "$USERS" -m "$ITEMS" -n "$NNZ" -s "$SEED" -w "$tmp/matrix.bin"

run_c() {
	echo "-- cinerec, $1 thread(s)"
	"$B/bench/bench_als" -l "$tmp/matrix.bin" -t "$1" -f "$FACTORS" \
	    -i "$ITERS" -c "$CG" -r "$REG" -a "$ALPHA" -s "$SEED" >"$tmp/out"
	cat "$tmp/out"
	cat "$tmp/out" >>"$tmp/results"
}
run_c "$THREADS"
if [ -n "$py" ]; then
	echo "-- implicit, $THREADS thread(s) (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset)"
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONUNBUFFERED=1 "$py" tests/bench/als_implicit.py \
	    "$tmp/matrix.bin" --factors "$FACTORS" --iters "$ITERS" --cg-steps "$CG" \
	    --reg "$REG" --alpha "$ALPHA" --threads "$THREADS" --seed "$SEED" \
	    2>&1 | tee -a "$tmp/results" || true
	grep -q '^RESULT name=implicit' "$tmp/results" ||
	    skip="the implicit run failed (output above)"
else
	echo "-- implicit: skipped: $skip"
fi
[ "$THREADS" = 1 ] || run_c 1
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== ALS summary (same matrix, $FACTORS factors, $ITERS iterations)"
awk -v skip="$skip" '
/^RESULT / {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	n++
	name[n] = v["name"]; thr[n] = v["threads"]; spi[n] = v["s_per_iter"]
	best[n] = v["s_best"]; e2e[n] = v["end_to_end"]; rss[n] = v["peak_rss_mib"]
	if (v["name"] == "cinerec" && v["threads"] == 1) { c1 = v["s_per_iter"]; c1b = v["s_best"] }
	else if (v["name"] == "cinerec") { cN = v["s_per_iter"]; cNb = v["s_best"]; tN = v["threads"] }
	else { iN = v["s_per_iter"]; iNb = v["s_best"]; iname = v["name"] }
}
END {
	printf "%-16s %7s %10s %10s %12s %13s\n", "", "threads", "s/iter", "best s/it", "end-to-end s", "peak RSS MiB"
	for (i = 1; i <= n; i++)
		printf "%-16s %7s %10.3f %10.3f %12.3f %13.0f\n", name[i], thr[i], spi[i], best[i], e2e[i], rss[i]
	if (cN != "" && iN != "")
		printf "cinerec/%s s/iter, %s threads: %.2f (best iterations: %.2f; target <= 1.00)\n", iname, tN, cN / iN, cNb / iNb
	else
		printf "cinerec/implicit: skipped: %s\n", skip
	if (cN != "" && c1 != "")
		printf "cinerec %s threads vs 1 thread: %.2fx speed-up (best iterations: %.2fx)\n", tN, c1 / cN, c1b / cNb
}' "$tmp/results"
