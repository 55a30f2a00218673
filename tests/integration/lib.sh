#!/bin/bash
# Helpers for the integration tests that run inside the test VM
# (tests/vm/run.sh).  Source it:  source "$(dirname "$0")/lib.sh"
set -euo pipefail
# Report the failing command and line when `set -e` aborts a test, so a
# failure is never just "exit status 1".
set -o errtrace
trap 'echo "FAIL: command exited with status $? at ${BASH_SOURCE[0]##*/}:$LINENO: $BASH_COMMAND" >&2' ERR

# These tests change system state (units, users, bus policy): refuse to run
# anywhere but the throw-away VM, which sets JOBWORKER_TEST_USERS.
if [[ -z "${JOBWORKER_TEST_USERS:-}" ]]; then
    echo "FAIL: not in the test VM (JOBWORKER_TEST_USERS unset); use tests/vm/run.sh" >&2
    exit 1
fi
read -r TEST_USER1 TEST_USER2 _ <<<"$JOBWORKER_TEST_USERS"
export TEST_USER1 TEST_USER2

BUS_NAME=org.jobworker1
BUS_PATH=/org/jobworker1
MANAGER_IFACE=org.jobworker1.Manager
SERVICE=jobworkerd.service

# fail MESSAGE...: abort the test with a message naming the caller's line.
fail() {
    trap - ERR
    echo "FAIL: $* (at ${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]})" >&2
    exit 1
}

# info MESSAGE...: progress note in the test's output (shown on failure).
info() { echo "--- $*"; }

# assert_eq EXPECTED ACTUAL [WHAT]
assert_eq() {
    [[ "$1" == "$2" ]] && return 0
    trap - ERR
    echo "FAIL: ${3:-values differ}: expected '$1', got '$2' (at ${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]})" >&2
    exit 1
}

# assert_ne UNEXPECTED ACTUAL [WHAT]
assert_ne() {
    [[ "$1" != "$2" ]] && return 0
    trap - ERR
    echo "FAIL: ${3:-values equal}: did not expect '$1' (at ${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]})" >&2
    exit 1
}

# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() {
    [[ "$1" == *"$2"* ]] && return 0
    trap - ERR
    echo "FAIL: ${3:-text does not contain '$2'} (at ${BASH_SOURCE[1]##*/}:${BASH_LINENO[0]}); text was:" >&2
    printf '%s\n' "$1" | sed 's/^/    /' >&2
    exit 1
}

# as_user USER CMD...: run CMD as an unprivileged user (no login session).
as_user() {
    local user="$1"; shift
    (cd / && runuser -u "$user" -- "$@")
}

# wait_until SECONDS CMD...: poll CMD (every 0.2 s) until it succeeds; returns
# 1 on timeout.  Timeouts are generous: the VM runs under TCG (~50x slower).
# CMD is re-run, but its arguments are expanded only once by the caller:
# `wait_until 9 test "$(unit_state X)" = active` never sees a change.  Use
# `wait_until 9 unit_is X active` or `wait_until 9 bash -c '...'` instead.
wait_until() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# unit_state UNIT: ActiveState without failing on inactive units.
unit_state() { systemctl show -P ActiveState "$1"; }
# unit_is UNIT STATE / unit_is_not UNIT STATE: for wait_until.
unit_is() { [[ "$(unit_state "$1")" == "$2" ]]; }
unit_is_not() { [[ "$(unit_state "$1")" != "$2" ]]; }

# get_version: the daemon's Version property (plain string, via busctl JSON).
get_version() {
    busctl --json=short get-property "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" Version | jq -r .data
}
