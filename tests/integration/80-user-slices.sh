#!/bin/bash
# Per-user slices: every job's scope lies in its owner's slice,
# jobworker-u<UID>.slice, a child of jobworker.slice; status shows it.
# [UserSlice] TasksMax= of jobworkerd.conf caps all of one user's jobs
# together: alice's second job cannot fork while her first holds most of
# the slice's tasks, though either alone fits, and bob's jobs are not
# affected. An admin's systemctl set-property on a user's slice works too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

alice="$TEST_USER1" bob="$TEST_USER2"
auid="$(id -u "$alice")" buid="$(id -u "$bob")"
conf=/etc/jobworker/jobworkerd.conf.d
mkdir -p "$conf"
ids=()
cleanup() {
    for id in "${ids[@]}"; do jobworkerctl stop "$id" >/dev/null 2>&1 || true; done
    rm -f "$conf/80-slices.conf"
    systemctl revert "jobworker-u$auid.slice" "jobworker-u$buid.slice" >/dev/null 2>&1 || true
    restart_jobworkerd || true
}
trap cleanup EXIT
restart_jobworkerd

info "each user's job lies in that user's slice"
a1="$(jctl "$alice" start -- sleep 300)"; ids+=("$a1")
b1="$(jctl "$bob" start -- sleep 300)"; ids+=("$b1")
assert_eq "jobworker-u$auid.slice" "$(systemctl show -P Slice "jobworker-$a1.scope")" "Slice of alice's job"
assert_eq "jobworker-u$buid.slice" "$(systemctl show -P Slice "jobworker-$b1.scope")" "Slice of bob's job"
assert_eq "jobworker.slice" "$(systemctl show -P Slice "jobworker-u$auid.slice")" "parent of alice's slice"
assert_eq active "$(unit_state "jobworker-u$auid.slice")" "alice's slice is active"
[[ -d "/sys/fs/cgroup/jobworker.slice/jobworker-u$auid.slice/jobworker-$a1.scope" ]] ||
    fail "alice's scope is not in her slice's cgroup"
assert_eq "jobworker-u$auid.slice" "$(job_field "$alice" "$a1" slice)" "status --json slice"
assert_contains "$(jctl "$alice" status "$a1")" "jobworker-u$auid.slice" "status shows the slice"
# Stop works through the slice's cgroup too.
jctl "$alice" stop "$a1"
jctl "$bob" stop "$b1"
ids=()
# The slices keep the cpu and io controllers on with no job running (so
# they are not switched on and off again for every job), through their
# default weights.
assert_eq 100 "$(systemctl show -P CPUWeight "jobworker-u$auid.slice")" "CPUWeight of alice's slice"
assert_eq yes "$(systemctl show -P IOAccounting "jobworker-u$auid.slice")" "IOAccounting of alice's slice"
assert_eq 100 "$(systemctl show -P CPUWeight jobworker.slice)" "CPUWeight of jobworker.slice"
wait_until 30 bash -c "[[ -z \$(systemctl list-units --no-legend --plain 'jobworker-$a1.scope' 'jobworker-$b1.scope') ]]" ||
    fail "the stopped jobs' scopes are still there"
for c in cpu io; do
    for cg in /sys/fs/cgroup /sys/fs/cgroup/jobworker.slice; do
        [[ " $(cat "$cg/cgroup.subtree_control") " == *" $c "* ]] ||
            fail "$c is off in $cg/cgroup.subtree_control with no job running: $(cat "$cg/cgroup.subtree_control")"
    done
done

info "[UserSlice] TasksMax=24 in jobworkerd.conf, systemctl reload"
printf '[UserSlice]\nTasksMax=24\n' >"$conf/80-slices.conf"
systemctl reload jobworkerd
# A job that forks 14 sleeps (plus shim, init and sh: 17 tasks) and says so.
fork14='for i in $(seq 1 14); do sleep 120 & done; echo started-all'

info "alone, alice's forking job fits her slice"
out="$(run_capture "$alice" "$fork14")" || fail "alice's job alone failed: $out"
assert_contains "$out" started-all "alice's job alone"
assert_eq 24 "$(systemctl show -P TasksMax "jobworker-u$auid.slice")" "TasksMax of alice's slice"
assert_eq 24 "$(cat "/sys/fs/cgroup/jobworker.slice/jobworker-u$auid.slice/pids.max")" "pids.max of alice's slice"

info "with alice's first job holding 12 sleeps, her second cannot fork 14"
hold="$(jctl "$alice" start -- sh -c 'for i in $(seq 1 12); do sleep 300 & done; wait')"; ids+=("$hold")
cg="/sys/fs/cgroup/jobworker.slice/jobworker-u$auid.slice"
wait_until 60 bash -c "(( \$(cat $cg/pids.current) >= 14 ))" || fail "alice's first job never got its sleeps"
rc=0; out="$(run_capture "$alice" "$fork14")" || rc=$?
assert_ne 0 "$rc" "alice's second job forked past her slice's TasksMax"
[[ "$out" != *started-all* ]] || fail "alice's second job started all its processes: $out"
(( $(cat "$cg/pids.current") <= 24 )) || fail "alice's slice holds more than 24 tasks"

info "bob's jobs meanwhile are not affected (his slice has its own 24)"
out="$(run_capture "$bob" "$fork14")" || fail "bob's job failed while alice's slice is full: $out"
assert_contains "$out" started-all "bob's job"
jobworkerctl stop "$hold"

info "an admin's set-property on a user's slice holds while the user has jobs"
bob_hold="$(jctl "$bob" start -- sleep 300)"; ids+=("$bob_hold")
systemctl set-property --runtime "jobworker-u$buid.slice" TasksMax=10
rc=0; out="$(run_capture "$bob" "$fork14")" || rc=$?
assert_ne 0 "$rc" "bob's job forked past TasksMax=10 set by systemctl set-property"
assert_eq 10 "$(systemctl show -P TasksMax "jobworker-u$buid.slice")" "bob's slice keeps the admin's TasksMax"
info "a reload applies [UserSlice] again"
systemctl reload jobworkerd
wait_until 20 bash -c "[[ \$(systemctl show -P TasksMax jobworker-u$buid.slice) == 24 ]]" ||
    fail "bob's slice did not get [UserSlice] TasksMax=24 again on reload"
assert_no_failed_job_units
