#!/bin/bash
# A job dies with its shim: SIGKILL the job's root supervisor (an admin's
# mistake, the OOM killer) and init, the command and everything it forked
# go within seconds, instead of running on unsupervised, unrecorded, with
# nobody to report how they ended.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

ids=()
cleanup() {
    local i
    for i in "${ids[@]}"; do systemctl kill --signal=KILL "jobworker-$i.scope" 2>/dev/null || true; done
}
trap cleanup EXIT

# procs_of ID USER: the processes in the scope of USER's job ID.
procs_of() { cat "$(job_cgroup "$1" "$2")/cgroup.procs" 2>/dev/null || true; }

check_user() {
    local u="$1" id shim
    id="$(jctl "$u" start -- sh -c 'sleep 300 & sleep 300')"
    ids+=("$id")
    # shim, init, sh and two sleeps
    wait_until 60 bash -c "(( \$(cat $(job_cgroup "$id" "$u")/cgroup.procs | wc -l) == 5 ))" \
        || fail "scope of $id holds $(procs_of "$id" "$u" | wc -l) processes, not 5"
    shim="$(shim_pid "$id")" || fail "no shim in the scope of $id"
    info "$u: job $id, shim $shim, processes $(procs_of "$id" "$u" | tr '\n' ' ')"
    kill -KILL "$shim"
    wait_until 15 bash -c "[[ -z \"\$(cat $(job_cgroup "$id" "$u")/cgroup.procs 2>/dev/null)\" ]]" \
        || fail "15 s after the SIGKILL of its shim, job $id of $u still runs: $(procs_of "$id" "$u" | xargs -r ps -o pid,user,comm -p)"
    # The daemon sees the job end.
    wait_until 60 bash -c "[[ \$(jobworkerctl status --json $id | jq -r .state) == finished ]]" \
        || fail "job $id is $(job_field root "$id" state), not finished"
    info "$u: job $id ended: $(job_field root "$id" result)"
}
for u in "$TEST_USER1" root; do check_user "$u"; done

# init killed while it waits for its release (forked before the go, it may
# sit in jobworkerd.service's cgroup until the shim moves it: a SIGKILL of
# that cgroup, when the daemon dies, kills it there): the job ends as
# failed to start, not as killed by SIGKILL, and its command never runs.
# JobRemoved is held back, so the job stays "starting" (10 s, the start
# deadline).
u="$TEST_USER1" marker="/tmp/jw42-ran-$RANDOM"
trap 'cleanup; give_back_job_removed; rm -f "$marker"' EXIT
# starting_job: the id of the one job that is starting.
starting_job() { jctl "$u" list --json | jq -r '.[] | select(.state == "starting") | .id'; }
has_starting_job() { [[ -n "$(starting_job)" ]]; }
# has_waiting_init ID: the job's shim has forked its init.
has_waiting_init() { local shim; shim="$(shim_pid "$1")" && pgrep -P "$shim" >/dev/null; }
lose_job_removed
jctl "$u" start -- touch "$marker" >/dev/null &
starter=$!
wait_until 30 has_starting_job || fail "no job of $u is starting"
id="$(starting_job)"
ids+=("$id")
wait_until 30 has_waiting_init "$id" || fail "job $id has no init waiting for its release"
init="$(pgrep -P "$(shim_pid "$id")")"
# (In jobworkerd.service's cgroup if the shim forked it before PID 1 had
# moved the shim into the scope, else in the scope: either way unreleased.)
info "job $id: init $init waits in $(cat "/proc/$init/cgroup")"
kill -KILL "$init"
give_back_job_removed
wait "$starter" || true
wait_until 60 bash -c "[[ \$(jobworkerctl status --json $id | jq -r .state) == finished ]]" \
    || fail "job $id whose init was killed before its release is $(job_field root "$id" state)"
assert_eq start-failed "$(job_field root "$id" result)" "result of job $id (init killed before its release)"
assert_contains "$(job_field root "$id" status_text)" "before its release" "status text of job $id"
[[ ! -e "$marker" ]] || fail "the command of job $id ran although its init was killed before the release"
