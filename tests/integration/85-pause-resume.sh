#!/bin/bash
# Pause/Resume: a paused job uses no CPU and prints nothing, a resumed one
# goes on; the pause survives a daemon restart; a paused job stops
# gracefully (it gets its SIGTERM); finished jobs cannot be paused; another
# user can neither pause nor resume, nor even see the job.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1"
other="$TEST_USER2"
ids=()
cleanup() {
    local id
    for id in "${ids[@]}"; do
        jobworkerctl resume "$id" >/dev/null 2>&1 || true
        jobworkerctl stop --timeout=1 "$id" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

cpu() { systemctl show -P CPUUsageNSec "jobworker-$1.scope"; }
lines() { jobworkerctl logs "$1" | wc -l; }
state() { job_field "$u" "$1" state; }

# Busy and chatty: a line after every few thousand rounds of a shell loop.
# On SIGTERM it says so and exits 7: only a thawed job can do that.
id="$(jctl "$u" start -- sh -c 'trap "echo got-term; exit 7" TERM
    n=0; while :; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; n=$((n+1)); echo "line $n"; done')"
ids+=("$id")
has_output() { (($(lines "$id") >= 3)); }
wait_until 60 has_output || fail "the job printed nothing"

jctl "$u" pause "$id"
assert_eq paused "$(state "$id")" "state after pause"
assert_eq frozen "$(systemctl show -P FreezerState "jobworker-$id.scope")" "scope's freezer state"
assert_eq paused "$(jctl "$u" list --json | jq -r --arg id "$id" '.[] | select(.id == $id) | .state')" \
    "state in list"
assert_contains "$(bus "$u" call org.jobworker1 /org/jobworker1 org.jobworker1.Manager ListJobs)" "paused"
# Pausing again is fine.
jctl "$u" pause "$id"

# Flat: no CPU time and no output over a few seconds (after a moment for
# journald to take in what was written before the freeze).
sleep 2
c0="$(cpu "$id")"; l0="$(lines "$id")"
sleep 4
c1="$(cpu "$id")"; l1="$(lines "$id")"
info "paused: CPU $c0 -> $c1 ns, lines $l0 -> $l1"
assert_eq "$c0" "$c1" "CPUUsageNSec of a paused job"
assert_eq "$l0" "$l1" "lines of output of a paused job"

# Bob neither pauses nor resumes it; to him it does not exist.
if out="$(jctl "$other" resume "$id" 2>&1)"; then fail "$other resumed $u's job"; fi
assert_contains "$out" "No job $id"
if out="$(jctl "$other" pause "$id" 2>&1)"; then fail "$other paused $u's job"; fi
assert_contains "$out" "No job $id"
for method in Resume Pause; do
    err="$(bus_error "$other" call org.jobworker1 "/org/jobworker1/job/$id" org.jobworker1.Job "$method")"
    assert_contains "$err" "org.freedesktop.DBus.Error.UnknownObject" "$other calling $method"
done
assert_eq paused "$(state "$id")" "state after $other's tries"

# The pause survives the daemon: a restart and a SIGKILL.
systemctl restart jobworkerd
assert_eq paused "$(state "$id")" "state after a daemon restart"
systemctl kill -s KILL jobworkerd
wait_until 30 bash -c "! systemctl is-active -q jobworkerd" || true
assert_eq paused "$(state "$id")" "state after the daemon was SIGKILLed"
c2="$(cpu "$id")"; l2="$(lines "$id")"
assert_eq "$c0" "$c2" "CPUUsageNSec across daemon restarts"
assert_eq "$l0" "$l2" "output across daemon restarts"

# Resume: it goes on, CPU time and output grow again.
jctl "$u" resume "$id"
assert_eq running "$(state "$id")" "state after resume"
assert_eq running "$(systemctl show -P FreezerState "jobworker-$id.scope")" "scope's freezer state"
more_output() { (($(lines "$id") > l0 + 2)); }
wait_until 60 more_output || fail "no output after resume ($(lines "$id") lines, $l0 before)"
(($(cpu "$id") > c0)) || fail "no CPU time after resume"
jctl "$u" resume "$id"  # resuming a running job is fine

# Stop of a paused job: thawed, it gets SIGTERM and ends the way it wants
# to (exit 7 after "got-term"), long before the SIGKILL.
jctl "$u" pause "$id"
assert_eq paused "$(state "$id")"
start=$SECONDS
jctl "$u" stop --timeout=120 "$id"
((SECONDS - start < 60)) || fail "the paused job took $((SECONDS - start)) s to stop"
assert_eq finished "$(state "$id")"
assert_eq 7 "$(job_field "$u" "$id" exit_code)" "exit code: the job handled SIGTERM"
assert_contains "$(jobworkerctl logs "$id")" "got-term"

# A finished job can be neither paused nor resumed.
for verb in pause resume; do
    if out="$(jctl "$u" "$verb" "$id" 2>&1)"; then fail "$verb of a finished job succeeded"; fi
    assert_contains "$out" "has already finished"
done
err="$(bus_error "$u" call org.jobworker1 "/org/jobworker1/job/$id" org.jobworker1.Job Pause)"
assert_contains "$err" "org.jobworker1.Error.JobNotRunning"

# A paused job that runs out of time still ends (SIGKILL reaches frozen
# tasks): a pause is no way around RuntimeMaxSec.
id="$(jctl "$u" start --runtime-max=6 -- sleep 1000)"
ids+=("$id")
jctl "$u" pause "$id"
rc=0; jctl "$u" wait "$id" || rc=$?
assert_eq finished "$(state "$id")" "paused job past its RuntimeMaxSec"
assert_eq timeout "$(job_field "$u" "$id" result)"
assert_no_failed_job_units
