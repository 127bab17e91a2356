#!/bin/sh
# Browser tests of the admin dashboard (tests/browser/*.test.mjs): installs
# what is missing (Debian's chromium, nodejs, npm; playwright-core into
# $BUILD/browser), builds nothing, starts $BUILD/cinerec serve on free
# loopback ports with a temporary demo world, runs `node --test`, leaves
# screenshots in $BUILD/screenshots/ and stops the server.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/cinerec
PLAYWRIGHT_VERSION=1.65.1

if [ ! -x "$BIN" ]; then
	echo "browser tests: $BIN is missing: run make first" >&2
	exit 1
fi

missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "browser tests: missing packages:$missing (run: sudo apt-get install$missing)" >&2
		exit 1
	fi
	echo "browser tests: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
if [ ! -f "$BUILD/browser/node_modules/playwright-core/package.json" ] ||
    ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" \
    "$BUILD/browser/node_modules/playwright-core/package.json"; then
	mkdir -p "$BUILD/browser"
	npm install --silent --no-audit --no-fund --prefix "$BUILD/browser" \
	    "playwright-core@$PLAYWRIGHT_VERSION"
fi

free_port() {
	node -e 'const s = require("net").createServer();
	    s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

TMP=$(mktemp -d /tmp/cinerec-browser-XXXXXX)
PID=""
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

HTTP_PORT=$(free_port)
INGEST_PORT=$(free_port)
ADMIN_PORT=$(free_port)
"$BIN" demo --users 200 --movies 150 --data-dir "$TMP/data" >/dev/null
# The admin listener through the configuration file (same as --admin).
printf 'admin = 127.0.0.1:%s\ntrain_interval_min = 0\n' "$ADMIN_PORT" \
    > "$TMP/cinerec.conf"
"$BIN" serve --config "$TMP/cinerec.conf" --data-dir "$TMP/data" \
    --http "127.0.0.1:$HTTP_PORT" --ingest "127.0.0.1:$INGEST_PORT" \
    > "$TMP/server.log" 2>&1 &
PID=$!

# Up when the admin login page answers and the first model is served.
i=0
until curl -fsS -o /dev/null "http://127.0.0.1:$ADMIN_PORT/login" 2>/dev/null &&
    grep -q "serving model" "$TMP/server.log"; do
	i=$((i + 1))
	if [ $i -gt 300 ] || ! kill -0 "$PID" 2>/dev/null; then
		echo "browser tests: the server did not come up:" >&2
		cat "$TMP/server.log" >&2
		exit 1
	fi
	sleep 0.1
done
if grep -q "initial-admin-password" "$TMP/server.log" &&
    grep -q "$(cat "$TMP/data/initial-admin-password")" "$TMP/server.log"; then
	echo "browser tests: the initial password is in the log" >&2
	exit 1
fi

rm -rf "$BUILD/screenshots"
CINEREC_ADMIN_URL="http://127.0.0.1:$ADMIN_PORT" \
CINEREC_HTTP_URL="http://127.0.0.1:$HTTP_PORT" \
CINEREC_INGEST_PORT="$INGEST_PORT" \
CINEREC_PASSWORD_FILE="$TMP/data/initial-admin-password" \
CINEREC_NODE_MODULES="$BUILD/browser/node_modules" \
CINEREC_SCREENSHOTS="$BUILD/screenshots" \
    node --test --test-concurrency=1 "$ROOT"/tests/browser/*.test.mjs || {
	rc=$?
	echo "browser tests: server log:" >&2
	tail -n 40 "$TMP/server.log" >&2
	exit $rc
}
if grep -q "seccomp violation" "$TMP/server.log"; then
	echo "browser tests: seccomp violations in the server log" >&2
	exit 1
fi
echo "screenshots: $BUILD/screenshots/"
