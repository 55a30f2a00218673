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

# shim_pid ID: the pid of job ID's shim, the process of its scope that is
# in one PID namespace only (init and the command are also in the job's).
shim_pid() {
    local p
    for p in $(cat "$(job_cgroup "$1")/cgroup.procs"); do
        if [[ "$(grep -c . <<<"$(grep '^NSpid:' "/proc/$p/status" | tr -s '\t ' '\n' | tail -n +2)")" == 1 ]]; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# freeze_polkitd / thaw_polkitd: polkitd stopped (SIGSTOP), as slow as a
# server that never answers, and going again. Sets POLKIT_PID.
POLKIT=polkit.service
freeze_polkitd() {
    systemctl is-active -q "$POLKIT" || systemctl start "$POLKIT"
    info "freezing polkitd"
    systemctl kill -s STOP "$POLKIT"
    POLKIT_PID="$(systemctl show -P MainPID "$POLKIT")"
    wait_until 10 bash -c "[[ \$(ps -o stat= -p $POLKIT_PID) == T* ]]" || fail "polkitd ($POLKIT_PID) did not stop"
}
thaw_polkitd() { systemctl kill -s CONT "$POLKIT" 2>/dev/null || true; }

# fuse_hang_mount DIR LOG: mounts tests/vm/fuse-hang on DIR, a file system
# whose server never answers (a hung NFS server, FUSE daemon, automount);
# sets FUSE_PID (kill it to end the hang: waiters get ENOTCONN). Its output
# goes to LOG.
FUSE_HANG=/usr/libexec/jobworker/tests/fuse-hang
FUSE_PID=""
fuse_hang_mount() {
    local dir="$1" log="$2"
    [[ -x "$FUSE_HANG" ]] || fail "$FUSE_HANG missing: configure the build with -Dinstall_tests=true"
    mkdir -p "$dir"
    modprobe fuse 2>/dev/null || true
    "$FUSE_HANG" "$dir" >"$log" 2>&1 &
    FUSE_PID=$!
    wait_until 20 grep -q ready "$log" || fail "fuse-hang did not mount: $(cat "$log")"
}

# checks_of USER: pids of the caller checks that run as USER (copies of the
# daemon that took the caller's uid); has_checks / has_no_checks USER for
# wait_until.
checks_of() { pgrep -u "$1" -x jobworkerd || true; }
has_checks() { [[ -n "$(checks_of "$1")" ]]; }
has_no_checks() { [[ -z "$(checks_of "$1")" ]]; }

# timed_as USER SECONDS CMD...: CMD as USER, killed after SECONDS.
timed_as() {
    local user="$1" secs="$2"; shift 2
    (cd / && timeout -s KILL "$secs" runuser -u "$user" -- "$@")
}

# Bridged networking (tests 70-74).
# host_veths: the host ends of job veths (jw<id>) on the host, one a line.
host_veths() { ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^jw[0-9a-f]{12}$' || true; }
# leases_of NETWORK: the addresses leased on NETWORK, one a line.
leases_of() { ls "/run/jobworker/leases/$1" 2>/dev/null || true; }
# For wait_until, which runs its command again (a "$(...)" in its arguments
# is expanded once, by the caller): no veth of a job left on the host, no
# lease left on NETWORK, the job's State.
no_host_veths() { [[ -z "$(host_veths)" ]]; }
no_leases() { [[ -z "$(leases_of "$1")" ]]; }
job_state_is() { [[ "$(job_field "$1" "$2" state)" == "$3" ]]; }
# start_job_error USER OPTIONS...: StartJob of "true" over busctl, with the
# a{sv} given as busctl arguments (COUNT KEY TYPE VALUE...), must fail;
# prints "ERROR.NAME: message" (bus_error).
start_job_error() {
    local user="$1"; shift
    bus_error "$user" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob "aayaayaya{sv}" \
        1 4 116 114 117 101 0 0 "$@"
}
# PING: Debian's ping carries file capabilities (cap_net_raw), which the
# kernel refuses to exec with a job's empty bounding set (EPERM); a copy
# without them pings through an unprivileged ICMP socket
# (net.ipv4.ping_group_range), as a job can.
PING=/usr/local/bin/jw-test-ping
install_test_ping() { install -m 755 "$(command -v ping)" "$PING"; }
