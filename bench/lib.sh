# Shell functions the bench/*-vs-*.sh scripts share. Sourced, not run, after the script has
# changed to the repository root:  source bench/lib.sh

# Exits 2 unless wrk is installed.
need_wrk() {
    command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 2; }
}

# Exits 2 unless the Debian nginx package is installed.
need_nginx() {
    [[ -x /usr/sbin/nginx ]] || { echo "needs nginx (apt-get install nginx)"; exit 2; }
}

# ports_free PORT…: exits 2 when one of the ports already has a listener.
ports_free() {
    local port
    for port in "$@"; do
        if ss -ltn "sport = :$port" | grep -q LISTEN; then
            echo "port $port is taken (another benchmark?); set PORT_* to free ones" >&2
            exit 2
        fi
    done
}

# methodical_bin: sets BIN to a release build of methodical, building it unless BIN is set
# already. Honours CARGO_TARGET_DIR.
methodical_bin() {
    if [[ -z ${BIN:-} ]]; then
        cargo build --release --quiet -p methodical
        BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/methodical
    fi
}

# nginx_main DIR: the main context of an nginx.conf (foreground, one worker) whose pid file
# and error log are in DIR.
nginx_main() {
    cat <<CONF
daemon off;
master_process on;
user root;
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
CONF
}

# nginx_temp_paths DIR: the http-context temporary folders, all in DIR, one directive a line
# indented for the http block.
nginx_temp_paths() {
    cat <<CONF
    client_body_temp_path $1/body;
    proxy_temp_path $1/proxy;
    fastcgi_temp_path $1/fastcgi;
    uwsgi_temp_path $1/uwsgi;
    scgi_temp_path $1/scgi;
CONF
}

# compare_case NAME A_URL B_URL PATH [VAR=value…]: one bench/compare.sh run of PATH with the
# given variables, its rounds in $OUT/NAME/ and its output in $OUT/NAME.txt; appends the
# medians, the ratio and the mean server CPU per request to $OUT/summary.txt.
compare_case() {
    local name=$1 a=$2 b=$3 path=$4
    shift 4
    env "$@" OUT_DIR="$OUT/$name" bash bench/compare.sh "$a" "$b" "$path" | tee "$OUT/$name.txt"
    grep -E "^(A|B) median|^ratio" "$OUT/$name.txt" >>"$OUT/summary.txt"
    # Round lines read `round N A|B URL … us/req=X …`.
    awk '/^round/ {for (i=1;i<=NF;i++) if ($i ~ /^us\/req=/) {split($i,a,"="); s[$3]+=a[2]; n[$3]++}}
         END {if (n["A"]&&n["B"]) printf "us/req A %.2f  B %.2f  ratio A/B %.2f\n", s["A"]/n["A"], s["B"]/n["B"], (s["A"]/n["A"])/(s["B"]/n["B"])}' \
        "$OUT/$name.txt" | tee -a "$OUT/summary.txt"
}
