#!/bin/sh
# The offline evaluation table of the README, regenerated: every model of
# cinerec on every ratings file at hand, under temporal-20 (cinerec eval),
# plus the joint search of cinerec tune, as one Markdown table a data set.
#
#   sh tests/bench/eval_table.sh BUILD_DIR [--readme README.md]
#
# Data sets: ml-latest-small from ../shared/data (or $CINEREC_SHARED/data);
# ml-100k and ml-1m fetched from GroupLens into $CINEREC_DATA_CACHE
# (~/.cache/cinerec-data) where this machine reaches it (their licences
# forbid copying them anywhere else, the repository included); each
# ratings CSV named in $CINEREC_EVAL_RATINGS (space separated).  A data set
# that is absent is skipped with a message.  With --readme, the block
# between the eval-table markers of that file is replaced by the output.
set -eu

build=${1:?usage: eval_table.sh BUILD_DIR [--readme FILE]}
bin=$build/cinerec
readme=
[ "${2:-}" = --readme ] && readme=${3:?--readme needs a file}
shared=${CINEREC_SHARED:-$(dirname "$0")/../../../shared}
cache=${CINEREC_DATA_CACHE:-${HOME:-/tmp}/.cache/cinerec-data}
tmp=$(mktemp -d /tmp/cinerec-eval-XXXXXX)	# scratch: the runs and the table
trap 'rm -rf "$tmp"' EXIT INT TERM

# fetch NAME: $cache/NAME/ratings.csv from GroupLens's zip, or return 1.
fetch() {
	[ -s "$cache/$1/ratings.csv" ] && return 0
	command -v curl >/dev/null && command -v unzip >/dev/null || return 1
	mkdir -p "$cache"
	curl -sfL --max-time 60 -o "$cache/$1.zip" \
	    "https://files.grouplens.org/datasets/movielens/$1.zip" ||
	    { rm -f "$cache/$1.zip"; return 1; }
	unzip -qo "$cache/$1.zip" -d "$cache" || return 1
	case $1 in
	ml-100k) awk 'BEGIN { OFS = ","; print "userId,movieId,rating,timestamp" }
	    { print $1, $2, $3, $4 }' "$cache/ml-100k/u.data" ;;
	ml-1m) awk -F'::' 'BEGIN { OFS = ","
	    print "userId,movieId,rating,timestamp" } { print $1, $2, $3, $4 }' \
	    "$cache/ml-1m/ratings.dat" ;;
	esac >"$cache/$1/ratings.csv.tmp" &&
	    mv "$cache/$1/ratings.csv.tmp" "$cache/$1/ratings.csv"
}

# row LABEL EVAL_ARGS...: one table row from cinerec eval's "all" line.
row() {
	label=$1
	shift
	"$bin" eval --ratings "$ratings" "$@" >"$tmp/run" 2>/dev/null ||
	    { echo "eval_table: cinerec eval $* failed" >&2; exit 1; }
	awk -v l="$label" '
	    /^train / { t = $2 }
	    /^all / { printf "| %s | %s | %s | %s | %s | %s |\n", l, $3, $4,
		$5, $6, t }' "$tmp/run"
}

# table NAME: the rows of the data set at $ratings.
table() {
	echo "$1 (\`cinerec eval --protocol temporal-20\`; parameters chosen on its validation part):"
	echo
	echo "| model | Recall@20 | NDCG@20 | coverage | top-1% share | train s |"
	echo "|---|---|---|---|---|---|"
	row "popularity (sanity figures of the protocol)" --model pop
	row "item-kNN, cosine, 50 neighbours, binary" --model itemknn \
	    --recency 0
	row "item-kNN, the same, recency 10" --model itemknn
	row "item-kNN, recency 10, mapped signal (as served)" \
	    --model itemknn --signal mapped
	row "ALS, 128 factors, reg 50, alpha 5, 20 iterations, mapped" \
	    --model als --recency 0
	row "**ALS, the same, recency 5 (the default)**" --model als
	row "ALS, recency 5, pop-bias 0.1" --model als --pop-bias 0.1
	row "ALS, recency 5, pop-bias 0.25" --model als --pop-bias 0.25
	row "item-kNN, recency 10, pop-bias 0.25" --model itemknn --pop-bias 0.25
	movies=$(dirname "$ratings")/movies.csv
	[ -s "$movies" ] && row "ALS, recency 5, at most 1 movie of a series a list" \
	    --model als --movies "$movies" --series-max 1
	"$bin" tune --ratings "$ratings" --model als >"$tmp/tune" 2>/dev/null ||
	    { echo "eval_table: cinerec tune failed" >&2; exit 1; }
	awk '
	    /^chosen on validation/ {
		sub(/.*model als /, ""); sub(/ signal.*recency/, ", recency")
		sub(/ threads.*/, ""); p = $0 }
	    /^all / { printf "| ALS, the joint grid of `cinerec tune` (%s) " \
		"| %s | %s | %s | %s | |\n", p, $3, $4, $5, $6 }' "$tmp/tune"
	echo
}

{
	found=0
	if [ -s "$shared/data/ml-latest-small/ratings.csv" ]; then
		ratings=$shared/data/ml-latest-small/ratings.csv
		table ml-latest-small
		found=$((found + 1))
	else
		echo "eval_table: ml-latest-small not found under $shared/data: skipped" >&2
	fi
	for d in ml-100k ml-1m; do
		if fetch "$d"; then
			ratings=$cache/$d/ratings.csv
			table "$d"
			found=$((found + 1))
		else
			echo "eval_table: $d cannot be fetched from GroupLens here: skipped" >&2
		fi
	done
	for ratings in ${CINEREC_EVAL_RATINGS:-}; do
		if [ -s "$ratings" ]; then
			table "$ratings"
			found=$((found + 1))
		else
			echo "eval_table: $ratings not found: skipped" >&2
		fi
	done
	[ $found -gt 0 ] || echo "eval_table: no data set at hand" >&2
} >"$tmp/table"
cat "$tmp/table"
if [ -n "$readme" ]; then
	awk -v t="$tmp/table" '
	    /<!-- eval-table: begin/ { print; while ((getline l < t) > 0)
		print l; skip = 1; next }
	    /<!-- eval-table: end/ { skip = 0 }
	    !skip' "$readme" >"$tmp/readme"
	grep -q '<!-- eval-table: end' "$tmp/readme" ||
	    { echo "eval_table: no eval-table markers in $readme" >&2; exit 1; }
	cat "$tmp/readme" >"$readme"
fi
