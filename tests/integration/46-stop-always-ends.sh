#!/bin/bash
# Stop always ends a job: a Stop(timeout) that comes while the job is still
# starting keeps its timeout; many stops at once all end their jobs; and when
# systemd refuses KillUnit (here: a bus policy denies it), the SIGKILL still
# comes, through the scope's cgroup.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

STOP_WHILE_STARTING=/usr/libexec/jobworker/tests/stop-while-starting
POLICY=/etc/dbus-1/system.d/zz-test-deny-killunit.conf
trap 'rm -f "$POLICY"; systemctl reload dbus' EXIT

# stop_call USER ID SECONDS: Job.Stop without waiting for the end.
stop_call() { bus "$1" call "$BUS_NAME" "/org/jobworker1/job/$2" org.jobworker1.Job Stop t "$(($3 * 1000000))"; }

# wait_finished USER ID SECONDS
wait_finished() {
    wait_until "$3" bash -c "[[ \$(jobworkerctl status --json $2 | jq -r .state) == finished ]]"
}

# 1. Stop(2 s) while starting, for a job whose own stop timeout is 200 s and
#    that ignores SIGTERM: SIGKILL follows about 2 s after the release. A bus
#    policy keeps systemd's JobRemoved from jobworkerd, so the job stays
#    "starting" until its start deadline (10 s) releases it: the stop surely
#    comes while it starts, however fast the host.
trap 'rm -f "$POLICY"; give_back_job_removed' EXIT
# stop_while_starting STOP_SEC JOB_STOP_TIMEOUT_SEC COMMAND...: a job of
# TEST_USER1 stopped while it starts, its JobRemoved held back; its id in
# caught.
stop_while_starting() {
    local out when
    lose_job_removed
    out="$(as_user "$TEST_USER1" "$STOP_WHILE_STARTING" "$@")"
    info "stop while starting ($*): $out"
    read -r when caught <<<"$out"
    give_back_job_removed
    assert_eq starting "$when" "when the stop reached job $caught"
    [[ -n "$caught" ]] || fail "never managed to stop a job while it was starting"
}
stop_while_starting 2 200 env --ignore-signal=TERM sleep 1000
wait_finished root "$caught" 120 || fail "job $caught stopped while starting with a 2 s timeout still runs after 120 s"
assert_eq stopped "$(job_field root "$caught" result)"
# The SIGTERM comes the moment the job is released, which may be before env
# has set SIGTERM aside (then it ends by SIGTERM); the timer is the daemon's
# word either way.
journalctl -b -u "$SERVICE" -o cat | grep -F "Stopping job $caught (SIGKILL in 2000 ms)" \
    || fail "job $caught did not get the 2 s timeout asked for while it was starting: $(journalctl -b -u "$SERVICE" -o cat | grep -F "Stopping job $caught")"

# 1b. The same for a job that takes SIGTERM, with a 200 s timeout: the
#     SIGTERM sent at the release reaches the command even if it came
#     before the shim had moved init into the scope (the shim hands it on),
#     so the job ends by it, long before any SIGKILL.
stop_while_starting 200 200 sleep 1000
wait_finished root "$caught" 60 || fail "job $caught stopped while starting still runs 60 s later (SIGTERM lost?)"
assert_eq stopped "$(job_field root "$caught" result)"
assert_eq 15 "$(job_field root "$caught" signal)" "the signal that ended job $caught"

# 2. Many stops at once.
ids=()
for i in $(seq 1 16); do ids+=("$(jctl "$TEST_USER2" start -- sleep 1000)"); done
pids=()
for id in "${ids[@]}"; do jctl "$TEST_USER2" stop --timeout=5 "$id" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent stop failed"; done
for id in "${ids[@]}"; do
    wait_finished root "$id" 60 || fail "job $id still runs after a concurrent stop"
    assert_eq stopped "$(job_field root "$id" result)"
done

# 3. systemd refuses KillUnit to everyone, jobworkerd included.
cat >"$POLICY" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
        "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy context="default">
    <deny send_destination="org.freedesktop.systemd1" send_interface="org.freedesktop.systemd1.Manager" send_member="KillUnit"/>
  </policy>
  <policy user="root">
    <deny send_destination="org.freedesktop.systemd1" send_interface="org.freedesktop.systemd1.Manager" send_member="KillUnit"/>
  </policy>
</busconfig>
XML
systemctl reload dbus
sleep 1
id="$(jctl "$TEST_USER1" start -- sleep 1000)"
# (busctl, not systemctl: as root systemctl talks to PID 1 past the bus.)
if busctl call org.freedesktop.systemd1 /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager \
        KillUnit ssi "jobworker-$id.scope" all 18 2>/dev/null; then
    fail "the test policy did not deny KillUnit"
fi
stop_call "$TEST_USER1" "$id" 2 2>&1 || info "stop answered with an error"
wait_finished root "$id" 60 || fail "job $id still $(job_field root "$id" state) 60 s after a stop whose KillUnit failed"
assert_eq stopped "$(job_field root "$id" result)"
assert_eq 9 "$(job_field root "$id" signal)" "signal when KillUnit is refused"

# A job stopped with a long timeout and then again with a short one ends too.
id="$(jctl "$TEST_USER1" start -- sleep 1000)"
stop_call "$TEST_USER1" "$id" 1000 2>&1 || info "stop answered with an error"
sleep 2
stop_call "$TEST_USER1" "$id" 1 2>&1 || info "second stop answered with an error"
wait_finished root "$id" 60 || fail "job $id still $(job_field root "$id" state) 60 s after the second stop"
assert_eq stopped "$(job_field root "$id" result)"
rm -f "$POLICY"; systemctl reload dbus
assert_no_failed_job_units
