#!/usr/bin/env bash
# Fuzzes methodical-extension's RFC 2774 declaration parser (cargo-fuzz target
# `parse_declarations` in crates/extension/fuzz) for SECONDS_TO_RUN seconds
# (default 60) and prints how many inputs ran and how many crashed.
#
# Works on stable Rust: cargo-fuzz needs nightly-only -Z flags, which
# RUSTC_BOOTSTRAP=1 unlocks for this build only (the fuzz crate is a workspace
# of its own, so nothing else is built that way). cargo-fuzz is installed if
# missing.
#
# libFuzzer stops at the first crash, so the target is restarted until the
# time is used up; every distinct crashing input is saved (libFuzzer names
# them by hash) under bench/out/fuzz-extension/artifacts/<start time>/ and
# counted once. The growing corpus is kept in bench/out/fuzz-extension/corpus
# (bench/out is git-ignored); the committed seeds are only read.
#
# Environment:
#   SECONDS_TO_RUN   fuzzing time in seconds (default 60; the build is extra)
#   FUZZ_TARGET_DIR  cargo target dir for the fuzz build (default: cargo-fuzz's)
#   CARGO_BUILD_JOBS build parallelism (default 1)
#
# Exit status: 0 when no crash was found, 1 when one was, 2 on a setup error.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
crate="$root/crates/extension"
target=parse_declarations
seconds="${SECONDS_TO_RUN:-60}"
out="$root/bench/out/fuzz-extension"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
artifacts="$out/artifacts/$stamp"
corpus="$out/corpus"
seeds="$crate/fuzz/corpus/$target"

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"

case "$seconds" in
  '' | *[!0-9]*) echo "fuzz-extension: SECONDS_TO_RUN must be a whole number of seconds" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz-extension: installing cargo-fuzz (a few minutes)" >&2
  cargo install cargo-fuzz --locked -j "$CARGO_BUILD_JOBS" >&2 || exit 2
fi

target_dir_args=()
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
  target_dir_args=(--target-dir "$FUZZ_TARGET_DIR")
fi

mkdir -p "$artifacts" "$corpus"
cd "$crate"

echo "fuzz-extension: building $target" >&2
if ! cargo fuzz build "${target_dir_args[@]}" "$target" >"$out/build.log" 2>&1; then
  tail -n 30 "$out/build.log" >&2
  echo "fuzz-extension: build failed (full log: $out/build.log)" >&2
  exit 2
fi

runs=0
restarts=0
deadline=$((SECONDS + seconds))
while :; do
  remaining=$((deadline - SECONDS))
  [ "$remaining" -gt 0 ] || break
  log="$out/run-$restarts.log"
  status=0
  cargo fuzz run "${target_dir_args[@]}" "$target" "$corpus" "$seeds" -- \
    -max_total_time="$remaining" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  executed="$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)"
  if [ -z "$executed" ]; then
    tail -n 30 "$log" >&2
    echo "fuzz-extension: the fuzzer did not report its statistics (log: $log)" >&2
    exit 2
  fi
  runs=$((runs + executed))
  [ "$status" -eq 0 ] && break
  if ! grep -q 'Test unit written to' "$log"; then
    tail -n 30 "$log" >&2
    echo "fuzz-extension: the fuzzer failed without saving an input (log: $log)" >&2
    exit 2
  fi
  found="$(find "$artifacts" -type f | wc -l)"
  if [ "$found" -le "${found_before:-0}" ]; then
    # The same input crashed again: it is in the corpus, so every restart
    # would stop on it at once. Report it rather than spin.
    echo "fuzz-extension: a corpus input crashes on every start; stopping early" >&2
    break
  fi
  found_before="$found"
  restarts=$((restarts + 1))
done

crashes="$(find "$artifacts" -type f | wc -l | tr -d ' ')"
echo "target: $target"
echo "seconds: $seconds"
echo "runs: $runs"
echo "crashes: $crashes"
if [ "$crashes" -gt 0 ]; then
  echo "crashing inputs: $artifacts" >&2
  exit 1
fi
rmdir "$artifacts" 2>/dev/null || true
