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

ids=() lost=() refused=0
# StartJob of "true" as raw bytes (aay), no environment, no directory.
TRUE_ARGV=(1 4 116 114 117 101)
AS=(setpriv --reuid="$U1" --regid="$(id -g "$U1")" --init-groups)
work="$(mktemp -d)"

# raw_start FILE: a raw StartJob (no retry); the reply or the error into FILE.
raw_start() {
    (cd / && SYSTEMD_LOG_LEVEL=debug timeout 150 "${AS[@]}" busctl --timeout=120 \
        call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' "${TRUE_ARGV[@]}" 0 0 0 \
        >"$1" 2>&1; echo "rc=$?" >>"$1")
}
# ctl_start FILE: jobworkerctl start (retries once on ShuttingDown).
ctl_start() {
    (cd / && timeout 150 "${AS[@]}" jobworkerctl start -- true >"$1" 2>&1; echo "rc=$?" >>"$1")
}

# Each round: a call, then after a pause around the idle timeout (the timer
# fires 1 to 1.1 s after the last call) three raw calls and one of
# jobworkerctl at once; their start-up jitter spreads them over the moment
# the daemon decides to leave.
n=0
for delay in 0.80 0.85 0.90 0.93 0.96 0.99 1.02 1.05 1.08 1.11 1.14 1.17 1.20 1.25 1.30 1.40; do
    ctl_start "$work/first"
    grep -q '^rc=0$' "$work/first" || fail "jobworkerctl start failed: $(cat "$work/first")"
    ids+=("$(head -1 "$work/first")")
    sleep "$delay"
    raw_start "$work/$n.a" & raw_start "$work/$n.b" & raw_start "$work/$n.c" & ctl_start "$work/$n.d" &
    wait
    for f in "$work/$n".[abc]; do
        if grep -q '^rc=0$' "$f"; then
            id="$(grep -m1 '^so ' "$f" | cut -d'"' -f2)"
            [[ -n "$id" ]] || fail "StartJob succeeded without an id: $(cat "$f")"
            ids+=("$id")
        elif grep -q 'error-name=org.jobworker1.Error.ShuttingDown' "$f"; then
            refused=$((refused + 1))
        else
            lost+=("after ${delay}s: $(grep -m1 -e 'error-name=' -e 'Call failed' -e '^rc=' "$f")")
        fi
    done
    grep -q '^rc=0$' "$work/$n.d" || lost+=("jobworkerctl start after ${delay}s: $(cat "$work/$n.d")")
    grep -q '^rc=0$' "$work/$n.d" && ids+=("$(head -1 "$work/$n.d")")
    n=$((n + 1))
done
((${#lost[@]} == 0)) || fail "StartJob calls not answered with a job (or ShuttingDown for raw calls): ${lost[*]}"
info "${#ids[@]} jobs started, $refused raw calls refused while exiting"

info "every job is known and ran: ${#ids[@]} (checked with the stock idle timeout)"
cleanup
systemctl stop "$SERVICE"
wait_until 120 bash -c "[[ \$(jobworkerctl list --json | jq length) == 0 ]]" || fail "jobs still running: $(jobworkerctl list)"
listing="$(jctl "$U1" list --all --json)"
for id in "${ids[@]}"; do
    got="$(jq -r --arg id "$id" '.[] | select(.id == $id) | "\(.state) \(.result) \(.exit_code)"' <<<"$listing")"
    assert_eq "finished success 0" "$got" "job $id"
done
n_exits="$(journalctl -q -u "$SERVICE" --since "$since" -g 'exiting' -o cat | grep -c 'Idle for' || true)"
n_refused="$(journalctl -q -u "$SERVICE" --since "$since" -g 'Refusing StartJob' -o cat | wc -l || true)"
info "$n_exits idle exits, $n_refused StartJob calls refused while exiting"
((n_exits > 0)) || fail "the daemon never idled out: the test exercised nothing"
assert_no_failed_job_units
