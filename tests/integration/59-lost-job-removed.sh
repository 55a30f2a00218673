#!/bin/bash
# systemd's JobRemoved for a scope's start job can be lost (PID 1 reexecuting,
# dbus-daemon dropping signals when jobworkerd's queue is full). Here a bus
# policy takes every JobRemoved away from its receivers, as the unlucky case
# does:
# 1. a user's job must still start (the daemon looks at the scope once its
#    start deadline passed) and run to its end, instead of staying
#    "starting" for good with StartJob never answered;
# 2. a job left half-started by a daemon that died (SIGKILL) while waiting
#    is found start-failed by the next one, through the finish path: its
#    finish record (the followers' end marker) is in the journal.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1"
FINISHED_ID=f59ba56433e645aa8059e6d3f694ce8a
# systemctl as root talks to PID 1 on its private socket, not through the
# bus: the policy does not take its own JobRemoved away.
dropin=/run/systemd/system/jobworkerd.service.d
trap 'rm -f "$dropin/no-restart.conf"; give_back_job_removed; systemctl daemon-reload; systemctl restart jobworkerd' EXIT

lose_job_removed
systemctl restart jobworkerd
since="$(date '+%Y-%m-%d %H:%M:%S')"

info "1. $u starts a job; its JobRemoved never reaches jobworkerd"
t0=$SECONDS
rc=0; id="$(as_user "$u" timeout 110 jobworkerctl start -- sh -c 'echo ran; exit 3' 2>&1)" || rc=$?
assert_eq 0 "$rc" "StartJob answered while JobRemoved is lost (output: $id)"
info "StartJob answered after $((SECONDS - t0)) s: $id"
rc=0; as_user "$u" timeout 60 jobworkerctl wait "$id" || rc=$?
assert_eq 3 "$rc" "exit code of the job whose JobRemoved was lost"
assert_eq exit-code "$(job_field "$u" "$id" result)"
assert_eq ran "$(timeout 30 jobworkerctl logs "$id")" "the job's output"
# The policy did take the signal away: the deadline is what released it.
journalctl --sync
assert_contains "$(journalctl -u "$SERVICE" --since "$since" -o cat)" \
    "Start job of jobworker-$id.scope did not end within" "the start deadline fired (JobRemoved really lost)"
assert_no_failed_job_units

info "2. jobworkerd is SIGKILLed while a job waits for its JobRemoved"
# Set up first (the deadline leaves a few seconds). Not restarted at once (Restart=on-failure): the next daemon comes when
# called, once the old shim is gone, so it cannot mistake the scope the shim
# still holds for a released job.
mkdir -p "$dropin"
printf '[Service]\nRestart=no\n' >"$dropin/no-restart.conf"
systemctl daemon-reload
as_user "$u" jobworkerctl start -- sleep 300 >/dev/null 2>&1 &
client=$!
starting() { jctl "$u" list --all --json | jq -r '.[] | select(.state == "starting") | .id'; }
has_starting() { [[ -n "$(starting)" ]]; }
# Within the 10 s start deadline, which would release it.
wait_until 8 has_starting || fail "no job of $u is starting"
id2="$(starting)"
info "starting: $id2"
systemctl kill -s KILL jobworkerd
wait "$client" 2>/dev/null || true
# Its shim sees its go pipe close and exits without running anything; the
# scope ends with it.
wait_until 60 unit_is_not "jobworker-$id2.scope" active || fail "the half-started job's scope stays active"
# The next call activates a new daemon, which finds the record.
assert_eq finished "$(job_field "$u" "$id2" state)" "state of the half-started job"
assert_eq start-failed "$(job_field "$u" "$id2" result)" "result of the half-started job"
assert_contains "$(job_field "$u" "$id2" status_text)" "stopped while the job was starting"
[[ "$(job_field "$u" "$id2" finish_timestamp)" =~ ^[1-9][0-9]*$ ]] || fail "no finish time for the half-started job"
journalctl --sync
assert_contains "$(journalctl -o cat "JOB_ID=$id2" "MESSAGE_ID=$FINISHED_ID")" "$id2" \
    "the half-started job's finish record is in the journal"
# A follower ends at once on the finish record (no output, exit 0).
rc=0; timeout 30 jobworkerctl logs -f "$id2" >/dev/null || rc=$?
assert_eq 0 "$rc" "a follower of the half-started job ends"
assert_no_failed_job_units
