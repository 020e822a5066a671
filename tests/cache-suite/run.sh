#!/usr/bin/env bash
# run.sh — the HTTP cache test suite (npm package `http-cache-tests` 0.4.5, the suite behind
# cache-tests.fyi) against methodical as a caching reverse proxy, from a clean clone.
#
#   tests/cache-suite/run.sh                                 # builds methodical --release
#   METHODICAL_BIN=target/release/methodical tests/cache-suite/run.sh
#
# 1. npm installs the suite here (node_modules/ is not committed);
# 2. starts the suite's origin server on a free port;
# 3. starts methodical on a free port with one cached proxy route in front of it;
# 4. runs the suite's client against methodical (results.json);
# 5. prints `N passed, N failed` per kind (required / optimal) with the failing ids, and
#    exits non-zero when a count is below its threshold.
#
# Environment (defaults in brackets):
#   METHODICAL_BIN []   binary to test; empty = `cargo build --release -p methodical`
#   REQUIRED_MIN [152]  required tests that must pass (of 157; see README.md for the 5 others)
#   OPTIMAL_MIN [78]    optimal tests that must pass (of 86)
#   RESULTS_DIR []      keep results.json, counts.json and the server logs there
#   SUITE_TIMEOUT [900] seconds the client may run
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
REQUIRED_MIN=${REQUIRED_MIN:-152}
OPTIMAL_MIN=${OPTIMAL_MIN:-78}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}

for tool in node npm; do
    command -v "$tool" >/dev/null || { echo "cache-suite: $tool is needed (Debian: apt-get install nodejs npm)" >&2; exit 2; }
done

echo "cache-suite: installing http-cache-tests 0.4.5"
(cd "$here" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
suite=$here/node_modules/http-cache-tests
[[ -f $suite/cli.mjs ]] || { echo "cache-suite: npm did not install http-cache-tests" >&2; exit 2; }

bin=${METHODICAL_BIN:-}
if [[ -z $bin ]]; then
    echo "cache-suite: building methodical (release)"
    (cd "$root" && cargo build --release -p methodical --quiet)
    bin=${CARGO_TARGET_DIR:-$root/target}/release/methodical
fi
[[ -x $bin ]] || { echo "cache-suite: no methodical binary at $bin" >&2; exit 2; }

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n ${RESULTS_DIR:-} ]]; then
        mkdir -p "$RESULTS_DIR" && cp "$work"/* "$RESULTS_DIR"/ 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Waits for a line matching $2 in file $1 and prints its first capture of $3 (sed -E).
wait_for_line() {
    local file=$1 pattern=$2 extract=$3
    for _ in $(seq 1 300); do
        if grep -qE "$pattern" "$file" 2>/dev/null; then
            grep -E "$pattern" "$file" | head -1 | sed -E "$extract"
            return 0
        fi
        sleep 0.1
    done
    echo "cache-suite: timed out waiting for /$pattern/ in $file:" >&2
    cat "$file" >&2
    return 1
}

# The suite's origin server, on a free port (it reads its settings from npm's variables).
(cd "$suite" && npm_config_protocol=http npm_config_port=0 npm_config_pidfile="$work/origin.pid" exec node server/server.mjs) \
    >"$work/origin.log" 2>&1 &
pids+=($!)
origin_port=$(wait_for_line "$work/origin.log" '^Listening on' 's/.*:([0-9]+)\/?$/\1/')

cat >"$work/methodical.toml" <<TOML
[log]
format = "off"

[cache]
memory = "256MiB"

[[route]]
prefix = "/"
proxy = { upstream = "http://127.0.0.1:$origin_port", cache = true }
TOML
"$bin" serve --config "$work/methodical.toml" --listen 127.0.0.1:0 >"$work/methodical.log" 2>&1 &
pids+=($!)
proxy=$(wait_for_line "$work/methodical.log" '^listening on http://' 's/^listening on http:\/\/([^ ]+).*/\1/')
echo "cache-suite: origin on port $origin_port, methodical on $proxy"

echo "cache-suite: running the client (a few minutes: many tests pause 3 s)"
if ! (cd "$suite" && npm_config_base="http://$proxy" npm_config_id='' npm_package_config_id='' \
    timeout "$SUITE_TIMEOUT" node --no-warnings cli.mjs) >"$work/results.json" 2>"$work/client.log"; then
    echo "cache-suite: the client failed:" >&2
    cat "$work/client.log" >&2
    exit 1
fi

cd "$here"
node summarize.mjs "$work/results.json" "$REQUIRED_MIN" "$OPTIMAL_MIN"
