#!/usr/bin/env bash
# Cache hits: methodical's shared cache vs Varnish (Debian package), both in front of the
# same nginx upstream serving a 1 KiB object with `Cache-Control: max-age=3600`.
#
#   bash bench/proxy-hit-vs-varnish.sh                      # ROUNDS=3, DURATION=10
#   ROUNDS=1 DURATION=3 bash bench/proxy-hit-vs-varnish.sh  # quick look
#   BIN=/path/to/methodical bash bench/proxy-hit-vs-varnish.sh   # skip the release build
#
# Every server (methodical, varnishd and its children, the nginx upstream) is pinned to
# CPU 1, the load generator (wrk, through bench/compare.sh) to CPU 0; methodical then runs
# one runtime thread. Neither cache logs requests. Both caches are warmed with one request
# first, so every measured request is a hit. Results go to bench/out/proxy-hit-<time>/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
PORT_M=${PORT_M:-18610}
PORT_V=${PORT_V:-18620}
PORT_U=${PORT_U:-18630}
OUT=bench/out/proxy-hit-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

ports_free "$PORT_M" "$PORT_V" "$PORT_U"
need_wrk
need_nginx
[[ -x /usr/sbin/varnishd ]] || { echo "needs varnish (apt-get install varnish)"; exit 2; }

methodical_bin

WORK=$(mktemp -d)
chmod 755 "$WORK" # varnishd's worker runs as its own user and must reach its folder
cleanup() {
    for p in ${M_PID:-} ${V_PID:-} ${U_PID:-}; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/www" "$WORK/nginx"
head -c 768 /dev/urandom | base64 -w 0 | head -c 1024 >"$WORK/www/1k.txt"

cat >"$WORK/nginx/nginx.conf" <<CONF
$(nginx_main "$WORK/nginx")
http {
    access_log off;
    keepalive_requests 1000000;
$(nginx_temp_paths "$WORK/nginx")
    types { text/plain txt; }
    server {
        listen 127.0.0.1:$PORT_U;
        root $WORK/www;
        add_header Cache-Control "max-age=3600";
    }
}
CONF
cat >"$WORK/methodical.toml" <<CONF
listen = ["127.0.0.1:$PORT_M"]
[log]
format = "off"
[cache]
memory = "256MiB"
[[route]]
prefix = "/"
proxy = { upstream = "http://127.0.0.1:$PORT_U", cache = true }
CONF

taskset -c 1 /usr/sbin/nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
U_PID=$!
taskset -c 1 /usr/sbin/varnishd -F -n "$WORK/varnish" -a "127.0.0.1:$PORT_V" -b "127.0.0.1:$PORT_U" \
    -s malloc,256m -p thread_pools=1 >"$OUT/varnish.log" 2>&1 &
V_PID=$!
taskset -c 1 "$BIN" serve --config "$WORK/methodical.toml" 2>"$OUT/methodical.err" &
M_PID=$!
for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$PORT_V/1k.txt" -o /dev/null 2>/dev/null && curl -fsS "http://127.0.0.1:$PORT_M/1k.txt" -o /dev/null 2>/dev/null && break
    sleep 0.2
done
# Warm both caches and show that the second request is a hit.
curl -fsS -D - "http://127.0.0.1:$PORT_M/1k.txt" -o /dev/null | grep -i '^cache-status' | tee "$OUT/methodical-hit.txt"
curl -fsS -D - "http://127.0.0.1:$PORT_V/1k.txt" -o /dev/null | grep -iE '^(age|x-varnish)' | tee "$OUT/varnish-hit.txt"

export ROUNDS DURATION CONNS CLIENT_CPUS=0 A_PIDS=$M_PID B_PIDS=$V_PID OUT_DIR=$OUT/runs
bash bench/compare.sh "http://127.0.0.1:$PORT_M" "http://127.0.0.1:$PORT_V" /1k.txt | tee "$OUT/hit.txt"
echo
echo "A = methodical (cache hit), B = Varnish $(/usr/sbin/varnishd -V 2>&1 | head -1 | sed 's/.*(//; s/ revision.*//'); results in $OUT"
grep -E "^(A|B) median|^ratio" "$OUT/hit.txt"
