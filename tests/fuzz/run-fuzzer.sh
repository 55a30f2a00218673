#!/bin/bash
# Runs a libFuzzer binary for a bounded time (meson test, suite fuzz).
#   run-fuzzer.sh FUZZER SEED_CORPUS WORK_DIR [LIBFUZZER_ARGS...]
# The seed corpus is only read: new inputs go to WORK_DIR/fuzz-corpus,
# crash inputs to WORK_DIR/fuzz-artifacts/ (their path is printed by libFuzzer).
set -euo pipefail
fuzzer="$1" seeds="$2" work="$3"; shift 3
mkdir -p "$work/fuzz-corpus" "$work/fuzz-artifacts"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
exec "$fuzzer" -artifact_prefix="$work/fuzz-artifacts/" -print_final_stats=1 "$@" \
    "$work/fuzz-corpus" "$seeds"
