#!/bin/bash
# jobworkerd exits by itself when idle and is activated again on the next call.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

dropin=/run/systemd/system/jobworkerd.service.d
cleanup() {
    rm -f "$dropin/idle.conf"
    systemctl daemon-reload
}
trap cleanup EXIT
mkdir -p "$dropin"
printf '[Service]\nEnvironment=JOBWORKERD_IDLE_TIMEOUT_SEC=3\n' >"$dropin/idle.conf"
systemctl daemon-reload
systemctl stop "$SERVICE"

get_version >/dev/null
wait_until 30 unit_is "$SERVICE" active || fail "not activated"
pid1="$(systemctl show -P MainPID "$SERVICE")"
info "running as pid $pid1 with a 3 s idle timeout"

# 3 s idle timeout; allow plenty for TCG.
wait_until 60 unit_is_not "$SERVICE" active \
    || fail "jobworkerd still running 60 s after a 3 s idle timeout"
wait_until 30 unit_is "$SERVICE" inactive \
    || fail "jobworkerd did not stop cleanly (state: $(unit_state "$SERVICE"))"
assert_eq success "$(systemctl show -P Result "$SERVICE")" "service result after idle exit"

get_version >/dev/null
wait_until 30 unit_is "$SERVICE" active || fail "not re-activated"
pid2="$(systemctl show -P MainPID "$SERVICE")"
assert_ne "$pid1" "$pid2" "a new daemon process after re-activation"
