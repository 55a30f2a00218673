#!/bin/bash
# Run as another user: root runs a job as nobody and as a uid without a
# passwd entry, and `id` inside shows it; HOME/USER/LOGNAME follow; the job
# stays root's (owner), and RunAs/status show whom it runs as. A user
# without privileged-options cannot use --user or --group, whatever the
# value, and nothing is started for them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1"
nobody_uid="$(id -u nobody)"
nobody_gid="$(id -g nobody)"
! getent passwd 4242 >/dev/null || fail "uid 4242 has a passwd entry in this image"

# As nobody, by name.
out="$(cd / && jobworkerctl run --user=nobody -- sh -c 'id; echo "HOME=$HOME USER=$USER LOGNAME=$LOGNAME"; pwd')"
info "as nobody: $out"
assert_contains "$out" "uid=$nobody_uid(nobody) gid=$nobody_gid"
assert_contains "$out" "USER=nobody LOGNAME=nobody"
assert_contains "$out" "HOME=$(getent passwd nobody | cut -d: -f6)"
id="$(jobworkerctl start --user=nobody -- sleep 1000)"
assert_eq "$nobody_uid" "$(job_field root "$id" run_as_uid)" "run_as_uid"
assert_eq nobody "$(job_field root "$id" run_as_user)" "run_as_user"
assert_eq 0 "$(job_field root "$id" owner_uid)" "the owner stays root"
assert_contains "$(jobworkerctl status "$id")" "Run as: nobody ($nobody_uid)"
assert_eq "u $nobody_uid" "$(busctl get-property org.jobworker1 "/org/jobworker1/job/$id" org.jobworker1.Job RunAs)"
# The command's process in the scope runs as nobody (the shim as root).
cg="/sys/fs/cgroup$(systemctl show -P ControlGroup "jobworker-$id.scope")"
sleep_pid() {
    local p
    for p in $(cat "$cg/cgroup.procs"); do
        [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == sleep ]] && { echo "$p"; return 0; }
    done
    return 1
}
wait_until 60 sleep_pid >/dev/null || fail "no sleep in $cg"
assert_eq "$nobody_uid" "$(stat -c %u "/proc/$(sleep_pid)")" "uid of the job's sleep"
jobworkerctl stop "$id" >/dev/null

# As a bare uid: no passwd entry, HOME=/, no supplementary groups, gid = uid.
out="$(jobworkerctl run --user=4242 -- sh -c 'id; echo "HOME=$HOME USER=$USER LOGNAME=$LOGNAME"; pwd')"
info "as 4242: $out"
assert_contains "$out" "uid=4242 gid=4242 groups=4242"
assert_contains "$out" "HOME=/ USER=4242 LOGNAME=4242"
id="$(jobworkerctl start --user=4242 --group=nogroup -- sleep 1000)"
assert_eq 4242 "$(job_field root "$id" run_as_uid)"
assert_eq "$(getent group nogroup | cut -d: -f3)" "$(job_field root "$id" run_as_gid)" "--group=nogroup"
assert_eq null "$(job_field root "$id" run_as_user)"
jobworkerctl stop "$id" >/dev/null

# Paths are checked as the user the job runs as, not as root.
if out="$(jobworkerctl run --user=nobody --workdir=/root -- true 2>&1)"; then fail "nobody entered /root"; fi
assert_contains "$out" "Permission denied"
assert_contains "$out" "nobody"
# A user that does not exist, a group that does not exist.
if out="$(jobworkerctl run --user=no-such-user-x -- true 2>&1)"; then fail "unknown user accepted"; fi
assert_contains "$out" "no-such-user-x"
if out="$(jobworkerctl run --user=nobody --group=no-such-group-x -- true 2>&1)"; then fail "unknown group accepted"; fi
assert_contains "$out" "no-such-group-x"

# A root and binds are checked, and opened, as the user the job runs as,
# not as root who asks: a directory only root can read is refused for
# nobody, naming it and nobody; one nobody can read works, as nobody.
priv="$(mktemp -d /root/run-as-root.XXXXXX)"
chmod 700 "$priv"
if out="$(jobworkerctl run --user=nobody --root="$priv" --host-system -- true 2>&1)"; then
    fail "nobody got a root only root can read: $out"
fi
assert_contains "$out" "RootDirectory $priv"
assert_contains "$out" "checked as user nobody"
if out="$(jobworkerctl run --user=nobody --bind="$priv:/mnt" -- true 2>&1)"; then
    fail "nobody got a bind of a directory only root can read: $out"
fi
assert_contains "$out" "BindPaths source $priv"
assert_contains "$out" "checked as user nobody"
open_root="$(mktemp -d /tmp/run-as-root.XXXXXX)"
chmod 755 "$open_root"
out="$(jobworkerctl run --user=nobody --root="$open_root" --host-system -- sh -c 'id -un; pwd')"
assert_eq "nobody
/" "$out" "a job run as nobody in a root nobody can read"
rm -rf "$priv" "$open_root"

# Alice cannot: AccessDenied naming the action, for every form; nothing runs.
before="$(jctl "$u" list --all --json | jq length)"
for opt in --user=nobody --user=root --user=0 "--user=$(id -u "$u")" --group=0 --group=root; do
    if out="$(jctl "$u" run "$opt" -- id 2>&1)"; then fail "$u ran a job with $opt: $out"; fi
    assert_contains "$out" "org.jobworker1.privileged-options" "$u with $opt"
done
ay() {
    local s="$1" i o="${#1}"
    for ((i = 0; i < ${#s}; i++)); do o+=" $(printf '%d' "'${s:i:1}")"; done
    echo "$o"
}
# shellcheck disable=SC2046
# Over the bus: refused with the action named. polkit's default for it is
# auth_admin_keep, so the answer is "authentication required" (a password
# would be asked for, had the caller an agent), never a job.
# shellcheck disable=SC2046
for extra in "" --allow-interactive-authorization=no; do
    err="$(bus_error "$u" $extra call org.jobworker1 /org/jobworker1 org.jobworker1.Manager StartJob -- \
        'aayaayaya{sv}' 1 $(ay id) 0 0 1 User s root)"
    case "${err%%: *}" in
        org.jobworker1.Error.AccessDenied|org.freedesktop.DBus.Error.InteractiveAuthorizationRequired) ;;
        *) fail "User=root as $u: $err" ;;
    esac
    assert_contains "$err" "org.jobworker1.privileged-options"
done
assert_eq "$before" "$(jctl "$u" list --all --json | jq length)" "jobs of $u after the refusals"
assert_no_failed_job_units
