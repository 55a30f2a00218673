#!/bin/bash
# --bind / --ro-bind (BindPaths / BindReadOnlyPaths): a host path the caller
# can read appears at DST, inside the root if there is one, else over the
# host view. Writes through --bind land as the caller; --ro-bind is
# read-only (recursively). A source the caller cannot read, a symlink to one,
# a relative or missing one is refused before anything runs; a bind over
# /run/jobworker cannot catch the root shim's status file. Nothing shows on
# the host's mount table.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1" other="$TEST_USER2"
home="$(getent passwd "$u" | cut -d: -f6)"
work="$(as_user "$u" mktemp -d "$home/jw68.XXXXXX")"
link="$home/jw68-link-$RANDOM"
cleanup() { rm -rf "$work" "$link"; }
trap cleanup EXIT
as_user "$u" mkdir "$work/root" "$work/data" "$work/ro" "$work/root/bin" "$work/root/mnt"
as_user "$u" mkdir "$work/ro/sub"
as_user "$u" cp /bin/busybox "$work/root/bin/busybox"
for a in sh cat echo touch stat ls grep; do as_user "$u" ln -s busybox "$work/root/bin/$a"; done
echo ro-content | as_user "$u" tee "$work/ro/sub/f" >/dev/null
mkdir -p /root/private && chmod 700 /root /root/private
as_user "$u" ln -s /root/private "$link"

# In a root: --bind at a new top-level name (made in our skeleton, not in
# the root), at an existing directory, and --ro-bind.
out="$(run_capture "$u" --root="$work/root" --bind="$work/data:/data" --bind="$work/data:/mnt" \
    --ro-bind="$work/ro:/ro" 'echo w >/data/new && stat -c "%u" /data/new
        cat /mnt/new
        cat /ro/sub/f
        touch /ro/x 2>&1 || echo ro
        touch /ro/sub/x 2>&1 || echo ro-sub
        ls / | tr "\n" " "; echo')"
info "$out"
mapfile -t l <<<"$out"
assert_eq "$(id -u "$u")" "${l[0]}" "owner of a file written through --bind"
assert_eq w "${l[1]}" "the same source bound twice"
assert_eq ro-content "${l[2]}" "reading through --ro-bind"
assert_contains "${l[3]}" "Read-only file system" "writing through --ro-bind"
assert_contains "${l[5]}" "Read-only file system" "writing below --ro-bind (recursive)"
assert_eq "bin data dev mnt proc ro " "${l[7]}" "the root's / with binds"
assert_eq "$(id -u "$u")" "$(stat -c %u "$work/data/new")" "the bound file on the host"
assert_eq "bin mnt" "$(ls "$work/root" | tr '\n' ' ' | sed 's/ $//')" "the root after the job (nothing made in it)"
assert_eq "" "$(find "$work" -user root)" "root-owned files in $work"

# A bind's source is looked up in the job's view of the host: in a root,
# /sys/fs/cgroup is the job's own cgroup there too (not the empty mount
# point of a bare sysfs), with the job's memory limit.
out="$(run_capture "$u" --root="$work/root" --memory=64M --ro-bind=/sys/fs/cgroup:/cg \
    'cat /cg/memory.max; ls /cg | grep -c "^cgroup\."')"
info "$out"
mapfile -t l <<<"$out"
assert_eq 67108864 "${l[0]}" "memory.max of /sys/fs/cgroup bound into a root"
(( ${l[1]} >= 3 )) || fail "/sys/fs/cgroup bound into a root holds ${l[1]} cgroup.* files"

# Without a root: over the host view.
out="$(run_capture "$u" --ro-bind="$work/ro:$work/data" "cat $work/data/sub/f; touch $work/data/y 2>&1 || echo ro")"
info "$out"
mapfile -t l <<<"$out"
assert_eq ro-content "${l[0]}" "--ro-bind over the host view"
assert_contains "${l[1]}" "Read-only file system" "--ro-bind over the host view is read-only"
[[ ! -e "$work/data/y" ]] || fail "a write through --ro-bind reached the host"

# The job's status file is written by the root shim outside the job's
# mounts: a bind of the caller's directory over /run/jobworker/jobs cannot
# catch it (the job ends normally, nothing lands in the directory).
# (Where the user cannot reach /run/jobworker/jobs, the start fails instead:
# the destination is looked up as the caller too.)
rc=0; out="$(jctl "$u" run --bind="$work/data:/run/jobworker/jobs" -- true 2>&1)" || rc=$?
info "bind over /run/jobworker/jobs: rc=$rc $out"
assert_eq "" "$(find "$work/data" -name '*.status')" "status files in the bound directory"

# Refusals, naming the source and why, and no job made.
refused() {
    local user="$1" src="$2" why="$3" err before
    before="$(jctl "$user" list --all --json | jq length)"
    err="$(bus_error "$user" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' \
        1 4 116 114 117 101 0 0 1 BindPaths 'a(ssbt)' 1 "$src" /x false 0)"
    info "$user, BindPaths=$src: $err"
    assert_contains "$err" "org.jobworker1.Error.InvalidOption: " "BindPaths=$src as $user"
    assert_contains "$err" "$src" "the refusal names the source"
    assert_contains "$err" "$why" "the refusal says why"
    assert_eq "$before" "$(jctl "$user" list --all --json | jq length)" "jobs of $user after the refusal"
}
refused "$u" /root/private "Permission denied"
refused "$u" "$link" "Permission denied"                 # a symlink to an unreadable directory
refused "$u" "$home/jw68-missing-$RANDOM" "No such file or directory"
refused "$u" relative "absolute"
refused "$other" "$work/data" "Permission denied"        # another user's 0700 directory
err="$(bus_error "$u" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' \
    1 4 116 114 117 101 0 0 1 BindPaths 'a(ssbt)' 1 /tmp /x false 1)"
assert_contains "$err" "only MS_REC" "unknown bind flags"
err="$(bus_error "$u" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' \
    1 4 116 114 117 101 0 0 1 BindPaths s /tmp)"
assert_contains "$err" "a(ssbt)" "BindPaths of the wrong type"
# ignore-missing: a missing source is skipped, the job runs.
out="$(bus "$u" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' \
    1 4 116 114 117 101 0 0 1 BindPaths 'a(ssbt)' 1 "$home/jw68-missing" /x true 0)"
assert_contains "$out" "/org/jobworker1/job/" "an ignore-missing bind of a missing source"

# The Job properties and status show the binds.
id="$(jctl "$u" start --root="$work/root" --bind="$work/data:/data" --ro-bind="$work/ro:/ro" -- /bin/busybox true)"
jctl "$u" wait "$id"
assert_eq "a(ssbt) 1 \"$work/data\" \"/data\" false 16384" \
    "$(bus "$u" get-property "$BUS_NAME" "$BUS_PATH/job/$id" org.jobworker1.Job BindPaths)" "BindPaths property"
assert_eq "a(ssbt) 1 \"$work/ro\" \"/ro\" false 16384" \
    "$(bus "$u" get-property "$BUS_NAME" "$BUS_PATH/job/$id" org.jobworker1.Job BindReadOnlyPaths)" "BindReadOnlyPaths property"
assert_eq "$work/ro:/ro:ro" "$(job_field "$u" "$id" 'binds[1] | "\(.source):\(.destination):\(if .read_only then "ro" else "rw" end)"')" \
    "status --json binds"
assert_contains "$(jctl "$u" status "$id")" "bind $work/data:/data" "status shows the binds"
assert_eq "" "$(findmnt -rn -o TARGET,SOURCE | grep jw68 || true)" "the job's mounts on the host"
assert_no_failed_job_units
