#!/bin/bash
# Bad input over busctl (so the D-Bus layer itself is tested): every method
# refuses it with a specific org.jobworker1.Error.* whose message names the
# problem, and nothing else changes. Then a flood of calls from one user
# does not stop another from being served, nor crash the daemon.
# shellcheck disable=SC2046  # $(ay STRING) expands to several busctl arguments
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
JOB_IFACE=org.jobworker1.Job
INVALID=org.jobworker1.Error.InvalidArgument
INVALID_OPTION=org.jobworker1.Error.InvalidOption
BIG_CALL=/usr/libexec/jobworker/tests/big-call
[[ -x "$BIG_CALL" ]] || fail "$BIG_CALL missing: configure the build with -Dinstall_tests=true"

scratch="$(mktemp -d /tmp/bad-input.XXXXXX)"
chmod 0755 "$scratch"
flood_pids=()
cleanup() {
    local p
    for p in "${flood_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$scratch"
    local id
    for id in ${anchor:-} ${running:-}; do
        jobworkerctl stop --timeout=5 "$id" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

# The state that must not change: the jobs (ids and states) and job units.
snapshot() {
    busctl --json=short call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" ListJobs \
        | jq -r '.data[0][] | "\(.[0]) \(.[3])"' | sort
    systemctl list-units --all --no-legend --plain 'jobworker-*.scope' | awk '{print $1, $3, $4}' | sort
}

# expect_error USER NAME TEXT ARGS...: busctl ARGS as USER fails with NAME
# and a message containing TEXT, and nothing changes.
expect_error() {
    local user="$1" name="$2" text="$3" got; shift 3
    got="$(bus_error "$user" "$@")"
    info "$user: ${got}"
    assert_eq "$name" "${got%%: *}" "error of busctl $* as $user ($got)"
    assert_contains "$got" "$text" "message of busctl $* as $user"
    local now; now="$(snapshot)"
    [[ "$now" == "$before" ]] || fail "busctl $* as $user changed the jobs: before: $before; after: $now"
}

# start_error USER NAME TEXT WIRE-ARGS...: StartJob with busctl wire
# arguments for 'aayaayaya{sv}' ("--" so that busctl takes "-1" as a value).
start_error() {
    local user="$1" name="$2" text="$3"; shift 3
    expect_error "$user" "$name" "$text" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob -- 'aayaayaya{sv}' "$@"
}

# ay STRING: the busctl arguments of an "ay" holding STRING (ASCII).
ay() {
    local s="$1" i out="${#1}"
    for ((i = 0; i < ${#s}; i++)); do out+=" $(printf '%d' "'${s:i:1}")"; done
    echo "$out"
}
# opt_error USER NAME TEXT OPTION TYPE VALUE...: StartJob of "true" with one option.
opt_error() {
    local user="$1" name="$2" text="$3"; shift 3
    start_error "$user" "$name" "$text" 1 $(ay true) 0 0 1 "$@"
}

# An anchor job keeps the daemon from exiting when idle, so its PID is
# stable for the whole test; one finished and one running job for the
# lifecycle errors.
anchor="$(jctl root start -- sleep 1000)"
finished="$(jctl "$U1" start -- true)"
jctl "$U1" wait "$finished"
running="$(jctl "$U1" start -- sleep 1000)"
pid="$(systemctl show -P MainPID "$SERVICE")"
((pid > 0)) || fail "jobworkerd not running"
before="$(snapshot)"
n_before="$(busctl --json=short call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" ListJobs | jq '.data[0] | length')"

info "command line and environment"
start_error "$U1" "$INVALID" "command line is empty" 0 0 0 0
start_error "$U1" "$INVALID" "command name is empty" 1 0 0 0 0
start_error "$U1" "$INVALID" "NUL byte" 1 3 116 0 120 0 0 0
start_error "$U1" "$INVALID" "NUL byte" 2 $(ay true) 3 97 0 98 0 0 0
start_error "$U1" "$INVALID" "NUL byte" 1 $(ay true) 1 5 65 61 0 98 99 0 0
start_error "$U1" "$INVALID" 'Invalid environment entry "FOO"' 1 $(ay true) 1 $(ay FOO) 0 0
start_error "$U1" "$INVALID" 'Invalid environment entry "=x"' 1 $(ay true) 1 $(ay '=x') 0 0
start_error "$U1" "$INVALID" 'Invalid environment entry "1A=x"' 1 $(ay true) 1 $(ay 1A=x) 0 0
for sizes in "3145728" "1200000 1200000" "0 3145728"; do
    rc=0; out="$(as_user "$U1" "$BIG_CALL" $sizes)" || rc=$?
    info "big-call $sizes: $out"
    assert_eq 1 "$rc" "big-call $sizes (1 = refused with an error; $out)"
    assert_contains "$out" "error $INVALID: " "big-call $sizes"
    assert_contains "$out" "exceed" "big-call $sizes"
    [[ "$(snapshot)" == "$before" ]] || fail "big-call $sizes changed the jobs"
done

info "options"
opt_error "$U1" "$INVALID" "Unknown option 'Bogus'" Bogus t 1
opt_error "$U1" "$INVALID" "Unknown option 'memorymax'" memorymax t 1
opt_error "$U1" "$INVALID" "MemoryMax" MemoryMax s 64M
opt_error "$U1" "$INVALID" "MemoryMax" MemoryMax i 64
opt_error "$U1" "$INVALID" "MemoryMax" MemoryMax as 1 64M
opt_error "$U1" "$INVALID" "CPUQuota" CPUQuota t 1
opt_error "$U1" "$INVALID" "AllowedCPUs" AllowedCPUs ay 1 1
opt_error "$U1" "$INVALID" "TasksMax" TasksMax 'a{sv}' 1 x t 1
info "zero, negative-as-unsigned, absurd"
for o in MemoryMax TasksMax IOReadBandwidthMax IOWriteBandwidthMax RuntimeMaxUSec StopTimeoutUSec; do
    opt_error "$U1" "$INVALID" "$o must be greater than 0" "$o" t 0
    opt_error "$U1" "$INVALID" "$o of 18446744073709551615 is more than the maximum" "$o" t 18446744073709551615
done
opt_error "$U1" "$INVALID" "CPUQuota must be greater than 0" CPUQuota d 0
opt_error "$U1" "$INVALID" "CPUQuota must be greater than 0" CPUQuota d -1
opt_error "$U1" "$INVALID" "CPUQuota must be a finite number" CPUQuota d inf
opt_error "$U1" "$INVALID" "CPUQuota" CPUQuota d nan
opt_error "$U1" "$INVALID" "MemoryMax of 9223372036854775808 is more than the maximum" MemoryMax t 9223372036854775808
opt_error "$U1" "$INVALID" "MemorySwapMax of 9223372036854775808 is more than the maximum" MemorySwapMax t 9223372036854775808
opt_error "$U1" "$INVALID" "CPUQuota of 1e+09 CPUs is more than the maximum" CPUQuota d 1e9
opt_error "$U1" "$INVALID" "TasksMax of 1000000000 is more than the maximum" TasksMax t 1000000000
opt_error "$U1" "$INVALID" "RuntimeMaxUSec of 31536000000001 is more than the maximum" RuntimeMaxUSec t 31536000000001
info "CPU lists"
ncpu="$(nproc --all)"
opt_error "$U1" "$INVALID" "AllowedCPUs names CPU 64, but this host has CPUs 0-$((ncpu - 1))" AllowedCPUs s 64
opt_error "$U1" "$INVALID" "AllowedCPUs names CPU $ncpu" AllowedCPUs s "0-$ncpu"
opt_error "$U1" "$INVALID" "AllowedCPUs names a CPU numbered 8192 or higher" AllowedCPUs s 0,99999
for bad in "1-" "a,b" "3-1" "1,,2" "" "-1" "0x1"; do
    opt_error "$U1" "$INVALID" "AllowedCPUs must be a list of CPUs" AllowedCPUs s "$bad"
done
info "IO devices"
mkfifo "$scratch/fifo"
sock=/run/dbus/system_bus_socket
[[ -S "$sock" ]] || fail "$sock is not a socket"
opt_error "$U1" "$INVALID" "IODevice must be an absolute, normalized path" IODevice s dev/vda
opt_error "$U1" "$INVALID" "IODevice must be an absolute, normalized path" IODevice s /dev/../dev/vda
# Resolved as the caller, with one answer whatever the reason (caller-check.c).
nodev="is not a block device, or a file or directory on one, that user $U1 can reach"
opt_error "$U1" "$INVALID" "IODevice /nonexistent/disk $nodev" IODevice s /nonexistent/disk
opt_error "$U1" "$INVALID" "IODevice $scratch/fifo $nodev" IODevice s "$scratch/fifo"
opt_error "$U1" "$INVALID" "IODevice $sock $nodev" IODevice s "$sock"
opt_error "$U1" "$INVALID" "IODevice /dev/null $nodev" IODevice s /dev/null
start_error "$U1" "$INVALID" "IODevice $scratch/fifo" 1 $(ay true) 0 0 2 IODevice s "$scratch/fifo" IOReadBandwidthMax t 1048576
info "working directory"
start_error "$U1" "$INVALID_OPTION" "Working directory /root: Permission denied" 1 $(ay true) 0 $(ay /root) 0
start_error "$U1" "$INVALID_OPTION" "Working directory /root/x: Permission denied" 1 $(ay true) 0 $(ay /root/x) 0
start_error "$U1" "$INVALID_OPTION" "Working directory \"tmp\" is not an absolute path" 1 $(ay true) 0 $(ay tmp) 0
start_error "$U1" "$INVALID_OPTION" "Working directory /nonexistent: No such file or directory" 1 $(ay true) 0 $(ay /nonexistent) 0
start_error "$U1" "$INVALID_OPTION" "Working directory /etc/passwd: Not a directory" 1 $(ay true) 0 $(ay /etc/passwd) 0
start_error "$U1" "$INVALID" "Working directory" 1 $(ay true) 0 3 47 0 120 0

info "job ids and lifecycle"
for bad in "nope/.." "" "0123456789AB" ".0123456789a" "$(printf 'x%.0s' {1..65})"; do
    expect_error "$U1" "$INVALID" "is not a job id" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$bad"
done
# Not ids, but valid job names: looked up among the caller's jobs.
for name in "0123456789abc" "0123456789a"; do
    expect_error "$U1" org.jobworker1.Error.NoSuchJob "No job $name" \
        call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$name"
done
expect_error "$U1" org.jobworker1.Error.NoSuchJob "No job 0123456789ab" \
    call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s 0123456789ab
expect_error "$U1" org.freedesktop.DBus.Error.UnknownObject "" \
    call "$BUS_NAME" /org/jobworker1/job/0123456789ab "$JOB_IFACE" Stop t 0
expect_error "$U1" org.jobworker1.Error.JobNotRunning "$finished" \
    call "$BUS_NAME" "/org/jobworker1/job/$finished" "$JOB_IFACE" Stop t 0
expect_error "$U1" org.jobworker1.Error.JobStillRunning "$running" \
    call "$BUS_NAME" "/org/jobworker1/job/$running" "$JOB_IFACE" Remove
expect_error "$U1" "$INVALID" "Stop timeout" \
    call "$BUS_NAME" "/org/jobworker1/job/$running" "$JOB_IFACE" Stop t 18446744073709551615
expect_error "$U1" "$INVALID" "Unknown output option 'Bogus'" \
    call "$BUS_NAME" "/org/jobworker1/job/$finished" "$JOB_IFACE" GetOutput 'a{sv}' 1 Bogus b true
expect_error "$U1" "$INVALID" "Output option 'Follow' must be of D-Bus type 'b'" \
    call "$BUS_NAME" "/org/jobworker1/job/$finished" "$JOB_IFACE" GetOutput 'a{sv}' 1 Follow s yes
assert_eq running "$(busctl --json=short get-property "$BUS_NAME" "/org/jobworker1/job/$running" "$JOB_IFACE" State | jq -r .data)"
n_after="$(busctl --json=short call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" ListJobs | jq '.data[0] | length')"
assert_eq "$n_before" "$n_after" "number of jobs after all the bad calls"
assert_eq "$pid" "$(systemctl show -P MainPID "$SERVICE")" "jobworkerd PID after the bad calls"

info "a flood from $U1 does not starve $U2"
# 8 loops of up to 200 calls each, but for at most 90 s: one busctl under
# TCG takes a good fraction of a second, and the test has 300 s in all.
loops=8 calls=200 flood_sec=90
# shellcheck disable=SC2016
flood='for ((i = 0; i < $1 && SECONDS < $2; i++)); do
    if ((i % 2)); then
        busctl call org.jobworker1 /org/jobworker1 org.jobworker1.Manager ListJobs >/dev/null 2>&1
    else
        busctl call org.jobworker1 /org/jobworker1 org.jobworker1.Manager StartJob "aayaayaya{sv}" 0 0 0 0 >/dev/null 2>&1
    fi
done'
flood_start=$SECONDS
for ((k = 0; k < loops; k++)); do
    (cd / && exec timeout 150 runuser -u "$U1" -- bash -c "$flood" flood "$calls" "$flood_sec") &
    flood_pids+=($!)
done
sleep 3
t0=$SECONDS
# From / : jobworkerctl passes its working directory, and the test's own
# is root's alone.
out="$(cd / && timeout 120 runuser -u "$U2" -- jobworkerctl list 2>&1)" || fail "$U2's list failed during the flood: $out"
t_list=$((SECONDS - t0))
t0=$SECONDS
(cd / && timeout 120 runuser -u "$U2" -- jobworkerctl run -- true) || fail "$U2's run failed during the flood"
t_run=$((SECONDS - t0))
still=0
for p in "${flood_pids[@]}"; do kill -0 "$p" 2>/dev/null && still=$((still + 1)); done
info "$U2 during the flood: list ${t_list} s, run ${t_run} s; flood loops still running: $still/$loops"
((still > 0)) || info "warning: the flood was over before $U2 was done; the bound is weaker"
((t_list <= 60)) || fail "$U2's list took $t_list s during the flood"
((t_run <= 60)) || fail "$U2's run took $t_run s during the flood"
for p in "${flood_pids[@]}"; do wait "$p" || true; done
flood_pids=()
info "flood of up to $((loops * calls)) calls took $((SECONDS - flood_start)) s"
assert_eq "$pid" "$(systemctl show -P MainPID "$SERVICE")" "jobworkerd PID after the flood (crashed or restarted?)"
assert_eq active "$(unit_state "$SERVICE")"
# Every job and unit as before ($U2's run added one job).
missing="$(comm -23 <(echo "$before") <(snapshot))"
[[ -z "$missing" ]] || fail "after the flood, jobs or units changed: $missing"
assert_eq running "$(busctl --json=short get-property "$BUS_NAME" "/org/jobworker1/job/$running" "$JOB_IFACE" State | jq -r .data)"
jobworkerctl stop --timeout=30 "$running"
jobworkerctl stop --timeout=30 "$anchor"
assert_no_failed_job_units
