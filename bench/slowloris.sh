#!/usr/bin/env bash
# Slowloris against a release build (issue 8, item 1): 1,000 connections from 127.0.0.2
# sending one header octet every 5 s, while a normal client on 127.0.0.1 makes requests;
# prints success rate, p50/p99 idle vs under attack, and RSS. See bench/slowloris.py.
#
#   bash bench/slowloris.sh                           # full run: 20 s idle, 60 s attack
#   DURATION=15 BASELINE=5 bash bench/slowloris.sh    # quick look
#   bash bench/slowloris.sh --header-timeout 5s       # extra arguments go to slowloris.py
#
# Check the machine is quiet first (uptime): other load shows up as latency.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

CONNS=${CONNS:-1000}
DURATION=${DURATION:-60}
BASELINE=${BASELINE:-20}
PORT=${PORT:-18540}
OUT=bench/out/slowloris-$(date +%Y%m%d-%H%M%S)

# The attacker holds CONNS sockets and the server as many: raise the open-files limit.
need=$((CONNS + 512))
if (( $(ulimit -n) < need )); then
    ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
(( $(ulimit -n) >= CONNS + 64 )) || { echo "open-files limit $(ulimit -n) is too low for $CONNS connections"; exit 2; }

methodical_bin

mkdir -p "$OUT"
echo "uptime: $(uptime)" | tee "$OUT/summary.txt"
python3 bench/slowloris.py --binary "$BIN" --port "$PORT" --conns "$CONNS" --duration "$DURATION" --baseline "$BASELINE" "$@" | tee -a "$OUT/summary.txt"
echo "written to $OUT/summary.txt"
