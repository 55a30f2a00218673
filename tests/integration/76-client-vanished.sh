#!/bin/bash
# A job whose client vanished (issue 11): kill -9 of a running
# `jobworkerctl run` stops its job (the daemon watches the caller's bus
# name); with --keep, and for `start`, the job keeps running. A forged
# NameOwnerChanged stops nothing; a restarted daemon checks whether the
# client of a recovered job is still there.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U="$TEST_USER1" OTHER="$TEST_USER2"
cleanup() {
    local id
    for id in $(jobworkerctl list --json | jq -r '.[] | select(.state != "finished") | .id'); do
        jobworkerctl stop "$id" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

# run_in_background MARK [OPTIONS...]: `jobworkerctl run OPTIONS -- sleep
# 3MARK` as U in the background; prints the client's pid and the job id.
run_in_background() {
    local mark="$1" id pid; shift
    as_user "$U" jobworkerctl run "$@" -- sleep "3$mark" >/dev/null 2>&1 &
    wait_until 60 bash -c "jobworkerctl list --json | jq -e '.[] | select(.state == \"running\" and (.command | join(\" \")) == \"sleep 3$mark\")' >/dev/null" \
        || fail "the job of run $* never ran"
    id="$(jobworkerctl list --json | jq -r ".[] | select(.state == \"running\" and (.command | join(\" \")) == \"sleep 3$mark\") | .id")"
    pid="$(pgrep -u "$U" -f "jobworkerctl run .*sleep 3$mark" | head -1)"
    [[ -n "$pid" ]] || fail "no jobworkerctl process for run $*"
    echo "$pid $id"
}

job_is() { [[ "$(job_field root "$1" state)" == "$2" ]]; }

info "kill -9 of run stops its job"
read -r pid id < <(run_in_background 01)
caller="$(sed -n 's/^STOP_WITH_CALLER=//p' "/run/jobworker/jobs/$id.job")"
[[ "$caller" == :* ]] || fail "the record of $id does not keep its client's bus name: '$caller'"

info "a forged NameOwnerChanged from a user stops nothing"
as_user "$OTHER" busctl emit --destination=org.jobworker1 /org/freedesktop/DBus org.freedesktop.DBus \
    NameOwnerChanged sss "$caller" "$caller" "" || fail "could not send the forged signal"
as_user "$U" busctl emit /org/freedesktop/DBus org.freedesktop.DBus \
    NameOwnerChanged sss "$caller" "$caller" "" || fail "could not broadcast the forged signal"
sleep 3
assert_eq running "$(job_field root "$id" state)" "state after forged signals"

kill -9 "$pid"
wait_until 60 job_is "$id" finished || fail "job $id still $(job_field root "$id" state) after its client was killed"
assert_eq stopped "$(job_field root "$id" result)" "result of a job whose client was killed"

info "--keep: the job outlives its client"
read -r pid id < <(run_in_background 02 --keep)
assert_eq "" "$(sed -n 's/^STOP_WITH_CALLER=//p' "/run/jobworker/jobs/$id.job")" "a --keep job's record"
kill -9 "$pid"
sleep 5
assert_eq running "$(job_field root "$id" state)" "a --keep job after its client was killed"
jobworkerctl stop "$id"

info "start: the job outlives its client"
id="$(jctl "$U" start -- sleep 303)"
sleep 5
assert_eq running "$(job_field root "$id" state)" "a started job after its client exited"
jobworkerctl stop "$id"

info "a client gone while jobworkerd was down: found out on recovery"
read -r pid id < <(run_in_background 04)
systemctl stop jobworkerd.service
kill -9 "$pid"
sleep 1
# The next call activates a new daemon, which asks the bus about the client.
jobworkerctl list >/dev/null
wait_until 60 job_is "$id" finished || fail "recovered job $id still $(job_field root "$id" state) without its client"
assert_eq stopped "$(job_field root "$id" result)" "result of a recovered job whose client is gone"

info "a client that stays keeps its job through a daemon restart"
read -r pid id < <(run_in_background 05)
restart_jobworkerd
sleep 5
assert_eq running "$(job_field root "$id" state)" "a run job whose client is still there, after a restart"
kill -9 "$pid"
wait_until 60 job_is "$id" finished || fail "job $id still running after its client was killed (after a restart)"
assert_no_failed_job_units
