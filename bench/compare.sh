#!/usr/bin/env bash
# compare.sh — interleaved A/B HTTP throughput comparison on one machine.
#
# methodical's copy of ../shared/bench/compare.sh with one addition: HEADER (below), for
# conditional requests (304 revalidation) that need a request header on both sides.
#
#   compare.sh BASE_URL_A BASE_URL_B PATH
#   e.g. CLIENT_CPUS=0 compare.sh http://127.0.0.1:18310 http://127.0.0.1:18300 /1k.txt
#
# Runs a short warm-up against each, then ROUNDS rounds of A then B
# (A B A B ...), each DURATION seconds with keep-alive connections, and prints
# per-run req/s, the median / min / max of each side, and finally exactly one
# line `ratio A/B: X.XX` (ratio of medians, A over B).
#
# Environment (defaults in brackets):
#   ROUNDS [3]        interleaved rounds (each round = one A run + one B run)
#   DURATION [10]     seconds per run
#   CONNS [50]        keep-alive connections
#   THREADS [1]       load-generator threads
#   WARMUP [2]        seconds of unmeasured warm-up per side (0 = none)
#   CLIENT_CPUS []    CPU list for the load generator (taskset -c); empty = unpinned.
#                     Pin the servers yourself (start them under taskset -c 1, or
#                     `taskset -a -p -c 1 PID` for every server process).
#   METHOD [GET]      request method; unknown methods (e.g. FOO) work with both tools
#   HEADER []         one extra request header, e.g. "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"
#                     (wrk: -H, h2load: -H)
#   TOOL [wrk]        wrk | h2load
#   H2 [0]            with TOOL=h2load: 1 = HTTP/2 cleartext prior knowledge (h2c),
#                     0 = HTTP/1.1 (--h1)
#   STREAMS [1]       h2load -m (concurrent streams per connection)
#   A_PIDS / B_PIDS   server PIDs, optional but recommended (space separated; direct children
#                     are added, e.g. nginx master -> workers): prints the server's
#                     CPU time per request so a client-bound run is still informative
#   OUT_DIR []        keep raw load-generator output there
#
# Each run line also shows foreign = CPU used during the run by processes other
# than this script, its load generator, the A/B server PIDs and kernel threads
# (% of one CPU over the run's wall time); foreign > 5% marks the run DISTURBED
# (another job was running: rerun it).
# Shown only when both A_PIDS and B_PIDS are given. steal (hypervisor) is shown
# when non-zero; other host-level noise is invisible from inside the VM.
#
# Needs: wrk (Debian package `wrk`) or h2load (`nghttp2-client`), taskset, awk.
# Notes: wrk validates its first request with its own HTTP parser and refuses
# methods it does not know ("invalid HTTP method at 1:1", with wrk.method and
# wrk.format alike), so for unknown methods the generated Lua script returns one
# GET to the validator and the unknown method for every real request. That makes
# wrk call Lua per request (a slower generator); both sides get the same cost.
set -euo pipefail

if [[ $# -ne 3 ]]; then
    awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0" >&2
    exit 2
fi
A=${1%/}
B=${2%/}
P=$3
[[ $P == /* ]] || P="/$P"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-50}
THREADS=${THREADS:-1}
WARMUP=${WARMUP:-2}
CLIENT_CPUS=${CLIENT_CPUS:-}
METHOD=${METHOD:-GET}
TOOL=${TOOL:-wrk}
H2=${H2:-0}
STREAMS=${STREAMS:-1}
A_PIDS=${A_PIDS:-}
B_PIDS=${B_PIDS:-}
OUT_DIR=${OUT_DIR:-}
HEADER=${HEADER:-}
HDR_ARGS=()
[[ -n $HEADER ]] && HDR_ARGS=(-H "$HEADER")

command -v "$TOOL" >/dev/null || { echo "compare.sh: $TOOL not found" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[[ -n $OUT_DIR ]] && mkdir -p "$OUT_DIR"

PIN=()
[[ -n $CLIENT_CPUS ]] && PIN=(taskset -c "$CLIENT_CPUS")

# Methods wrk's bundled http_parser accepts; anything else needs the GET-first trick.
WRK_KNOWN=" DELETE GET HEAD POST PUT CONNECT OPTIONS TRACE COPY LOCK MKCOL MOVE PROPFIND PROPPATCH SEARCH UNLOCK BIND REBIND UNBIND ACL REPORT MKACTIVITY CHECKOUT MERGE M-SEARCH NOTIFY SUBSCRIBE UNSUBSCRIBE PATCH PURGE MKCALENDAR LINK UNLINK "
WRK_SCRIPT=()
if [[ $TOOL == wrk && $METHOD != GET ]]; then
    if [[ $WRK_KNOWN == *" $METHOD "* ]]; then
        printf 'wrk.method = "%s"\n' "$METHOD" >"$TMP/method.lua"
    else
        cat >"$TMP/method.lua" <<EOF
local valid, req
local first = true
function init(args)
  valid = wrk.format("GET", nil)
  req = wrk.format("$METHOD", nil)
end
function request()
  if first then first = false; return valid end
  return req
end
EOF
    fi
    WRK_SCRIPT=(-s "$TMP/method.lua")
fi

# Sum of utime+stime (clock ticks) of the given pids and their direct children.
cpu_ticks() {
    local p pids=() sum=0 f
    for p in $1; do
        pids+=("$p")
        for f in $(pgrep -P "$p" 2>/dev/null || true); do pids+=("$f"); done
    done
    for p in "${pids[@]}"; do
        # fields after the ")" of comm: utime is $12, stime $13 there
        f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || f=0
        sum=$((sum + ${f:-0}))
    done
    echo "$sum"
}

# run_one BASE SECONDS OUTFILE -> prints "req_per_s non2xx errors p50 p99 client_cpu_s"
# (h2load reports no percentiles: p50 carries its mean latency, p99 is "-")
run_one() {
    local base=$1 secs=$2 out=$3 url="$1$P"
    local tf=("/usr/bin/time" -f "CLIENTCPU %U %S" -o "$out.time")
    [[ -x /usr/bin/time ]] || tf=()
    if [[ $TOOL == wrk ]]; then
        "${tf[@]}" "${PIN[@]}" wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --latency \
            "${HDR_ARGS[@]}" "${WRK_SCRIPT[@]}" "$url" >"$out" 2>&1 || true
        awk -v cpu="$(awk '/^CLIENTCPU/{print $2+$3}' "$out.time" 2>/dev/null)" '
            /^Requests\/sec:/ {r=$2}
            /Non-2xx or 3xx responses:/ {n=$NF}
            /Socket errors:/ {gsub(",","");e=$4+$6+$8+$10}
            $1=="50%" {p50=$2} $1=="99%" {p99=$2}
            END {printf "%s %d %d %s %s %s\n", (r==""?0:r), n, e, (p50==""?"-":p50), (p99==""?"-":p99), (cpu==""?"-":cpu)}' "$out"
    else
        local proto=(--h1)
        [[ $H2 == 1 ]] && proto=()
        local hdr=()
        [[ $METHOD != GET ]] && hdr=(-H ":method: $METHOD")
        "${tf[@]}" "${PIN[@]}" h2load "${proto[@]}" -t"$THREADS" -c"$CONNS" -m"$STREAMS" \
            -D"$secs" "${hdr[@]}" "${HDR_ARGS[@]}" "$url" >"$out" 2>&1 || true
        awk -v cpu="$(awk '/^CLIENTCPU/{print $2+$3}' "$out.time" 2>/dev/null)" '
            /^finished in/ {r=$4; gsub(",","",r)}
            /^requests:/ {e=$12+$14}
            /^status codes:/ {n=$7+$9}
            /^time for request:/ {p50=$6}
            END {printf "%s %d %d %s %s %s\n", (r==""?0:r), n, e, (p50==""?"-":p50"(mean)"), "-", (cpu==""?"-":cpu)}' "$out"
    fi
}

# CPU ticks used by processes that belong neither to this script (load generator
# included: it is reaped by us, so it shows up in our cutime), nor to the servers
# (A_PIDS, B_PIDS and descendants), nor to kernel threads (pid 2 and descendants:
# ksoftirqd/kworkers do the benchmark's own packet processing). utime+stime plus
# cutime+cstime, so jobs that start and finish during a run are counted once their
# parent reaps them. A rough detector of other jobs running on the machine.
foreign_ticks() {
    # Through cat: a process that ends while /proc is read makes cat skip it, where mawk
    # would stop with status 2 (and set -e end the run). The pid is a stat line's first field.
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v roots="$$ 2 $A_PIDS $B_PIDS" '
        {
            pid = $1
            s = $0; sub(/^.*\) /, "", s); n = split(s, a, " ")
            if (n < 15) next
            ppid[pid] = a[2]; t[pid] = a[12] + a[13] + a[14] + a[15]
        }
        END {
            split(roots, r, " "); for (i in r) ex[r[i]] = 1
            sum = 0
            for (p in t) {
                q = p; hops = 0; skip = 0
                while (q != "" && q != 0 && hops++ < 64) { if (q in ex) { skip = 1; break }; q = ppid[q] }
                if (!skip) sum += t[p]
            }
            print sum
        }'
}

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) {print 0; exit} if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

echo "compare: A=$A B=$B path=$P method=$METHOD tool=$TOOL$([[ $TOOL == h2load ]] && echo " h2=$H2 streams=$STREAMS") rounds=$ROUNDS duration=${DURATION}s conns=$CONNS threads=$THREADS client_cpus=${CLIENT_CPUS:-any}"
if [[ $WARMUP -gt 0 ]]; then
    run_one "$A" "$WARMUP" "$TMP/warm-A" >/dev/null
    run_one "$B" "$WARMUP" "$TMP/warm-B" >/dev/null
fi
: >"$TMP/A.rps"
: >"$TMP/B.rps"
for r in $(seq 1 "$ROUNDS"); do
    for side in A B; do
        if [[ $side == A ]]; then base=$A; pids=$A_PIDS; else base=$B; pids=$B_PIDS; fi
        out="$TMP/run-$side-$r"
        [[ -n $OUT_DIR ]] && out="$OUT_DIR/run-$side-$r"
        c0=0; [[ -n $pids ]] && c0=$(cpu_ticks "$pids")
        f0=$(foreign_ticks)
        st0=$(awk '/^cpu /{print $9; exit}' /proc/stat)
        t0=$(date +%s.%N)
        read -r rps non2xx errs p50 p99 ccpu < <(run_one "$base" "$DURATION" "$out")
        t1=$(date +%s.%N)
        st1=$(awk '/^cpu /{print $9; exit}' /proc/stat)
        f1=$(foreign_ticks)
        c1=$c0; [[ -n $pids ]] && c1=$(cpu_ticks "$pids")
        extra=$(awk -v d=$((c1 - c0)) -v f=$((f1 - f0)) -v st=$((st1 - st0)) \
            -v hz="$(getconf CLK_TCK)" -v rps="$rps" -v s="$DURATION" \
            -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" -v havepids="${pids:+1}" \
            -v bothpids="$([[ -n $A_PIDS && -n $B_PIDS ]] && echo 1)" '
            BEGIN {
                cpu=d/hz
                if (havepids) printf " server_cpu=%.2fs(%.0f%%) us/req=%.2f", cpu, 100*cpu/s, (rps>0 ? 1e6*cpu/(rps*s) : 0)
                # without both servers known, they would count as foreign
                if (bothpids) printf " foreign=%.0f%%%s", 100*f/hz/w, (f/hz/w > 0.05 ? "(DISTURBED)" : "")
                if (st > 0) printf " steal=%.0f%%", 100*st/hz/w
            }')
        lat="p50=$p50 p99=$p99"
        [[ $TOOL == h2load ]] && lat="mean=${p50%(mean)}"
        printf 'round %d %s %-28s req/s=%10.1f %s non2xx=%s errors=%s client_cpu=%ss%s\n' \
            "$r" "$side" "$base" "$rps" "$lat" "$non2xx" "$errs" "$ccpu" "$extra"
        echo "$rps" >>"$TMP/$side.rps"
        if [[ $rps == 0 ]]; then
            echo "compare.sh: no result from $base$P; output:" >&2
            cat "$out" >&2
        fi
    done
done
mA=$(median <"$TMP/A.rps")
mB=$(median <"$TMP/B.rps")
for side in A B; do
    m=$([[ $side == A ]] && echo "$mA" || echo "$mB")
    sort -g "$TMP/$side.rps" | awk -v s=$side -v m="$m" '
        NR==1 {min=$1} {max=$1}
        END {printf "%s median %.1f req/s  min %.1f  max %.1f  spread %.1f%%\n", s, m, min, max, (m>0 ? 100*(max-min)/m : 0)}'
done
awk -v a="$mA" -v b="$mB" 'BEGIN {printf "ratio A/B: %.2f\n", (b>0 ? a/b : 0)}'
