#!/bin/bash
# Stop: SIGTERM to every process, SIGKILL after the timeout, the whole tree
# even when it ignores SIGTERM and keeps forking.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

# A plain sleep dies on SIGTERM at once (the job's init forwards it).
id="$(jctl "$TEST_USER1" start -- sleep 1000)"
start=$SECONDS
jctl "$TEST_USER1" stop --timeout=60 "$id"
((SECONDS - start < 30)) || fail "sleep took $((SECONDS - start)) s to stop: SIGTERM not delivered"
assert_eq stopped "$(job_field "$TEST_USER1" "$id" result)"
assert_eq 15 "$(job_field "$TEST_USER1" "$id" signal)" "signal that stopped sleep"

# A job that ignores SIGTERM and forks without end is killed whole.
id="$(jctl "$TEST_USER1" start -- sh -c 'trap "" TERM; while :; do sleep 1000 & sleep 0.05; done')"
sleep 3
jctl "$TEST_USER1" stop --timeout=2 "$id"
assert_eq stopped "$(job_field "$TEST_USER1" "$id" result)"
assert_eq 9 "$(job_field "$TEST_USER1" "$id" signal)" "signal after the stop timeout"
assert_eq inactive "$(unit_state "jobworker-$id.scope")" "scope after stop"
left="$( (grep -l "jobworker-$id.scope" /proc/[0-9]*/cgroup 2>/dev/null || true) | wc -l)"
assert_eq 0 "$left" "processes of the stopped job left"
[[ -d "$(dirname "$(job_cgroup "$id" "$TEST_USER1")")" ]] || fail "no slice cgroup of $TEST_USER1 (wrong path?)"
[[ ! -d "$(job_cgroup "$id" "$TEST_USER1")" ]] || fail "cgroup of the stopped job left"

# Ctrl-C (SIGINT) or SIGTERM to jobworkerctl run stops the job. Background
# commands of a script start with SIGINT ignored: give it back its default.
pid=
trap 'if [[ -n "$pid" ]]; then kill -9 "$pid" 2>/dev/null || true; fi' EXIT
for sig in INT TERM; do
    env --default-signal=INT jobworkerctl run -- sleep 1000 &
    pid=$!
    find_job() { jobworkerctl list --json | jq -r '.[] | select(.command == ["sleep","1000"] and .state == "running") | .id'; }
    job_shows() { [[ -n "$(find_job)" ]]; }
    wait_until 60 job_shows || fail "run's job never showed up"
    id="$(find_job)"
    kill -"$sig" "$pid"
    rc=0; wait "$pid" || rc=$?
    expected=130; [[ $sig == TERM ]] && expected=143
    assert_eq "$expected" "$rc" "run's status after SIG$sig"
    assert_eq finished "$(job_field root "$id" state)" "job state after SIG$sig to run"
    assert_eq stopped "$(job_field root "$id" result)"
done
assert_no_failed_job_units
