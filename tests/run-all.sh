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

echo "=== unit tests (gcc)"
meson test -C build --suite unit --print-errorlogs
echo "=== unit tests (clang)"
meson test -C build-clang --suite unit --print-errorlogs
echo "=== unit tests (ASan+UBSan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --suite unit --print-errorlogs
echo "=== fuzzing (libFuzzer, 60 s)"
meson test -C build-fuzz --suite fuzz --print-errorlogs

if [[ "${1:-}" != --no-vm ]]; then
    echo "=== integration tests (VM)"
    meson test -C build --suite integration --print-errorlogs
fi
