#!/usr/bin/env bash
# WebDAV: methodical vs Apache httpd mod_dav (Debian package apache2) on the same folder.
#
#   bash bench/webdav-vs-apache.sh                       # full run (ROUNDS=3, DURATION=10)
#   ROUNDS=1 DURATION=3 bash bench/webdav-vs-apache.sh   # quick look
#
# Cases, each through bench/compare.sh (interleaved A/B rounds, server CPU per request):
#   propfind  PROPFIND /dav/many/ with Depth: 1 and no body (allprop) on a collection of
#             1,000 files (1,001 responses in each multistatus)
#   get       GET /dav/1k.txt (1 KiB), which both servers answer from their file code
# Both servers are pinned to CPU 1 and write no access log; the load generator (wrk) runs
# on CPU 0. methodical runs one runtime thread there (it sizes itself to the CPUs it may
# use); Apache runs mpm_event with Debian's defaults (bench/apache-dav.conf). Run it only
# on an otherwise quiet machine: compare.sh marks runs that other jobs disturbed.
# Results go to bench/out/webdav-<time>/ and a summary to stdout (A = methodical,
# B = Apache).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
PORT_M=${PORT_M:-18481}
PORT_A=${PORT_A:-18480}
OUT=bench/out/webdav-$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

need_wrk
[[ -x /usr/sbin/apache2 ]] || { echo "needs Apache (apt-get install apache2)"; exit 2; }
grep -q '^HEADER=' bench/compare.sh || { echo "needs bench/compare.sh with HEADER support"; exit 2; }

ports_free "$PORT_M" "$PORT_A"

methodical_bin

WORK=$(mktemp -d)
cleanup() {
    [[ -n ${M_PID:-} ]] && kill "$M_PID" 2>/dev/null
    [[ -n ${A_PID:-} ]] && kill "$A_PID" 2>/dev/null
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
# Apache's children run as www-data: the tree must be readable, the run folder writable.
chmod 755 "$WORK"
mkdir -p "$WORK/htdocs/dav/many" "$WORK/run"
chown www-data: "$WORK/run"
head -c 1024 /dev/urandom | base64 -w 0 | head -c 1024 >"$WORK/htdocs/dav/1k.txt"
for i in $(seq -w 1 1000); do
    printf 'file %s\n' "$i" >"$WORK/htdocs/dav/many/file-$i.txt"
done
chmod -R a+rX "$WORK/htdocs"

cat >"$WORK/methodical.toml" <<EOF
listen = ["127.0.0.1:$PORT_M"]
[log]
format = "off"
[[route]]
prefix = "/dav/"
webdav = { root = "$WORK/htdocs/dav", read_only = false, search = true, anonymous_write = true }
EOF

DAV_PORT=$PORT_A DAV_DOCROOT=$WORK/htdocs DAV_RUN=$WORK/run \
    taskset -c 1 /usr/sbin/apache2 -f "$PWD/bench/apache-dav.conf" -DFOREGROUND &
A_PID=$!
taskset -c 1 "$BIN" serve --config "$WORK/methodical.toml" 2>"$OUT/methodical.err" &
M_PID=$!
sleep 1

# Both answer the same thing before anything is measured.
for port in "$PORT_M" "$PORT_A"; do
    curl -fsS "http://127.0.0.1:$port/dav/1k.txt" | cmp - "$WORK/htdocs/dav/1k.txt"
    n=$(curl -fsS -X PROPFIND -H "Depth: 1" "http://127.0.0.1:$port/dav/many/" | grep -o '<D:href>' | wc -l)
    [[ $n == 1001 ]] || { echo "PROPFIND on port $port listed $n resources, not 1001"; exit 1; }
done
curl -sS -o /dev/null -w 'methodical PROPFIND: %{http_code}, %{size_download} octets\n' -X PROPFIND -H "Depth: 1" "http://127.0.0.1:$PORT_M/dav/many/" | tee "$OUT/summary.txt"
curl -sS -o /dev/null -w 'Apache     PROPFIND: %{http_code}, %{size_download} octets\n' -X PROPFIND -H "Depth: 1" "http://127.0.0.1:$PORT_A/dav/many/" | tee -a "$OUT/summary.txt"

export ROUNDS DURATION CONNS CLIENT_CPUS=0 A_PIDS=$M_PID B_PIDS=$A_PID
run_case() {
    local name=$1 path=$2
    shift 2
    echo "== $name" | tee -a "$OUT/summary.txt"
    compare_case "$name" "http://127.0.0.1:$PORT_M" "http://127.0.0.1:$PORT_A" "$path" "$@"
}
run_case propfind /dav/many/ METHOD=PROPFIND HEADER="Depth: 1"
run_case get /dav/1k.txt

echo
echo "A = methodical, B = Apache mod_dav; results in $OUT"
cat "$OUT/summary.txt"
