#!/bin/bash
# Job.SetLimits / jobworkerctl set-limits: a running job's limits change in
# place; systemctl show, the cgroup, the Job properties and status --json
# show the new values, and so does a restarted daemon (the record). Checked
# as at start: bad values and options that cannot change are refused,
# [Ceilings] hold for alice but not for root; bob cannot change alice's job
# (answered as for a job that does not exist); a finished job is an error.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

alice="$TEST_USER1" bob="$TEST_USER2"
conf=/etc/jobworker/jobworkerd.conf.d
mkdir -p "$conf"
ids=()
cleanup() {
    for id in "${ids[@]}"; do jobworkerctl stop "$id" >/dev/null 2>&1 || true; done
    rm -f "$conf/83-ceilings.conf"
    restart_jobworkerd || true
}
trap cleanup EXIT
printf '[Ceilings]\nMemoryMax=512M\nTasksMax=100\n' >"$conf/83-ceilings.conf"
restart_jobworkerd
scope_prop() { systemctl show -P "$2" "jobworker-$1.scope"; }

id="$(jctl "$alice" start --memory=100M --tasks-max=20 --cpu=0.2 -- sleep 300)"; ids+=("$id")
path="/org/jobworker1/job/$id"
assert_eq 104857600 "$(scope_prop "$id" MemoryMax)" "MemoryMax at start"

info "alice raises her job's memory, tasks, CPU and IO limits"
jctl "$alice" set-limits "$id" --memory=200M --tasks-max=30 --cpu=0.5 --io-read=20M
assert_eq 209715200 "$(scope_prop "$id" MemoryMax)" "systemctl show MemoryMax after set-limits"
assert_eq 30 "$(scope_prop "$id" TasksMax)" "systemctl show TasksMax after set-limits"
assert_eq 500ms "$(scope_prop "$id" CPUQuotaPerSecUSec)" "systemctl show CPUQuota after set-limits"
assert_contains "$(scope_prop "$id" IOReadBandwidthMax)" "20971520" "systemctl show IOReadBandwidthMax"
assert_eq 209715200 "$(cat "$(job_cgroup "$id")/memory.max")" "memory.max of the cgroup"
assert_eq 30 "$(cat "$(job_cgroup "$id")/pids.max")" "pids.max of the cgroup"
assert_eq 209715200 "$(job_field "$alice" "$id" limits.memory_max)" "status --json memory_max"
assert_eq 30 "$(job_field "$alice" "$id" limits.tasks_max)" "status --json tasks_max"
assert_eq "t 209715200" "$(as_user "$alice" busctl get-property "$BUS_NAME" "$path" org.jobworker1.Job MemoryMax)" \
    "Job.MemoryMax"
assert_contains "$(jctl "$alice" status "$id")" "200.0M" "status"
# Options order: flags first, id last, works too; and lowering.
jctl "$alice" set-limits --memory=150M "$id"
assert_eq 157286400 "$(scope_prop "$id" MemoryMax)" "lowered MemoryMax"
assert_eq 30 "$(scope_prop "$id" TasksMax)" "TasksMax unchanged by a MemoryMax-only change"

info "the record keeps the new limits: a restarted daemon shows them"
restart_jobworkerd
assert_eq 157286400 "$(job_field "$alice" "$id" limits.memory_max)" "memory_max after a daemon restart"
assert_eq 30 "$(job_field "$alice" "$id" limits.tasks_max)" "tasks_max after a daemon restart"

info "validated as at start"
err="$(jctl "$alice" set-limits "$id" --memory=0 2>&1)" && fail "set-limits --memory=0 succeeded"
assert_contains "$err" "MemoryMax must be greater than 0"
err="$(as_user "$alice" busctl call "$BUS_NAME" "$path" org.jobworker1.Job SetLimits 'a{sv}' 1 MemoryMax s lots 2>&1)" &&
    fail "SetLimits with a string MemoryMax succeeded"
assert_contains "$err" "must be of D-Bus type 't'"
err="$(as_user "$alice" busctl call "$BUS_NAME" "$path" org.jobworker1.Job SetLimits 'a{sv}' 1 IODevice s /tmp 2>&1)" &&
    fail "SetLimits IODevice succeeded"
assert_contains "$err" "IODevice cannot change while the job runs"
err="$(as_user "$alice" busctl call "$BUS_NAME" "$path" org.jobworker1.Job SetLimits 'a{sv}' 1 Bogus t 1 2>&1)" &&
    fail "SetLimits with an unknown option succeeded"
assert_contains "$err" "Unknown option 'Bogus'"
err="$(jctl "$alice" set-limits "$id" --workdir=/tmp 2>&1)" && fail "set-limits --workdir succeeded"
assert_eq 157286400 "$(scope_prop "$id" MemoryMax)" "MemoryMax after refused changes"

info "ceilings: refused for alice, allowed for root"
err="$(jctl "$alice" set-limits "$id" --memory=1G 2>&1)" && fail "alice lifted her job past the ceiling"
assert_contains "$err" "[Ceilings] MemoryMax=536870912" "the ceiling named"
err="$(bus_error "$alice" call "$BUS_NAME" "$path" org.jobworker1.Job SetLimits 'a{sv}' 1 TasksMax t 101)"
assert_contains "$err" "org.jobworker1.Error.LimitExceeded: TasksMax=101 is above the ceiling"
assert_eq 157286400 "$(scope_prop "$id" MemoryMax)" "MemoryMax after the refused lift"
jctl root set-limits "$id" --memory=1G
assert_eq 1073741824 "$(scope_prop "$id" MemoryMax)" "root lifted alice's job past the ceiling"
# Only what changes meets the ceilings: alice may still change another limit.
jctl "$alice" set-limits "$id" --tasks-max=40
assert_eq 40 "$(scope_prop "$id" TasksMax)" "alice changes TasksMax of her job that is above the memory ceiling"
assert_eq 1073741824 "$(scope_prop "$id" MemoryMax)" "MemoryMax stays"

info "bob cannot change alice's job, and learns nothing of it"
err_other="$(jctl "$bob" set-limits "$id" --memory=10M 2>&1)" && fail "bob changed alice's job"
err_none="$(jctl "$bob" set-limits 000000000000 --memory=10M 2>&1)" || true
assert_eq "${err_none//000000000000/$id}" "$err_other" "bob's error is that of a job that does not exist"
err="$(as_user "$bob" busctl call "$BUS_NAME" "$path" org.jobworker1.Job SetLimits 'a{sv}' 1 MemoryMax t 10485760 2>&1)" &&
    fail "bob's SetLimits call on alice's job path succeeded"
assert_contains "$err" "Unknown object"
assert_eq 1073741824 "$(scope_prop "$id" MemoryMax)" "MemoryMax after bob's tries"

info "a finished job: a clear error"
jctl "$alice" stop "$id"
err="$(jctl "$alice" set-limits "$id" --memory=100M 2>&1)" && fail "set-limits on a finished job succeeded"
assert_contains "$err" "has finished; its limits cannot change"
