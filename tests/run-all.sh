#!/bin/bash
# Runs every test: unit tests (gcc and clang, and once under ASan+UBSan), a
# short libFuzzer run of option parsing (build-fuzz), and the VM integration
# tests against a real systemd. Installs what it needs (root). Usage: tests/run-all.sh [--no-vm]
set -euo pipefail
cd "$(dirname "$0")/.."

"$PWD/tools/install-deps.sh" --test

setup() {  # setup DIR ARGS...: configure a build directory once
    local dir="$1"; shift
    [[ -f "$dir/build.ninja" ]] || meson setup "$dir" --prefix=/usr "$@"
}

setup build -Dinstall_tests=true
CC=clang setup build-clang
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
CC=clang setup build-fuzz -Dfuzz=true
ninja -C build
ninja -C build-clang

passed=0 failed=0
# suite TITLE DIR SUITE: runs a meson test suite, adds its results (TAP
# subtests count one by one) to the totals, and goes on after a failure so
# one run reports everything.
suite() {
    local title="$1" dir="$2" name="$3" rc=0 log="$2/meson-logs/testlog.json"
    echo "=== $title"
    meson test -C "$dir" --suite "$name" --print-errorlogs || rc=$?
    if [[ -f "$log" ]]; then
        local counts
        # One per meson test, but the VM test's guest tests count one by one.
        counts="$(jq -rs '[.[] | (.stdout // "") as $out
            | if (.name | endswith("/ vm")) and ($out | test("(?m)^(not )?ok "))
              then {p: ([$out | scan("(?m)^ok [0-9]+")] | length),
                    f: ([$out | scan("(?m)^not ok [0-9]+")] | length)}
              elif .result == "OK" then {p: 1, f: 0}
              elif .result == "SKIP" then {p: 0, f: 0}
              else {p: 0, f: 1} end]
            | "\(map(.p) | add // 0) \(map(.f) | add // 0)"' "$log")"
        passed=$((passed + ${counts% *}))
        failed=$((failed + ${counts#* }))
    fi
    ((rc == 0)) || failed=$((failed > 0 ? failed : 1))
}

suite "unit tests (gcc)" build unit
suite "unit tests (clang)" build-clang unit
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    suite "unit tests (ASan+UBSan)" build-asan unit
suite "fuzzing (libFuzzer, 60 s)" build-fuzz fuzz
if [[ "${1:-}" != --no-vm ]]; then
    suite "integration tests (VM)" build integration
fi

echo "$passed passed, $failed failed"
((failed == 0))
