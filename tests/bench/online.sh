#!/bin/sh
# Online quality (part of make bench; alone: make bench-online): one
# simulated world served two ways over simulated days, the same sessions
# in both: popularity only (no model ever trained) against the learned
# model retrained after every day.  Per day and arm: the share of lists
# followed and the lists' mean true affinity against the best possible
# (the simulator knows the truth); for the run: coverage and the 1% most
# listed movies' share of the slots (the feedback loop).  Writes
# BUILD/bench/online-ctr.svg, the follow rate per day of each arm.
# Usage: tests/bench/online.sh BUILD_DIR
#   ONLINE_DAYS (7), ONLINE_HISTORY_DAYS (14), ONLINE_USERS (3000),
#   ONLINE_MOVIES (1000), ONLINE_SESSIONS (2000 a day)
set -eu
B=${1:-build}
BIN=$B/cinerec
DAYS=${ONLINE_DAYS:-7}
HIST=${ONLINE_HISTORY_DAYS:-14}
WORLD="--users ${ONLINE_USERS:-3000} --movies ${ONLINE_MOVIES:-1000}"
SESS=${ONLINE_SESSIONS:-2000}
mkdir -p "$B/bench"
tmp=$(mktemp -d /tmp/cinerec-online-XXXXXX)
pid=
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; }
trap 'stop; rm -rf "$tmp"' EXIT INT TERM
port=$((30000 + $$ % 20000))
printf 'train_at_start = 0\ntrain_interval_min = 0\n' >"$tmp/conf"

serve() {
	"$BIN" serve --config "$tmp/conf" --data-dir "$1" --http 127.0.0.1:$port \
	    --ingest 127.0.0.1:$((port + 1)) --admin 127.0.0.1:$((port + 2)) >>"$tmp/serve.log" 2>&1 &
	pid=$!
	i=0
	until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
		i=$((i + 1)); [ $i -lt 300 ] || { tail -20 "$tmp/serve.log"; exit 1; }; sleep 0.1
	done
}
num() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1" | tail -1; }

echo "== online quality: $WORLD, $HIST days of history, then $DAYS days of $SESS sessions"
"$BIN" simulate $WORLD --days "$HIST" --sessions "$SESS" --out "$tmp/history.log" 2>/dev/null
for arm in pop learned; do
	"$BIN" import --data-dir "$tmp/$arm" "$tmp/history.log" >/dev/null 2>&1
done
"$BIN" train --data-dir "$tmp/learned" >/dev/null 2>&1
printf '%-4s %-8s %8s %9s %9s %9s %9s\n' day arm followed affinity best coverage top1%
: >"$tmp/series"
d=0
while [ $d -lt "$DAYS" ]; do
	for arm in pop learned; do
		serve "$tmp/$arm"
		"$BIN" simulate $WORLD --first-day $((HIST + d)) --days 1 --sessions "$SESS" \
		    --run-seed $((100 + d)) --http 127.0.0.1:$port --ingest 127.0.0.1:$((port + 1)) \
		    --report "$tmp/$arm-$d.json" 2>/dev/null
		stop
		r=$tmp/$arm-$d.json
		printf '%-4s %-8s %8s %9s %9s %9s %9s\n' $((d + 1)) $arm "$(num "$r" ctr)" \
		    "$(num "$r" affinity)" "$(num "$r" best)" "$(num "$r" coverage)" "$(num "$r" top1_share)"
		echo "$arm $((d + 1)) $(num "$r" ctr)" >>"$tmp/series"
		# The learned arm retrains on everything so far, as the server would.
		if [ $arm = learned ]; then "$BIN" train --data-dir "$tmp/learned" >/dev/null 2>&1; fi
	done
	d=$((d + 1))
done
awk '{ s[$1] += $3; n[$1]++ } END { printf "mean follow rate: popularity %.4f, learned %.4f (%.2fx)\n",
    s["pop"] / n["pop"], s["learned"] / n["learned"], (s["learned"] / n["learned"]) / (s["pop"] / n["pop"]) }' "$tmp/series"

# The plot: follow rate per simulated day, one line per arm.
awk -v days="$DAYS" 'BEGIN { W = 640; H = 360; L = 60; R = 20; T = 30; Bm = 50 }
{ v[$1, $2] = $3; if ($3 > max) max = $3 }
END {
	if (max <= 0) max = 1; max = int(max * 11 + 0.999) / 10
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H
	printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	printf "<text x=\"%d\" y=\"20\">Lists followed per simulated day (cinerec simulate)</text>\n", L
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", L, H - Bm, W - R, H - Bm
	printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", L, T, L, H - Bm
	for (k = 0; k <= 4; k++) { y = H - Bm - k * (H - Bm - T) / 4
		printf "<text x=\"5\" y=\"%d\">%.0f%%</text>\n", y + 4, 100 * max * k / 4 }
	split("pop learned", arms, " "); split("#e8590c #3556d4", col, " ")
	for (a = 1; a <= 2; a++) { pts = ""
		for (d = 1; d <= days; d++) { x = L + (days > 1 ? (d - 1) * (W - L - R) / (days - 1) : 0)
			y = H - Bm - v[arms[a], d] / max * (H - Bm - T); pts = pts sprintf("%.1f,%.1f ", x, y) }
		printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", col[a], pts
		printf "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n", L + 10, H - Bm - 12 - 16 * (2 - a), col[a], arms[a] == "pop" ? "popularity" : "learned, retrained daily" }
	for (d = 1; d <= days; d++) { x = L + (days > 1 ? (d - 1) * (W - L - R) / (days - 1) : 0)
		printf "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x, H - Bm + 16, d }
	printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">simulated day</text>\n</svg>\n", (W + L) / 2, H - 12
}' "$tmp/series" >"$B/bench/online-ctr.svg"
echo "plot: $B/bench/online-ctr.svg"
