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

procs_of() { cat "/sys/fs/cgroup/jobworker.slice/jobworker-$1.scope/cgroup.procs" 2>/dev/null || true; }

check_user() {
    local u="$1" id shim
    id="$(jctl "$u" start -- sh -c 'sleep 300 & sleep 300')"
    ids+=("$id")
    # shim, init, sh and two sleeps
    wait_until 60 bash -c "(( \$(cat /sys/fs/cgroup/jobworker.slice/jobworker-$id.scope/cgroup.procs | wc -l) == 5 ))" \
        || fail "scope of $id holds $(procs_of "$id" | wc -l) processes, not 5"
    shim="$(shim_pid "$id")" || fail "no shim in the scope of $id"
    info "$u: job $id, shim $shim, processes $(procs_of "$id" | tr '\n' ' ')"
    kill -KILL "$shim"
    wait_until 15 bash -c "[[ -z \"\$(cat /sys/fs/cgroup/jobworker.slice/jobworker-$id.scope/cgroup.procs 2>/dev/null)\" ]]" \
        || fail "15 s after the SIGKILL of its shim, job $id of $u still runs: $(procs_of "$id" | xargs -r ps -o pid,user,comm -p)"
    # The daemon sees the job end.
    wait_until 60 bash -c "[[ \$(jobworkerctl status --json $id | jq -r .state) == finished ]]" \
        || fail "job $id is $(job_field root "$id" state), not finished"
    info "$u: job $id ended: $(job_field root "$id" result)"
}
for u in "$TEST_USER1" root; do check_user "$u"; done
