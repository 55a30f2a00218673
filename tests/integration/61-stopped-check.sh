#!/bin/bash
# The check of a start's working directory runs with the caller's uid, so
# the caller may SIGSTOP it. A user who stops their checks in a loop while
# starting jobs delays only their own starts:
# another user's calls are answered all along. (Before caller checks were
# asynchronous, jobworkerd waited for the stopped check: frozen for all.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
work="$(mktemp -d /tmp/stopped-check.XXXXXX)"
chmod 755 "$work"
bg_pids=()
cleanup() {
    local p
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    pkill -u "$U1" -f 'pkill -STOP' 2>/dev/null || true
    sleep 0.5
    # Whatever of U1 was stopped (a check that froze the daemon included)
    # goes on, and U1's jobs end.
    pkill -CONT -u "$U1" 2>/dev/null || true
    wait 2>/dev/null || true
    local id
    for id in ${anchor:-} $(cat "$work"/id.* 2>/dev/null); do
        jobworkerctl stop --timeout=5 "$id" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# An anchor job: the daemon stays, with one pid, for the whole test.
anchor="$(jctl root start -- sleep 1000)"
daemon_pid="$(systemctl show -P MainPID "$SERVICE")"
since="$(date +%s)"

# A directory that takes long to enter (the attacker's choice, to widen the
# window): 900 levels deep, reached through a chain of 39 symlinks that each
# lead down those 900 levels again.
install -d -o "$U1" "$work/deep"
deepest="$work/deep/$(printf 'a/%.0s' $(seq 1 900))"
deepest="${deepest%/}"
runuser -u "$U1" -- bash -c 'mkdir -p "$1" && for i in $(seq 1 38); do ln -s "$1/l$((i + 1))" "$1/l$i"; done &&
    ln -s "$1" "$1/l39"' _ "$deepest"
slow="$deepest/l1"
[[ -d "$slow" ]] || fail "the slow directory does not resolve"

info "$U1 stops their own checks, in a loop"
runuser -u "$U1" -- bash -c "while :; do pkill -STOP -u $U1 -x jobworkerd; done" &
bg_pids+=($!)
( for i in $(seq 1 8); do
      rc=0
      (cd / && runuser -u "$U1" -- jobworkerctl start --workdir="$slow" -- true) \
          >"$work/id.$i" 2>"$work/err.$i" || rc=$?
      echo "$rc" >"$work/rc.$i"
  done
  touch "$work/starts-done" ) &
bg_pids+=($!)

info "$U2 is answered all along"
n=0
deadline=$((SECONDS + 200))
while [[ ! -e "$work/starts-done" ]] && ((SECONDS < deadline)); do
    out="$(cd / && timeout -s KILL 10 runuser -u "$U2" -- jobworkerctl version 2>&1)" \
        || fail "jobworkerctl version as $U2 got no answer within 10 s while $U1 stops checks (call $n)"
    assert_contains "$out" "daemon: jobworkerd"
    n=$((n + 1))
    sleep 1
done
[[ -e "$work/starts-done" ]] || fail "$U1's starts did not finish in 200 s"
out="$(cd / && timeout -s KILL 60 runuser -u "$U2" -- jobworkerctl run -- echo served 2>&1)" \
    || fail "a job of $U2 did not run: $out"
assert_contains "$out" served
info "$U2 was answered $n times"

# The attack must have landed, or nothing was proven.
stopped="$(cat "$work"/err.* | grep -c "no answer in time" || true)"
info "starts of $U1 whose check was stopped: $stopped of 8"
for i in $(seq 1 8); do
    info "start $i: rc $(cat "$work/rc.$i"): $(cat "$work/id.$i" "$work/err.$i")"
done
((stopped >= 1)) || fail "no check of $U1 was ever stopped: the attack did not land"
journalctl -q -u "$SERVICE" --since="@$since" | grep -q "gave no answer" \
    || fail "jobworkerd did not log the stopped check"
assert_eq "$daemon_pid" "$(systemctl show -P MainPID "$SERVICE")" "jobworkerd's pid (it must not have restarted)"
