#!/bin/bash
# Reading the Version property starts jobworkerd by D-Bus activation.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# Nothing should have started it since boot; stop anyway so the test does not
# depend on what earlier tests did.
systemctl stop "$SERVICE"
assert_eq inactive "$(unit_state "$SERVICE")" "state before the first call"

out="$(busctl get-property "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" Version)"
info "Version: $out"
[[ "$out" =~ ^s\ \"[^\"]+\"$ ]] || fail "Version is not a non-empty string: $out"

# The reply proves the daemon runs; give systemd a moment to notice the name.
wait_until 30 unit_is "$SERVICE" active \
    || fail "jobworkerd not active after the call (state: $(unit_state "$SERVICE"))"
status="$(systemctl status --no-pager "$SERVICE")" || fail "systemctl status failed: $status"
assert_contains "$status" "Active: active (running)"
