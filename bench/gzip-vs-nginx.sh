#!/usr/bin/env bash
# gzip of a 100 KiB text file: methodical (`compress = true`) vs nginx (`gzip on`), both at
# gzip level 6, side by side.
#
#   bash bench/gzip-vs-nginx.sh                       # full run (ROUNDS=3, DURATION=10 per case)
#   ROUNDS=1 DURATION=3 bash bench/gzip-vs-nginx.sh   # quick look
#
# Cases, every request with `Accept-Encoding: gzip`:
#   kept         methodical's static route keeps the compressed variant of a file up to 1 MiB
#                and compresses it once; nginx `gzip on` compresses on every request. This is
#                what each server does out of the box with compression on.
#   per-request  the same 100 KiB compressed on every request on both sides: methodical's
#                `respond` route with the file as its body and `compress = true` (the code path
#                of proxied responses) vs nginx `gzip on` again.
#   precompressed  both serve a prepared `100k.txt.gz` sidecar: methodical's sidecar support
#                vs nginx `gzip_static on`.
# Both servers are pinned to CPU 1 with one worker (nginx: worker_processes 1; methodical:
# one runtime thread, since it sizes itself to the CPUs it may use) and write no access log;
# the load generator runs on CPU 0, through bench/compare.sh (interleaved rounds, server CPU
# per request). Every case first checks that both sides send gzip that decodes to the file,
# and prints the compressed sizes: methodical's gzip is zlib-rs, whose level 6 makes output a
# few per cent larger than zlib's level 6 (in one measurement, 22,863 vs 21,441 octets for
# this file; zlib-rs level 7 gives 21,316 at about 1.8x its level-6 time).
# Results go to bench/out/gzip-<time>/ and a summary to stdout.
#
# The build honours CARGO_TARGET_DIR. Run it on a quiet machine (check `uptime`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
PORT_M=${PORT_M:-18410}
PORT_N=${PORT_N:-18400}
LEVEL=6
OUT=bench/out/gzip-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

ports_free "$PORT_M" "$PORT_N"
need_wrk
need_nginx
command -v gzip >/dev/null || { echo "needs gzip"; exit 2; }

methodical_bin

WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [[ -n ${NGINX_PID:-} ]] && kill "$NGINX_PID" 2>/dev/null; rm -rf "$WORK"; true' EXIT
mkdir -p "$WORK/www" "$WORK/nginx"
# Real prose (the licence texts every Debian system has), 100 KiB of it, printable ASCII,
# tabs and line breaks only (it is also a TOML literal string below).
cat /usr/share/common-licenses/* 2>/dev/null | LC_ALL=C tr -cd '\11\12\40-\176' >"$WORK/all.txt" || true
head -c 102400 "$WORK/all.txt" >"$WORK/www/100k.txt"
if [[ $(stat -c %s "$WORK/www/100k.txt") -lt 102400 ]]; then
    for i in $(seq 1 3000); do echo "line $i: the quick brown fox jumps over the lazy dog $((i * 7919 % 1000))"; done >"$WORK/all.txt"
    head -c 102400 "$WORK/all.txt" >"$WORK/www/100k.txt"
fi
cp "$WORK/www/100k.txt" "$WORK/www/pre.txt"
gzip -"$LEVEL" -c "$WORK/www/pre.txt" >"$WORK/www/pre.txt.gz"
touch -r "$WORK/www/pre.txt" "$WORK/www/pre.txt.gz"

cat >"$WORK/nginx/nginx.conf" <<EOF
$(nginx_main "$WORK/nginx")
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
$(nginx_temp_paths "$WORK/nginx")
    types { text/plain txt; }
    gzip on;
    gzip_comp_level $LEVEL;
    gzip_types text/plain;
    gzip_vary on;
    server {
        listen 127.0.0.1:$PORT_N;
        root $WORK/www;
        location = /respond { default_type text/plain; try_files /100k.txt =404; }
        location = /pre.txt { gzip_static on; }
    }
}
EOF
{
    echo "listen = [\"127.0.0.1:$PORT_M\"]"
    echo "[log]"
    echo "format = \"off\""
    echo "[[route]]"
    echo "prefix = \"/respond\""
    echo "compress = true"
    echo "respond = { status = 200, content_type = \"text/plain\", body = '''"
    cat "$WORK/www/100k.txt"
    echo "''' }"
    echo "[[route]]"
    echo "prefix = \"/\""
    echo "compress = true"
    echo "static = { root = \"$WORK/www\" }"
} >"$WORK/methodical.toml"
# The respond body is the file up to its last line break (a TOML literal string drops the
# first one): compare the two sides on what they actually send.

taskset -c 1 /usr/sbin/nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
taskset -c 1 "$BIN" serve --config "$WORK/methodical.toml" 2>"$OUT/methodical.err" &
M_PID=$!
sleep 1

# Both sides answer gzip that decodes to the file (curl decodes), and say so.
check() {
    local port=$1 path=$2 expect=$3 got
    got=$(curl -fsS --compressed -H 'Accept-Encoding: gzip' -D "$WORK/head" "http://127.0.0.1:$port$path" | md5sum)
    grep -qi '^content-encoding: gzip' "$WORK/head" || { echo "no gzip from :$port$path"; cat "$WORK/head"; exit 1; }
    [[ $got == $(md5sum <"$expect") ]] || { echo "wrong content from :$port$path"; exit 1; }
    printf '%s%s: %s octets gzip\n' ":$port" "$path" "$(curl -fsS -H 'Accept-Encoding: gzip' "http://127.0.0.1:$port$path" | wc -c)"
}
{
    echo "file: $(stat -c %s "$WORK/www/100k.txt") octets of text, gzip level $LEVEL"
    check "$PORT_M" /100k.txt "$WORK/www/100k.txt"
    check "$PORT_N" /100k.txt "$WORK/www/100k.txt"
    curl -fsS "http://127.0.0.1:$PORT_M/respond" >"$WORK/respond.txt"
    check "$PORT_M" /respond "$WORK/respond.txt"
    check "$PORT_M" /pre.txt "$WORK/www/pre.txt"
    check "$PORT_N" /pre.txt "$WORK/www/pre.txt"
} | tee "$OUT/summary.txt"

export ROUNDS DURATION CONNS CLIENT_CPUS=0 A_PIDS=$M_PID B_PIDS=$NGINX_PID HEADER="Accept-Encoding: gzip"
run_case() {
    local name=$1 path=$2
    echo "== $name ($path)" | tee -a "$OUT/summary.txt"
    compare_case "$name" "http://127.0.0.1:$PORT_M" "http://127.0.0.1:$PORT_N" "$path"
}
run_case kept /100k.txt
run_case per-request /respond
run_case precompressed /pre.txt

echo
echo "A = methodical, B = nginx; results in $OUT"
cat "$OUT/summary.txt"
