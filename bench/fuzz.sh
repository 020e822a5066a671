#!/usr/bin/env bash
# Runs every cargo-fuzz target of methodical for SECONDS_PER_TARGET seconds each (default 60)
# and prints, per target, how many inputs ran and how many distinct inputs crashed:
#
#   server/request_head   parse_head + framing + the Content-Length and chunked decoders
#   server/range          Range / If-Range decisions of static routes
#   server/config         Config::parse on arbitrary text
#   webdav/propfind, webdav/proppatch, webdav/lock, webdav/search   the XML body parsers
#   extension/parse_declarations                                    RFC 2774 declarations
#
# Works on stable Rust: cargo-fuzz needs nightly-only -Z flags, which RUSTC_BOOTSTRAP=1
# unlocks for these builds only (each fuzz folder is a workspace of its own, so nothing else
# is built that way). cargo-fuzz is installed if missing.
#
# libFuzzer stops at the first crash, so a target is restarted until its time is used up;
# every distinct crashing input is saved (libFuzzer names them by hash) under
# bench/out/fuzz/artifacts/<start time>/<target>/ and counted once. The growing corpora are
# kept in bench/out/fuzz/corpus/<target> (bench/out is git-ignored); the committed seeds in
# crates/*/fuzz/corpus/<target> are only read. The config target runs in an empty network
# namespace when `unshare --net` works (as root), so listener names that are not IP
# addresses fail to resolve at once instead of querying DNS.
#
# Environment:
#   SECONDS_PER_TARGET  fuzzing time per target in seconds (default 60; builds are extra)
#   TARGETS             space-separated subset, e.g. "server/range webdav/lock" (default: all)
#   FUZZ_TARGET_DIR     cargo target dir for the fuzz builds (default: target/fuzz)
#   CARGO_BUILD_JOBS    build parallelism (default 1)
#
# Exit status: 0 when no target crashed, 1 when one did, 2 on a setup error.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${SECONDS_PER_TARGET:-60}"
all_targets="server/request_head server/range server/config webdav/propfind webdav/proppatch webdav/lock webdav/search extension/parse_declarations"
targets="${TARGETS:-$all_targets}"
out="$root/bench/out/fuzz"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
target_dir="${FUZZ_TARGET_DIR:-$root/target/fuzz}"

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"

case "$seconds" in
  '' | *[!0-9]* | 0) echo "fuzz: SECONDS_PER_TARGET must be a positive whole number of seconds" >&2; exit 2 ;;
esac
for t in $targets; do
  case " $all_targets " in
    *" $t "*) ;;
    *) echo "fuzz: unknown target '$t' (known: $all_targets)" >&2; exit 2 ;;
  esac
done

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz (a few minutes)" >&2
  cargo install cargo-fuzz --locked -j "$CARGO_BUILD_JOBS" >&2 || exit 2
fi
host="$(rustc -vV | sed -n 's/^host: //p')"
mkdir -p "$out"

# Build each fuzz workspace once, with all its targets.
built=" "
for t in $targets; do
  crate="${t%%/*}"
  case "$built" in *" $crate "*) continue ;; esac
  echo "fuzz: building crates/$crate/fuzz" >&2
  if ! (cd "$root/crates/$crate" && cargo fuzz build --target-dir "$target_dir") >"$out/build-$crate.log" 2>&1; then
    tail -n 30 "$out/build-$crate.log" >&2
    echo "fuzz: build of crates/$crate/fuzz failed (full log: $out/build-$crate.log)" >&2
    exit 2
  fi
  built="$built$crate "
done

no_network=()
if unshare --net true 2>/dev/null; then
  no_network=(unshare --net --)
fi

# fuzz_one CRATE TARGET: runs one target for $seconds; sets `runs` and `crashes`.
fuzz_one() {
  local crate="$1" target="$2"
  local name="$crate-$target"
  local binary="$target_dir/$host/release/$target"
  local seeds="$root/crates/$crate/fuzz/corpus/$target"
  local corpus="$out/corpus/$name"
  local artifacts="$out/artifacts/$stamp/$name"
  local wrapper=()
  [ "$crate/$target" = server/config ] && wrapper=("${no_network[@]}")
  mkdir -p "$corpus" "$artifacts"
  [ -x "$binary" ] || { echo "fuzz: $binary was not built" >&2; exit 2; }
  runs=0
  local restarts=0 found_before=0 deadline=$((SECONDS + seconds))
  while :; do
    local remaining=$((deadline - SECONDS))
    [ "$remaining" -gt 0 ] || break
    local log="$out/run-$name-$restarts.log" status=0
    "${wrapper[@]}" "$binary" "$corpus" "$seeds" -max_total_time="$remaining" -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
    local executed
    executed="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)"
    if [ -z "$executed" ]; then
      tail -n 30 "$log" >&2
      echo "fuzz: $name did not report its statistics (log: $log)" >&2
      exit 2
    fi
    runs=$((runs + executed))
    [ "$status" -eq 0 ] && break
    if ! grep -q 'Test unit written to' "$log"; then
      tail -n 30 "$log" >&2
      echo "fuzz: $name failed without saving an input (log: $log)" >&2
      exit 2
    fi
    local found
    found="$(find "$artifacts" -type f | wc -l)"
    if [ "$found" -le "$found_before" ]; then
      # The same input crashed again: it is in the corpus, so every restart would stop on
      # it at once. Report it rather than spin.
      echo "fuzz: $name: a corpus input crashes on every start; stopping this target early" >&2
      break
    fi
    found_before="$found"
    restarts=$((restarts + 1))
  done
  crashes="$(find "$artifacts" -type f | wc -l | tr -d ' ')"
  [ "$crashes" -gt 0 ] || rmdir "$artifacts"
}

started=$SECONDS
total_crashes=0
report="$(printf '%-30s %8s %12s %8s\n' target seconds runs crashes)"
for t in $targets; do
  echo "fuzz: running $t for ${seconds}s" >&2
  t0=$SECONDS
  fuzz_one "${t%%/*}" "${t#*/}"
  report="$report
$(printf '%-30s %8s %12s %8s' "$t" "$((SECONDS - t0))" "$runs" "$crashes")"
  total_crashes=$((total_crashes + crashes))
done
rmdir "$out/artifacts/$stamp" 2>/dev/null || true

echo "$report"
echo "total fuzzing time: $((SECONDS - started)) s"
echo "total crashes: $total_crashes"
if [ "$total_crashes" -gt 0 ]; then
  echo "crashing inputs: $out/artifacts/$stamp" >&2
  exit 1
fi
