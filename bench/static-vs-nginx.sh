#!/usr/bin/env bash
# Static files: methodical vs nginx (Debian package) on the same folder, side by side.
#
#   bash bench/static-vs-nginx.sh            # full run (ROUNDS=3, DURATION=10 per case)
#   ROUNDS=1 DURATION=3 bash bench/static-vs-nginx.sh   # quick look
#
# Both servers are pinned to CPU 1 with one worker (nginx: worker_processes 1; methodical:
# one runtime thread, since it sizes itself to the CPUs it may use) and write no access log;
# the load generator runs on CPU 0. Cases: 1 KiB file, 100 KiB file, 304 revalidation
# (If-Modified-Since in the future), FOO (methodical 501, nginx 405), each through
# bench/compare.sh (interleaved rounds, server CPU per request), then RSS with 1,000 idle
# keep-alive connections. Results go to bench/out/static-<time>/ and a summary to stdout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
PORT_M=${PORT_M:-18310}
PORT_N=${PORT_N:-18300}
OUT=bench/out/static-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

ports_free "$PORT_M" "$PORT_N"
need_wrk
need_nginx

methodical_bin

WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [[ -n ${NGINX_PID:-} ]] && kill "$NGINX_PID" 2>/dev/null; rm -rf "$WORK"; true' EXIT
mkdir -p "$WORK/www" "$WORK/nginx"
head -c 1024 /dev/urandom | base64 -w 0 | head -c 1024 >"$WORK/www/1k.txt"
head -c 102400 /dev/urandom >"$WORK/www/100k.bin"

cat >"$WORK/nginx/nginx.conf" <<EOF
$(nginx_main "$WORK/nginx")
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
$(nginx_temp_paths "$WORK/nginx")
    types { text/plain txt; application/octet-stream bin; }
    server {
        listen 127.0.0.1:$PORT_N;
        root $WORK/www;
    }
}
EOF
cat >"$WORK/methodical.toml" <<EOF
listen = ["127.0.0.1:$PORT_M"]
[log]
format = "off"
[limits]
max_connections_per_ip = 100000
[[route]]
prefix = "/"
static = { root = "$WORK/www" }
EOF

taskset -c 1 /usr/sbin/nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
taskset -c 1 "$BIN" serve --config "$WORK/methodical.toml" 2>"$OUT/methodical.err" &
M_PID=$!
sleep 1
curl -fsS "http://127.0.0.1:$PORT_M/1k.txt" -o /dev/null
curl -fsS "http://127.0.0.1:$PORT_N/1k.txt" -o /dev/null

export ROUNDS DURATION CONNS CLIENT_CPUS=0 A_PIDS=$M_PID B_PIDS=$NGINX_PID
run_case() {
    local name=$1 path=$2
    shift 2
    echo "== $name" | tee -a "$OUT/summary.txt"
    compare_case "$name" "http://127.0.0.1:$PORT_M" "http://127.0.0.1:$PORT_N" "$path" "$@"
}
run_case 1k /1k.txt
run_case 100k /100k.bin
run_case 304 /1k.txt HEADER="If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"
run_case foo /1k.txt METHOD=FOO

echo "== RSS with 1000 idle keep-alive connections" | tee -a "$OUT/summary.txt"
python3 bench/idle-rss.py "$PORT_M" "$M_PID" "$PORT_N" "$NGINX_PID" | tee -a "$OUT/summary.txt"

echo
echo "A = methodical, B = nginx; results in $OUT"
cat "$OUT/summary.txt"
