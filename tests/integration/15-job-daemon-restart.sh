#!/bin/bash
# Exit status, signal and OOM kill survive jobworkerd restarting, being
# SIGKILLed, or being away while the job ends.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1"

# Restart while the job runs.
id="$(jctl "$u" start -- sh -c 'sleep 4; exit 7')"
systemctl restart jobworkerd
assert_eq running "$(job_field "$u" "$id" state)" "state after restart"
rc=0; jctl "$u" wait "$id" || rc=$?
assert_eq 7 "$rc" "exit code across a restart"

# SIGKILL while the job runs; it ends while the daemon is being restarted.
id="$(jctl "$u" start -- sh -c 'sleep 3; exit 9')"
systemctl kill -s KILL jobworkerd
rc=0; jctl "$u" wait "$id" || rc=$?
assert_eq 9 "$rc" "exit code across SIGKILL of the daemon"
assert_eq exit-code "$(job_field "$u" "$id" result)"

# The daemon is away (stopped) while jobs end: exit code, signal, OOM kill.
a="$(jctl "$u" start -- sh -c 'sleep 3; exit 4')"
b="$(jctl "$u" start -- sh -c 'sleep 3; kill -SEGV $$')"
c="$(jctl "$u" start --memory=32M -- sh -c 'sleep 3; x=a; while :; do x="$x$x"; done')"
systemctl stop jobworkerd
wait_until 120 bash -c "! systemctl is-active -q jobworker-$a.scope jobworker-$b.scope jobworker-$c.scope" \
    || fail "jobs did not end"
sleep 2
assert_eq inactive "$(unit_state "$SERVICE")" "daemon stayed away"
# The next call activates it; it finds out what happened.
assert_eq exit-code "$(job_field "$u" "$a" result)" "result of a job that ended while away"
assert_eq 4 "$(job_field "$u" "$a" exit_code)"
assert_eq signal "$(job_field "$u" "$b" result)"
assert_eq 11 "$(job_field "$u" "$b" signal)"
assert_eq oom-kill "$(job_field "$u" "$c" result)"
assert_no_failed_job_units

# SIGKILL exactly while a job ends.
id="$(jctl "$u" start -- sh -c 'sleep 2; exit 6')"
sleep 1.5
systemctl kill -s KILL jobworkerd
rc=0; jctl "$u" wait "$id" || rc=$?
assert_eq 6 "$rc" "exit code when the daemon dies as the job ends"

# The daemon does not idle out while a job runs.
mkdir -p /run/systemd/system/jobworkerd.service.d
# Whatever happens below, later tests get the stock idle timeout back.
trap 'rm -rf /run/systemd/system/jobworkerd.service.d; systemctl daemon-reload' EXIT
printf '[Service]\nEnvironment=JOBWORKERD_IDLE_TIMEOUT_SEC=2\n' >/run/systemd/system/jobworkerd.service.d/idle.conf
systemctl daemon-reload
systemctl restart jobworkerd
id="$(jctl "$u" start -- sleep 12)"
sleep 8
assert_eq active "$(unit_state "$SERVICE")" "daemon idled out with a running job"
jctl "$u" wait "$id"
wait_until 60 unit_is "$SERVICE" inactive || fail "daemon did not idle out after the job"
rm -rf /run/systemd/system/jobworkerd.service.d
systemctl daemon-reload
