#!/bin/bash
# The idle exit waits for questions still out with polkit: an admin's
# interactive authentication may take minutes, and a daemon that exits
# meanwhile drops the call. polkitd is frozen while another user's GetJob
# waits on it; with a 2 s idle timeout the daemon must stay, answer the call
# once polkitd is back, and only then exit.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
POLKIT=polkit.service
dropin=/run/systemd/system/jobworkerd.service.d

cleanup() {
    systemctl kill -s CONT "$POLKIT" 2>/dev/null || true
    rm -f "$dropin/idle.conf"
    systemctl daemon-reload
}
trap cleanup EXIT

systemctl is-active -q "$POLKIT" || systemctl start "$POLKIT"
mkdir -p "$dropin"
printf '[Service]\nEnvironment=JOBWORKERD_IDLE_TIMEOUT_SEC=2\n' >"$dropin/idle.conf"
systemctl daemon-reload
systemctl stop "$SERVICE"

done1="$(jctl "$U1" start -- true)"
jctl "$U1" wait "$done1"
# Acting on another user's job may prompt (only reading never does).
info "polkitd frozen; $U2 removes $U1's job (an interactive question, up to minutes)"
systemctl kill -s STOP "$POLKIT"
(cd / && runuser -u "$U2" -- busctl --timeout=300 --allow-interactive-authorization=yes \
    call "$BUS_NAME" "/org/jobworker1/job/$done1" org.jobworker1.Job Remove >/tmp/idle-probe.out 2>&1
 echo $? >/tmp/idle-probe.rc) &
probe=$!

sleep 3
pid="$(systemctl show -P MainPID "$SERVICE")"
[[ "$pid" != 0 ]] || fail "jobworkerd not running while a call waits for polkit"
sleep 12
kill -0 "$probe" 2>/dev/null || fail "the call was answered without polkit: $(cat /tmp/idle-probe.out)"
assert_eq active "$(unit_state "$SERVICE")" "jobworkerd after 15 s idle with a polkit question out"
assert_eq "$pid" "$(systemctl show -P MainPID "$SERVICE")" "the same jobworkerd"

info "polkitd back: the call is answered, then the daemon idles out"
systemctl kill -s CONT "$POLKIT"
wait "$probe" || true
assert_contains "$(cat /tmp/idle-probe.out)" "Unknown object '/org/jobworker1/job/$done1'."
wait_until 60 unit_is "$SERVICE" inactive || fail "jobworkerd did not idle out after the answer ($(unit_state "$SERVICE"))"
assert_eq success "$(systemctl show -P Result "$SERVICE")" "service result after idle exit"
