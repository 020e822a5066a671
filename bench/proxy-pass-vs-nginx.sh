#!/usr/bin/env bash
# The forwarding path: methodical's proxy route (no cache) vs nginx `proxy_pass` (with
# kept-alive upstream connections), both in front of the same nginx upstream serving a
# 1 KiB object. A second case runs methodical's cached route on an object the upstream
# marks `no-store` (a cache miss every time: lookup, forward, response not stored).
#
#   bash bench/proxy-pass-vs-nginx.sh                       # ROUNDS=3, DURATION=10
#   ROUNDS=1 DURATION=3 bash bench/proxy-pass-vs-nginx.sh   # quick look
#   BIN=/path/to/methodical bash bench/proxy-pass-vs-nginx.sh
#
# Every server (methodical, the nginx proxy, the nginx upstream) is pinned to CPU 1, the
# load generator (wrk, through bench/compare.sh) to CPU 0. Results go to
# bench/out/proxy-pass-<time>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
PORT_M=${PORT_M:-18710}
PORT_N=${PORT_N:-18720}
PORT_U=${PORT_U:-18730}
OUT=bench/out/proxy-pass-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

ports_free "$PORT_M" "$PORT_N" "$PORT_U"
need_wrk
need_nginx

methodical_bin

WORK=$(mktemp -d)
cleanup() {
    for p in ${M_PID:-} ${N_PID:-} ${U_PID:-}; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/www" "$WORK/up" "$WORK/px"
head -c 768 /dev/urandom | base64 -w 0 | head -c 1024 >"$WORK/www/1k.txt"

{
    nginx_main "$WORK/up"
    cat <<CONF
http {
    access_log off;
    keepalive_requests 1000000;
$(nginx_temp_paths "$WORK/up")
    types { text/plain txt; }
    server {
        listen 127.0.0.1:$PORT_U;
        root $WORK/www;
        location /nostore/ { alias $WORK/www/; add_header Cache-Control "no-store"; }
    }
}
CONF
} >"$WORK/up/nginx.conf"
{
    nginx_main "$WORK/px"
    cat <<CONF
http {
    access_log off;
    keepalive_requests 1000000;
$(nginx_temp_paths "$WORK/px")
    upstream backend { server 127.0.0.1:$PORT_U; keepalive 64; }
    server {
        listen 127.0.0.1:$PORT_N;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
        }
    }
}
CONF
} >"$WORK/px/nginx.conf"
cat >"$WORK/methodical.toml" <<CONF
listen = ["127.0.0.1:$PORT_M"]
[log]
format = "off"
[cache]
memory = "256MiB"
[[route]]
prefix = "/"
proxy = { upstream = "http://127.0.0.1:$PORT_U" }
[[route]]
prefix = "/nostore/"
proxy = { upstream = "http://127.0.0.1:$PORT_U", cache = true }
CONF

taskset -c 1 /usr/sbin/nginx -p "$WORK/up" -c "$WORK/up/nginx.conf" &
U_PID=$!
taskset -c 1 /usr/sbin/nginx -p "$WORK/px" -c "$WORK/px/nginx.conf" &
N_PID=$!
taskset -c 1 "$BIN" serve --config "$WORK/methodical.toml" 2>"$OUT/methodical.err" &
M_PID=$!
for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$PORT_N/1k.txt" -o /dev/null 2>/dev/null && curl -fsS "http://127.0.0.1:$PORT_M/1k.txt" -o /dev/null 2>/dev/null && break
    sleep 0.2
done
curl -fsS -D - "http://127.0.0.1:$PORT_M/nostore/1k.txt" -o /dev/null | grep -i '^cache-status' | tee "$OUT/methodical-nostore.txt"

export ROUNDS DURATION CONNS CLIENT_CPUS=0 A_PIDS=$M_PID B_PIDS=$N_PID
echo "== pass (methodical proxy route without cache vs nginx proxy_pass)" | tee "$OUT/summary.txt"
OUT_DIR=$OUT/pass bash bench/compare.sh "http://127.0.0.1:$PORT_M" "http://127.0.0.1:$PORT_N" /1k.txt | tee "$OUT/pass.txt"
grep -E "^(A|B) median|^ratio" "$OUT/pass.txt" >>"$OUT/summary.txt"
echo "== miss (methodical cached route, upstream says no-store, vs nginx proxy_pass)" | tee -a "$OUT/summary.txt"
OUT_DIR=$OUT/miss bash bench/compare.sh "http://127.0.0.1:$PORT_M" "http://127.0.0.1:$PORT_N" /nostore/1k.txt | tee "$OUT/miss.txt"
grep -E "^(A|B) median|^ratio" "$OUT/miss.txt" >>"$OUT/summary.txt"
echo
echo "A = methodical, B = nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*\///'); results in $OUT"
cat "$OUT/summary.txt"
