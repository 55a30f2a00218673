#!/bin/bash
# The name service hangs (an LDAP or sssd server that never answers, a
# passwd file on a hung mount): looking up a caller's passwd entry and groups
# must stall only that caller's start, never the daemon. Here jobworkerd's
# /etc/passwd is a FIFO nobody writes to, so every NSS lookup in the daemon's
# mount namespace blocks in open(). (Before the lookup moved into the caller
# check's child, jobworkerd called getpwuid_r() in its event loop and froze
# for every user.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
uid1="$(id -u "$U1")"
dropin=/run/systemd/system/jobworkerd.service.d
work="$(mktemp -d /tmp/hung-nss.XXXXXX)"
bg_pids=()
cleanup() {
    local p
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -f "$dropin/63-hung-nss.conf"
    systemctl daemon-reload
    systemctl stop "$SERVICE" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The daemon, started afresh, sees a FIFO as /etc/passwd; nothing else does.
mkfifo -m 0644 "$work/passwd"
mkdir -p "$dropin"
printf '[Service]\nBindReadOnlyPaths=%s:/etc/passwd\n' "$work/passwd" >"$dropin/63-hung-nss.conf"
systemctl daemon-reload
systemctl stop "$SERVICE"
systemctl start "$SERVICE"
daemon_pid="$(systemctl show -P MainPID "$SERVICE")"
[[ "$daemon_pid" != 0 ]] || fail "jobworkerd did not start with the hung /etc/passwd"

# The lookup really hangs there, for root too (and answers out here).
getent passwd "$U1" >/dev/null || fail "getent passwd $U1 fails outside the daemon's namespace"
if timeout -s KILL 5 nsenter -t "$daemon_pid" -m getent passwd "$U1" >/dev/null 2>&1; then
    fail "a passwd lookup in jobworkerd's mount namespace answered: the name service does not hang"
fi

# lookups: the daemon's children that are still copies of the daemon (the
# caller checks; root while they do NSS), not shims.
lookups() { pgrep -P "$daemon_pid" -x jobworkerd || true; }
has_lookups() { [[ -n "$(lookups)" ]]; }
has_no_lookups() { [[ -z "$(lookups)" ]]; }

info "$U1 starts a job; the daemon has to look $U1 up"
start_time=$SECONDS
( rc=0; out="$(jctl "$U1" run -- true 2>&1)" || rc=$?
  echo "$rc" >"$work/rc"; printf '%s\n' "$out" >"$work/out" ) &
bg_pids+=($!)
# (A daemon that looks up in its event loop has no such child, and is
# frozen: the next step fails.)
wait_until 30 has_lookups || info "no child of the daemon looks $U1 up"
lookup="$(lookups | head -1)"

info "$U2 is answered meanwhile"
assert_contains "$(timed_as "$U2" 8 jobworkerctl version 2>&1)" "daemon: jobworkerd" \
    "jobworkerctl version as $U2 while the lookup of $U1 hangs"
timed_as "$U2" 8 jobworkerctl list >/dev/null 2>&1 \
    || fail "jobworkerctl list as $U2 was not answered within 8 s while the lookup of $U1 hangs"
[[ -n "$lookup" ]] || fail "no lookup for $U1 ever ran in a child of the daemon"
[[ -d /proc/$lookup ]] || fail "the lookup ended before $U2 was served: nothing was proven"
info "the lookup is pid $lookup, uid $(stat -c %u "/proc/$lookup")"
assert_eq 0 "$(stat -c %u "/proc/$lookup")" "uid of the lookup (NSS as root, before it takes $U1's ids)"

info "the lookup holds only its report pipe"
fds="$(ls -l "/proc/$lookup/fd/" | tail -n +2)"
info "$fds"
assert_eq 1 "$(wc -l <<<"$fds")" "number of the daemon's fds in the lookup (bus, journal, ... must be closed)"
assert_contains "$fds" "pipe:" "the lookup's one fd of the daemon's"

info "$U1's start fails after the timeout, saying why"
wait_until 60 test -s "$work/rc" || fail "$U1's start was never answered"
elapsed=$((SECONDS - start_time))
info "answered after ${elapsed} s: $(cat "$work/out")"
assert_ne 0 "$(cat "$work/rc")" "exit status of the start whose lookup hung"
assert_contains "$(cat "$work/out")" "User $uid1 could not be looked up: no answer in time"
((elapsed >= 8)) || fail "answered after ${elapsed} s, before the check's timeout"
# Killed at the timeout: a FIFO's open() is killable, so it is reaped at once.
wait_until 20 has_no_lookups || fail "the timed-out lookup was not killed and reaped"

assert_eq "$daemon_pid" "$(systemctl show -P MainPID "$SERVICE")" "jobworkerd's pid (it must not have restarted)"

info "with a name service that answers, $U1's jobs run again"
rm -f "$dropin/63-hung-nss.conf"
systemctl daemon-reload
systemctl stop "$SERVICE"
out="$(timed_as "$U1" 60 jobworkerctl run -- echo served 2>&1)" || fail "a job of $U1 did not run: $out"
assert_contains "$out" served
