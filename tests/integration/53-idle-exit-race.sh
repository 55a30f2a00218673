#!/bin/bash
# Start calls racing the idle exit: with a 1 s idle timeout, calls arrive
# just as the daemon decides to leave (a sweep of pauses around the
# timeout). Every StartJob is answered, by this daemon or the next one: a
# raw busctl call gets its job or org.jobworker1.Error.ShuttingDown (nothing
# started), never a lost reply; jobworkerctl start always gets its job. And
# every job it was told about is known afterwards and ran to the end.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1"
dropin=/run/systemd/system/jobworkerd.service.d
cleanup() {
    rm -f "$dropin/idle.conf"
    systemctl daemon-reload
}
trap cleanup EXIT

mkdir -p "$dropin"
printf '[Service]\nEnvironment=JOBWORKERD_IDLE_TIMEOUT_SEC=1\n' >"$dropin/idle.conf"
systemctl daemon-reload
systemctl stop "$SERVICE"
since="$(date '+%Y-%m-%d %H:%M:%S')"

ids=() refused=0 lost=()
# StartJob of "true" as raw bytes (aay), no environment, no directory.
TRUE_ARGV=(1 4 116 114 117 101)

info "raw StartJob calls around the idle timeout"
for delay in 0.85 0.9 0.95 1.0 1.03 1.06 1.09 1.12 1.15 1.2 1.25 1.3 1.4 1.5; do
    sleep "$delay"
    rc=0
    out="$(cd / && SYSTEMD_LOG_LEVEL=debug timeout 150 runuser -u "$U1" -- busctl --timeout=120 \
        call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' "${TRUE_ARGV[@]}" 0 0 0 2>&1)" || rc=$?
    if ((rc == 0)); then
        id="$(grep -m1 '^so ' <<<"$out" | cut -d'"' -f2)"
        [[ -n "$id" ]] || fail "StartJob succeeded without an id: $out"
        ids+=("$id")
    elif grep -q 'error-name=org.jobworker1.Error.ShuttingDown' <<<"$out"; then
        refused=$((refused + 1))
    else
        lost+=("after ${delay}s: $(grep -m1 -e 'error-name=' -e 'Call failed' <<<"$out" || tail -1 <<<"$out")")
    fi
done
((${#lost[@]} == 0)) || fail "StartJob calls not answered by any daemon: ${lost[*]}"
info "busctl: ${#ids[@]} jobs started, $refused refused while exiting"

info "jobworkerctl start around the idle timeout"
for delay in 0.85 0.9 0.95 1.0 1.03 1.06 1.09 1.12 1.15 1.2 1.25 1.3 1.4 1.5; do
    sleep "$delay"
    rc=0
    out="$(timeout 150 runuser -u "$U1" -- jobworkerctl start -- true 2>&1)" || rc=$?
    ((rc == 0)) || fail "jobworkerctl start after ${delay}s failed (rc=$rc): $out"
    ids+=("$out")
done

info "every job is known and ran: ${#ids[@]}"
for id in "${ids[@]}"; do
    rc=0; jctl "$U1" wait "$id" || rc=$?
    assert_eq 0 "$rc" "job $id's exit status"
    assert_eq exit-code "$(job_field "$U1" "$id" result)" "job $id's result"
done
n_exits="$(journalctl -q -u "$SERVICE" --since "$since" -g 'exiting' -o cat | grep -c 'Idle for' || true)"
n_refused="$(journalctl -q -u "$SERVICE" --since "$since" -g 'Refusing StartJob' -o cat | wc -l || true)"
info "$n_exits idle exits, $n_refused StartJob calls refused while exiting"
((n_exits > 0)) || fail "the daemon never idled out: the test exercised nothing"
assert_no_failed_job_units
