#!/bin/bash
# A non-root user may read Version, with busctl and with jobworkerctl.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

version="$(get_version)"
[[ -n "$version" ]] || fail "empty Version as root"

out="$(as_user "$TEST_USER1" busctl --json=short get-property \
        "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" Version | jq -r .data)"
assert_eq "$version" "$out" "Version read by $TEST_USER1 via busctl"

out="$(as_user "$TEST_USER1" jobworkerctl version)"
info "jobworkerctl version: $out"
assert_contains "$out" "$version" "jobworkerctl version as $TEST_USER1 shows the daemon version"
