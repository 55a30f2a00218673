#!/bin/bash
# Helpers for the job tests (source after lib.sh).

# jctl USER ARGS...: jobworkerctl as USER ("root" runs it directly).
jctl() {
    local user="$1"; shift
    if [[ "$user" == root ]]; then
        jobworkerctl "$@"
    else
        as_user "$user" jobworkerctl "$@"
    fi
}

# job_json USER ID: the job's status --json.
job_json() { jctl "$1" status --json "$2"; }

# job_field USER ID FIELD: one field of status --json.
job_field() { job_json "$1" "$2" | jq -r ".$3"; }

# job_output ID: the job's stdout, byte for byte, read back through
# jobworkerd (jobworkerctl logs), up to the line "__END__" which the test's
# command prints last (cut off here).
job_output() {
    jobworkerctl logs "$1" | sed '/^__END__$/,$d'
}

# run_capture USER [OPTIONS...] SCRIPT: runs "sh -c SCRIPT" as a job of USER,
# waits for it and prints its output; the exit status is the job's.
run_capture() {
    local user="$1" script="${*: -1}" opts=("${@:2:$#-2}") id rc=0
    id="$(jctl "$user" start "${opts[@]}" -- sh -c "$script; rc=\$?; echo __END__; exit \$rc")"
    jctl "$user" wait "$id" || rc=$?
    job_output "$id"
    return "$rc"
}

# assert_no_failed_job_units: systemctl --failed holds none of our scopes.
assert_no_failed_job_units() {
    local failed
    failed="$(systemctl list-units --failed --no-legend --plain --type=scope 'jobworker-*.scope' || true)"
    if [[ -n "$failed" ]]; then
        fail "failed job units left behind: $failed"
    fi
}

# for_each_user FUNC: runs FUNC USER for root and both test users.
for_each_user() {
    local u
    for u in root "$TEST_USER1" "$TEST_USER2"; do
        info "as $u"
        "$1" "$u"
    done
}

# bus USER ARGS...: busctl ARGS as USER (root directly).
bus() {
    local user="$1"; shift
    if [[ "$user" == root ]]; then busctl "$@"; else as_user "$user" busctl "$@"; fi
}

# bus_error USER ARGS...: busctl ARGS as USER must fail; prints the D-Bus
# error as "NAME: MESSAGE". busctl itself prints only the message; sd-bus's
# debug log of the reply has the name.
bus_error() {
    local user="$1" out line; shift
    if out="$(SYSTEMD_LOG_LEVEL=debug bus "$user" "$@" 2>&1)"; then
        fail "busctl $* as $user succeeded: $(grep -v '^[A-Z][a-z]' <<<"$out" | tail -3)"
    fi
    line="$(grep -m1 '^Got message type=error' <<<"$out")" \
        || fail "busctl $* as $user failed without an error reply: $(tail -3 <<<"$out")"
    sed -e 's/.* error-name=\([^ ]*\) error-message=\(.*\)$/\1: \2/' <<<"$line"
}

# lose_job_removed / give_back_job_removed: a mandatory bus policy takes
# systemd's JobRemoved away from every receiver, as a lost signal would (PID 1
# reexecuting, a full queue), and gives it back. systemctl as root talks to
# PID 1 on its private socket, so it is not affected.
JOB_REMOVED_POLICY=/etc/dbus-1/system.d/zz-test-lose-job-removed.conf
lose_job_removed() {
    cat >"$JOB_REMOVED_POLICY" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
        "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy context="mandatory">
    <deny receive_interface="org.freedesktop.systemd1.Manager" receive_member="JobRemoved"/>
  </policy>
</busconfig>
XML
    systemctl reload dbus
}
give_back_job_removed() {
    rm -f "$JOB_REMOVED_POLICY"
    systemctl reload dbus
}

# job_cgroup ID [USER]: the cgroup directory of a job's scope, in its
# owner's slice jobworker-u<UID>.slice (USER names the owner; without it,
# systemd is asked, which works only while the scope exists).
job_cgroup() {
    if [[ $# -ge 2 ]]; then
        echo "/sys/fs/cgroup/jobworker.slice/jobworker-u$(id -u "$2").slice/jobworker-$1.scope"
    else
        echo "/sys/fs/cgroup$(systemctl show -P ControlGroup "jobworker-$1.scope")"
    fi
}

# restart_jobworkerd: systemctl restart, past the unit's start rate limit
# (tests that restart the daemon in their set-up and clean-up do it often).
restart_jobworkerd() {
    systemctl reset-failed jobworkerd.service 2>/dev/null || true
    systemctl restart jobworkerd.service
}
