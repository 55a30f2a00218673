#!/bin/bash
# Nobody reaches through --root what they could not reach themselves: a
# root the caller cannot read, a symlink to one, a relative path, a missing
# path, a file, another user's private directory are all refused with
# InvalidOption naming the path and why, before anything runs (no job is
# made); the same directory is accepted for whoever may read it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1" other="$TEST_USER2"
home="$(getent passwd "$u" | cut -d: -f6)"
mkdir -p /root/private
chmod 700 /root /root/private
mine="$(as_user "$u" mktemp -d "$home/jw67.XXXXXX")"        # 0700, the user's
link="$home/jw67-link-$RANDOM"
as_user "$u" ln -s /root/private "$link"
as_user "$u" touch "$mine/afile"
cleanup() { rm -rf "$mine" "$link"; }
trap cleanup EXIT

jobs_of() { jctl "$1" list --all --json | jq length; }

refused() {
    local user="$1" dir="$2" why="$3" before after err
    before="$(jobs_of "$user")"
    err="$(bus_error "$user" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' \
        1 4 116 114 117 101 0 0 1 RootDirectory s "$dir")"
    info "$user, RootDirectory=$dir: $err"
    assert_contains "$err" "org.jobworker1.Error.InvalidOption: " "RootDirectory=$dir as $user"
    assert_contains "$err" "$dir" "the refusal names the path"
    assert_contains "$err" "$why" "the refusal says why"
    after="$(jobs_of "$user")"
    assert_eq "$before" "$after" "jobs of $user after the refused start (nothing ran)"
}

refused "$u" /root/private "Permission denied"
refused "$u" /root "Permission denied"
refused "$u" "$link" "Permission denied"                  # a symlink to /root/private
refused "$u" "$home/no-such-dir-$RANDOM" "No such file or directory"
refused "$u" "$mine/afile" "Not a directory"
refused "$u" "jw67-relative" "absolute"
refused "$u" "$mine/../$(basename "$mine")" "normalized"
refused "$other" "$mine" "Permission denied"              # another user's 0700 directory
# The CLI says the same.
rc=0; out="$(jctl "$u" run --root=/root/private -- true 2>&1)" || rc=$?
assert_ne 0 "$rc" "jobworkerctl run --root=/root/private"
assert_contains "$out" "/root/private" "jobworkerctl names the path"

# The same paths are fine for whoever may read them.
as_user "$u" mkdir "$mine/bin"
cp /bin/busybox "$mine/bin/" && chown "$u" "$mine/bin/busybox"
out="$(jctl "$u" run --root="$mine" -- /bin/busybox echo ok)"
assert_eq ok "$out" "$u's own root"
out="$(jctl root run --root="$mine" -- /bin/busybox echo ok)"
assert_eq ok "$out" "root uses $u's root"
chmod 755 "$mine"
out="$(jctl "$other" run --root="$mine" -- /bin/busybox echo ok)"
assert_eq ok "$out" "$other uses $u's root once it is readable"
assert_eq "" "$(find "$mine" -user root)" "root-owned files in $u's root"
assert_no_failed_job_units
