#!/bin/bash
# A user names a working directory (or IODevice) on a file system that never
# answers, as a hung NFS server, FUSE daemon or automount does. Only that
# start may suffer: it fails with a clear error after the check's timeout,
# while everyone else's calls are answered at once. The check that hangs
# holds none of the daemon's fds. (Before caller checks were asynchronous,
# jobworkerd waited for the check and froze for every user.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
hang=/mnt/hang
work="$(mktemp -d /tmp/hung-workdir.XXXXXX)"
bg_pids=()
cleanup() {
    local p
    # Ending the FUSE server aborts the connection: whatever still waits
    # on the mount (a frozen daemon's check included) gets ENOTCONN.
    [[ -z "$FUSE_PID" ]] || kill "$FUSE_PID" 2>/dev/null || true
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    umount "$hang" 2>/dev/null || umount -l "$hang" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

fuse_hang_mount "$hang" "$work/fuse.out"
# The mount really hangs, for root too (1 s is plenty to answer a stat).
if timeout -s KILL 3 stat "$hang" >/dev/null 2>&1; then
    fail "a stat of $hang answered: the FUSE mount does not hang"
fi

# The daemon runs (and stays: an anchor job) before the attack starts.
anchor="$(jctl root start -- sleep 1000)"
daemon_pid="$(systemctl show -P MainPID "$SERVICE")"
trap 'jobworkerctl stop --timeout=5 "$anchor" >/dev/null 2>&1 || true; cleanup' EXIT

info "$U1 starts a job in $hang"
start_time=$SECONDS
( rc=0; out="$(jctl "$U1" run --workdir="$hang" -- true 2>&1)" || rc=$?
  echo "$rc" >"$work/rc"; printf '%s\n' "$out" >"$work/out" ) &
bg_pids+=($!)
wait_until 30 has_checks "$U1" || fail "no check as $U1 ever ran"
check="$(checks_of "$U1" | head -1)"
info "the check as $U1 is pid $check"

info "$U2 is answered meanwhile"
assert_contains "$(timed_as "$U2" 8 jobworkerctl version 2>&1)" "daemon: jobworkerd" \
    "jobworkerctl version as $U2 while $U1's start hangs"
[[ -d /proc/$check ]] || fail "the check ended before $U2 was served: nothing was proven"
timed_as "$U2" 8 jobworkerctl list >/dev/null 2>&1 \
    || fail "jobworkerctl list as $U2 was not answered within 8 s while $U1's start hangs"

info "the check holds only its report pipe"
fds="$(ls -l "/proc/$check/fd/" | tail -n +2)"
info "$fds"
assert_eq 1 "$(wc -l <<<"$fds")" "number of fds of the check (not the daemon's: bus, journal, ...)"
assert_contains "$fds" "pipe:" "the check's one fd"

out="$(timed_as "$U2" 60 jobworkerctl run -- echo served 2>&1)" \
    || fail "a job of $U2 did not run while $U1's start hung: $out"
assert_contains "$out" served

info "$U1's start fails after the timeout, naming the directory"
wait_until 60 test -s "$work/rc" || fail "$U1's start into $hang was never answered"
elapsed=$((SECONDS - start_time))
info "answered after ${elapsed} s: $(cat "$work/out")"
assert_ne 0 "$(cat "$work/rc")" "exit status of the start into $hang"
assert_contains "$(cat "$work/out")" "Working directory $hang: no answer in time"
((elapsed >= 8)) || fail "answered after ${elapsed} s, before the check's timeout"
# Killed at the timeout: FUSE waits are killable, so it is reaped at once.
wait_until 20 has_no_checks "$U1" || fail "the timed-out check was not killed and reaped"

info "an IODevice on the hung mount fails the same way"
rc=0; out="$(timed_as "$U1" 60 jobworkerctl run --io-device="$hang/disk" --io-read=1M -- true 2>&1)" || rc=$?
info "$out"
assert_ne 0 "$rc" "exit status of a start with IODevice=$hang/disk"
assert_contains "$out" "IODevice $hang/disk: no answer in time"

info "a hung home does not stop a start without --workdir: it runs in /"
# jobworkerctl sends its own working directory; busctl sends none.
usermod -d "$hang" "$U2"
trap 'usermod -d "/home/$U2" "$U2"; jobworkerctl stop --timeout=5 "$anchor" >/dev/null 2>&1 || true; cleanup' EXIT
reply="$(timed_as "$U2" 60 busctl --json=short call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob \
        'aayaayaya{sv}' 1 3 112 119 100 0 0 0)" || fail "StartJob without a directory, home hung: $reply"
id="$(jq -r '.data[0]' <<<"$reply")"
jctl "$U2" wait "$id" || fail "the job of $U2 with a hung home failed"
assert_eq / "$(job_output "$id")" "working directory of a job whose home hangs"
usermod -d "/home/$U2" "$U2"

assert_eq "$daemon_pid" "$(systemctl show -P MainPID "$SERVICE")" "jobworkerd's pid (it must not have restarted)"
