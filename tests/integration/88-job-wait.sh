#!/bin/bash
# Job.Wait(): answered once the job is finished (at once if it is), with
# the same end its properties show; only to whoever sees the job; held
# calls are bounded per caller. `jobworkerctl run` and `wait` use it and
# still report the right end when the daemon dies while they wait.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

WAIT_MANY=/usr/libexec/jobworker/tests/wait-many
u="$TEST_USER1" o="$TEST_USER2"
path() { echo "/org/jobworker1/job/$1"; }
wait_call() { bus "$1" --json=short --timeout=120 call "$BUS_NAME" "$(path "$2")" org.jobworker1.Job Wait; }
# field JSON NAME: one entry of Wait's a{sv}, as busctl --json prints it.
field() { jq -r ".data[0].$2.data" <<<"$1"; }
prop() { bus "$1" --json=short get-property "$BUS_NAME" "$(path "$2")" org.jobworker1.Job "$3" | jq -r .data; }
# wait_refused USER ID: a Wait of USER is refused for too many held calls.
wait_refused() {
    local out
    out="$(SYSTEMD_LOG_LEVEL=debug runuser -u "$1" -- busctl --timeout=3 call "$BUS_NAME" "$(path "$2")" \
        org.jobworker1.Job Wait 2>&1)" || true
    grep -q 'error-name=org.jobworker1.Error.LimitExceeded' <<<"$out"
}

# compare_with_properties USER ID JSON: every entry of the answer is what
# the job's property of that name says.
compare_with_properties() {
    local p
    for p in Id State Result ExitCode ExitSignal StatusText StartErrno FinishTimestamp CPUUsageNSec MemoryPeak \
             StdoutBytes StderrBytes; do
        assert_eq "$(prop "$1" "$2" "$p")" "$(field "$3" "$p")" "Wait's $p against the property"
    done
}

info "a running job: answered once it is over, with its end"
id="$(jctl "$u" start -- sh -c 'sleep 4; echo out; echo err >&2; exit 7')"
t0=$SECONDS
out="$(wait_call "$u" "$id")"
took=$((SECONDS - t0))
((took >= 2)) || fail "Wait answered after $took s, before the job (sleep 4) was over: $out"
assert_eq finished "$(field "$out" State)"
assert_eq exit-code "$(field "$out" Result)"
assert_eq 7 "$(field "$out" ExitCode)"
assert_eq 4 "$(field "$out" StdoutBytes)" "stdout bytes counted"
assert_eq 4 "$(field "$out" StderrBytes)" "stderr bytes counted"
compare_with_properties "$u" "$id" "$out"

info "a finished job: answered at once, the same"
again="$(wait_call "$u" "$id")"
compare_with_properties "$u" "$id" "$again"

info "another user's job does not exist for them; root sees it"
err="$(bus_error "$o" call "$BUS_NAME" "$(path "$id")" org.jobworker1.Job Wait)"
assert_contains "$err" "org.freedesktop.DBus.Error.UnknownObject"
assert_eq 7 "$(field "$(wait_call root "$id")" ExitCode)" "root's Wait"
busy="$(jctl "$u" start -- sleep 60)"
err="$(bus_error "$o" call "$BUS_NAME" "$(path "$busy")" org.jobworker1.Job Wait)"
assert_contains "$err" "org.freedesktop.DBus.Error.UnknownObject" "a running job of another user"
jctl "$u" stop "$busy" >/dev/null

info "held calls are bounded per caller: 256, the next is refused, all are answered"
id="$(jctl "$o" start -- sleep 600)"
as_user "$o" "$WAIT_MANY" "$(path "$id")" 256 >/tmp/wait-many.out 2>&1 &
many=$!
wait_until 120 grep -q '^sent 256$' /tmp/wait-many.out || fail "wait-many did not send: $(cat /tmp/wait-many.out)"
# They are held once a 257th is refused (the daemon may still be reading them).
wait_until 120 wait_refused "$o" "$id" || fail "a 257th Wait of one user was not refused"
# Another user is not held up by them.
short="$(jctl "$u" start -- true)"
assert_eq finished "$(field "$(wait_call "$u" "$short")" State)" "another user's Wait meanwhile"
# jobworkerctl wait falls back to watching State when refused.
as_user "$o" timeout 120 jobworkerctl wait "$id" >/tmp/wait-fallback.out 2>&1 &
fallback=$!
sleep 2
jctl "$o" stop "$id" >/dev/null
wait "$many" || fail "wait-many failed: $(cat /tmp/wait-many.out)"
assert_eq "sent 256
256 ok finished" "$(cat /tmp/wait-many.out)" "every held Wait answered with the end"
rc=0; wait "$fallback" || rc=$?
assert_eq 143 "$rc" "jobworkerctl wait after a refused Wait: the stopped job's status ($(cat /tmp/wait-fallback.out))"

info "the held calls of a client that is gone no longer count"
# 256 held by a client that is then SIGKILLed: its user may wait again
# (the call is held, not refused), without the job having to end first.
id="$(jctl "$o" start -- sleep 600)"
as_user "$o" "$WAIT_MANY" "$(path "$id")" 256 >/tmp/wait-gone.out 2>&1 &
wait_until 120 grep -q '^sent 256$' /tmp/wait-gone.out || fail "wait-many did not send: $(cat /tmp/wait-gone.out)"
wait_until 120 wait_refused "$o" "$id" || fail "the 256 Waits of wait-many were never all held"
pkill -KILL -u "$o" -x wait-many || fail "no wait-many of $o to kill"
not_refused() { ! wait_refused "$@"; }
wait_until 60 not_refused "$o" "$id" || fail "Waits of a SIGKILLed client still count against $o"
assert_eq active "$(unit_state "jobworker-$id.scope")" "job $id, still running meanwhile"
jctl "$o" stop "$id" >/dev/null

info "jobworkerctl wait across a SIGKILL of the daemon: the right end"
id="$(jctl "$u" start -- sh -c 'sleep 5; exit 9')"
as_user "$u" timeout 120 jobworkerctl wait "$id" >/tmp/wait-kill.out 2>&1 &
waiter=$!
wait_until 60 bash -c "busctl --system list 2>/dev/null | grep -q '^:.*jobworkerctl'" || true
sleep 1
systemctl kill -s KILL jobworkerd
rc=0; wait "$waiter" || rc=$?
assert_eq 9 "$rc" "exit code through the wait ($(cat /tmp/wait-kill.out))"

info "run: exit code, output and the end, as before"
rc=0; out="$(jctl "$u" run -- sh -c 'echo hello; exit 5')" || rc=$?
assert_eq 5 "$rc"
assert_eq hello "$out"
