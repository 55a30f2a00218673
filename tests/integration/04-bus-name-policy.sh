#!/bin/bash
# Only root may own org.jobworker1 on the system bus.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

helper=/usr/libexec/jobworker/tests/request-name
[[ -x "$helper" ]] || fail "$helper missing: configure the build with -Dinstall_tests=true"

# The daemon must not hold the name, or root would get "exists" instead.
systemctl stop "$SERVICE"

# Control: the helper really can take the name (root is allowed), so a
# refusal below means policy, not a broken helper.
rc=0; out="$("$helper" "$BUS_NAME" 2>&1)" || rc=$?
assert_eq 0 "$rc" "root requesting $BUS_NAME ($out)"

rc=0; out="$(as_user "$TEST_USER1" "$helper" "$BUS_NAME" 2>&1)" || rc=$?
info "$TEST_USER1: $out"
assert_eq 1 "$rc" "$TEST_USER1 requesting $BUS_NAME must be refused by policy (0=granted, 2=other error)"
