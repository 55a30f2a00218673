#!/bin/bash
# The check of a start's working directory runs with the caller's uid, so
# the caller may SIGSTOP it. A user who stops their check delays only their
# own start: another user's calls are answered, and the start fails after
# the check's timeout. (Before caller checks were asynchronous, jobworkerd
# waited for the stopped check: frozen for everyone, for good.)
#
# To stop the check at a known point, the attacker lets it hang on a file
# system that does not answer (a FUSE mount whose server sleeps, as for a
# flaky NFS server), stops it there, and then the file system recovers: the
# check's lookup returns and the check stays stopped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
hang=/mnt/flaky
work="$(mktemp -d /tmp/stopped-check.XXXXXX)"
start_pid=""
cleanup() {
    [[ -z "$FUSE_PID" ]] || kill "$FUSE_PID" 2>/dev/null || true
    # A stopped check (which froze a synchronous daemon) goes on and ends.
    pkill -CONT -u "$U1" 2>/dev/null || true
    [[ -z "$start_pid" ]] || kill "$start_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    umount "$hang" 2>/dev/null || umount -l "$hang" 2>/dev/null || true
    [[ -z "${anchor:-}" ]] || jobworkerctl stop --timeout=5 "$anchor" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# is_stopped PID: the process is in state T (stopped).
is_stopped() { [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" == T ]]; }

fuse_hang_mount "$hang" "$work/fuse.out"

# An anchor job: the daemon stays, with one pid, for the whole test.
anchor="$(jctl root start -- sleep 1000)"
daemon_pid="$(systemctl show -P MainPID "$SERVICE")"

info "$U1 starts a job in $hang and stops its check"
start_time=$SECONDS
( rc=0; out="$(jctl "$U1" run --workdir="$hang" -- true 2>&1)" || rc=$?
  echo "$rc" >"$work/rc"; printf '%s\n' "$out" >"$work/out" ) &
start_pid=$!
wait_until 30 has_checks "$U1" || fail "no check as $U1 ever ran"
check="$(checks_of "$U1" | head -1)"
runuser -u "$U1" -- kill -STOP "$check" || fail "$U1 could not stop their check $check"

info "the file system recovers; the check stays stopped"
kill "$FUSE_PID"; wait "$FUSE_PID" 2>/dev/null || true; FUSE_PID=""
wait_until 10 is_stopped "$check" || fail "check $check is not stopped: $(cat "/proc/$check/stat" 2>&1)"

info "$U2 is answered meanwhile"
out="$(cd / && timeout -s KILL 10 runuser -u "$U2" -- jobworkerctl version 2>&1)" \
    || fail "jobworkerctl version as $U2 got no answer within 10 s while $U1's check is stopped"
assert_contains "$out" "daemon: jobworkerd"
out="$(cd / && timeout -s KILL 60 runuser -u "$U2" -- jobworkerctl run -- echo served 2>&1)" \
    || fail "a job of $U2 did not run while $U1's check is stopped: $out"
assert_contains "$out" served

info "$U1's start fails after the timeout; the stopped check is killed"
wait_until 60 test -s "$work/rc" || fail "$U1's start was never answered"
elapsed=$((SECONDS - start_time))
info "answered after ${elapsed} s: $(cat "$work/out")"
assert_ne 0 "$(cat "$work/rc")" "exit status of the start with a stopped check"
assert_contains "$(cat "$work/out")" "Working directory $hang: no answer in time"
((elapsed >= 8)) || fail "answered after ${elapsed} s, before the check's timeout"
wait_until 20 has_no_checks "$U1" || fail "the stopped check was not killed and reaped"
assert_eq "$daemon_pid" "$(systemctl show -P MainPID "$SERVICE")" "jobworkerd's pid (it must not have restarted)"
