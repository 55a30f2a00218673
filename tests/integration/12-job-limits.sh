#!/bin/bash
# Limits show up on the scope, and the kernel enforces them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

prop() { systemctl show -P "$2" "jobworker-$1.scope"; }

# Every limit is visible in systemctl.
id="$(jctl "$TEST_USER1" start --cpu=0.5 --memory=64M --tasks-max=50 --cpus=0 \
        --io-read=10M --io-write=5M --runtime-max=300 --stop-timeout=3 -- sleep 300)"
assert_eq 500ms "$(prop "$id" CPUQuotaPerSecUSec)" "CPU quota"
assert_eq $((64 * 1024 * 1024)) "$(prop "$id" MemoryMax)" "MemoryMax"
assert_eq 0 "$(prop "$id" MemorySwapMax)" "MemorySwapMax (no swap unless asked)"
assert_eq 50 "$(prop "$id" TasksMax)" "TasksMax"
assert_eq 0 "$(prop "$id" AllowedCPUs)" "AllowedCPUs"
assert_contains "$(prop "$id" IOReadBandwidthMax)" "$((10 * 1024 * 1024))" "IOReadBandwidthMax"
assert_contains "$(prop "$id" IOWriteBandwidthMax)" "$((5 * 1024 * 1024))" "IOWriteBandwidthMax"
assert_eq 5min "$(prop "$id" RuntimeMaxUSec)" "RuntimeMaxUSec"
assert_eq 3s "$(prop "$id" TimeoutStopUSec)" "TimeoutStopUSec"
assert_eq "jobworker-u$(id -u "$TEST_USER1").slice" "$(prop "$id" Slice)" "slice"
status="$(systemctl status --no-pager "jobworker-$id.scope")"
assert_contains "$status" "Memory:"
assert_contains "$status" "max: 64.0M"
assert_contains "$(jctl "$TEST_USER1" status "$id")" "64.0M"
# The kernel sees them too.
cg="$(job_cgroup "$id" "$TEST_USER1")"
assert_eq "50000 100000" "$(cat "$cg/cpu.max")" "cpu.max"
assert_eq $((64 * 1024 * 1024)) "$(cat "$cg/memory.max")" "memory.max"
assert_eq 50 "$(cat "$cg/pids.max")" "pids.max"
assert_eq 0 "$(cat "$cg/cpuset.cpus")" "cpuset.cpus"
assert_contains "$(cat "$cg/io.max")" "rbps=$((10 * 1024 * 1024))"
jctl "$TEST_USER1" stop "$id"

# CPU rounding: 0.123 of a core is asked as 13 %.
id="$(jctl "$TEST_USER1" start --cpu=0.123 -- sleep 60)"
assert_eq 130ms "$(prop "$id" CPUQuotaPerSecUSec)" "CPU quota rounded up to 10 ms/s"
jctl "$TEST_USER1" stop "$id"

# --cpus pins.
out="$(run_capture "$TEST_USER1" --cpus=1 'grep Cpus_allowed_list /proc/self/status | cut -f2')"
assert_eq 1 "$out" "Cpus_allowed_list under --cpus=1"

# A memory hog under --memory=64M is OOM-killed, reported as such, and leaves
# no failed unit behind.
rc=0
jctl "$TEST_USER1" run --memory=64M -- sh -c 'x=a; while true; do x="$x$x"; done' || rc=$?
assert_eq 137 "$rc" "run exit status after OOM kill"
id="$(jctl "$TEST_USER1" list --all --json | jq -r '[.[] | select(.result == "oom-kill")][0].id')"
[[ "$id" =~ ^[0-9a-f]{12}$ ]] || fail "no job with result oom-kill listed"
assert_eq 9 "$(job_field "$TEST_USER1" "$id" signal)" "signal of the OOM-killed job"
assert_no_failed_job_units

# A busy loop under --cpu=0.2 gets about 20 % of a core.
id="$(jctl "$TEST_USER1" start --cpu=0.2 -- sh -c 'while :; do :; done')"
cg="$(job_cgroup "$id" "$TEST_USER1")"
u0="$(awk '/^usage_usec/ {print $2}' "$cg/cpu.stat")"; t0="$(date +%s%N)"
sleep 6
u1="$(awk '/^usage_usec/ {print $2}' "$cg/cpu.stat")"; t1="$(date +%s%N)"
share=$(( (u1 - u0) * 1000 * 100 / (t1 - t0) ))   # percent of one core
info "busy loop under --cpu=0.2 used ${share}% of a core"
((share >= 10 && share <= 25)) || fail "busy loop under --cpu=0.2 used ${share}% of a core"
jctl "$TEST_USER1" stop "$id"

# A fork bomb under --tasks-max is contained: the job never holds more tasks.
# (bash, unlike dash, survives a failed fork and keeps trying.)
id="$(jctl "$TEST_USER1" start --tasks-max=20 -- bash -c 'while :; do sleep 60 & done' )"
sleep 4
cg="$(job_cgroup "$id" "$TEST_USER1")"
cur="$(cat "$cg/pids.current")"
info "fork bomb holds $cur tasks, pids.events: $(cat "$cg/pids.events")"
((cur <= 20)) || fail "fork bomb holds $cur tasks under --tasks-max=20"
(( $(awk '/^max/ {print $2}' "$cg/pids.events") > 0 )) || fail "the task limit was never hit"
jctl "$TEST_USER1" stop --timeout=2 "$id"
assert_eq stopped "$(job_field "$TEST_USER1" "$id" result)"

# Run-time limit: ends as timeout, no failed unit left.
rc=0; jctl "$TEST_USER1" run --runtime-max=2 -- sleep 100 || rc=$?
assert_eq 143 "$rc" "run exit status after the run-time limit"
id="$(jctl "$TEST_USER1" list --all --json | jq -r '[.[] | select(.result == "timeout")][0].id')"
[[ "$id" =~ ^[0-9a-f]{12}$ ]] || fail "no job with result timeout listed"
assert_no_failed_job_units

# A job is finished on its shim's record, before PID 1 has the scope gone,
# only when the scope cannot tell more: these must still come out as PID 1
# says. A child OOM-killed while the command exits 0 by itself (before
# PID 1, which stops the scope on an OOM kill, gets to it, or not):
rc=0
jctl "$TEST_USER1" run --memory=64M -- sh -c '(x=a; while true; do x="$x$x"; done); exit 0' || rc=$?
assert_eq 137 "$rc" "run exit status of a job whose child was OOM-killed"
id="$(jctl "$TEST_USER1" list --all --json | jq -r '[.[] | select(.result == "oom-kill")] | last | .id')"
[[ "$id" =~ ^[0-9a-f]{12}$ ]] || fail "a job whose child was OOM-killed is not reported oom-kill"
# A command that takes the run-time limit's SIGTERM and exits 0 (past the
# margin within which a clean exit is trusted):
rc=0
jctl "$TEST_USER1" run --runtime-max=8 -- sh -c 'trap "exit 0" TERM; sleep 100 & wait' || rc=$?
assert_eq 124 "$rc" "run exit status of a job that exited 0 on the run-time limit's SIGTERM"
n="$(jctl "$TEST_USER1" list --all --json | jq '[.[] | select(.result == "timeout")] | length')"
assert_eq 2 "$n" "jobs with result timeout"
# A clean exit well within the limit is final at once, and leaves no unit.
rc=0; jctl "$TEST_USER1" run --runtime-max=60 -- sh -c 'exit 3' || rc=$?
assert_eq 3 "$rc" "run exit status of a clean exit under a run-time limit"
assert_no_failed_job_units

# Bad limits are refused before anything starts.
out="$(jctl "$TEST_USER1" start --memory=0 -- true 2>&1)" && fail "--memory=0 accepted"
assert_contains "$out" "MemoryMax"
out="$(jctl "$TEST_USER1" start --cpus=4095 -- true 2>&1)" && fail "a CPU that does not exist accepted"
assert_contains "$out" "AllowedCPUs"
out="$(jctl "$TEST_USER1" start --io-read=1M --io-device=/nonexistent -- true 2>&1)" && fail "bad IO device accepted"
assert_contains "$out" "/nonexistent"
