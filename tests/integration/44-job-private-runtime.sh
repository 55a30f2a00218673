#!/bin/bash
# A job is kept from its user's session and from other jobs' shared memory:
# by default it sees an empty /run/user (so no session bus and no user
# manager socket, through which a client such as `systemd-run --user` would
# start processes outside the job's scope, limits and stop) and a
# /dev/shm of its own. UserRuntimeDirectory=true (--user-runtime-dir) brings
# /run/user/UID back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

uid="$(id -u "$TEST_USER1")"
rt="/run/user/$uid"
ids=()
cleanup() {
    local i
    for i in "${ids[@]}"; do jctl root stop "$i" >/dev/null 2>&1 || true; done
    loginctl disable-linger "$TEST_USER1" 2>/dev/null || true
}
trap cleanup EXIT

# The user's session: lingering starts user@UID.service with its runtime dir.
loginctl enable-linger "$TEST_USER1"
wait_until 120 test -S "$rt/systemd/private" || fail "$rt/systemd/private did not appear"
info "host $rt: $(ls -A "$rt" | tr '\n' ' ')"

probe='ls -A /run/user/'"$uid"' 2>/dev/null | tr "\n" " "; echo;
    if test -S /run/user/'"$uid"'/systemd/private; then echo manager-socket; else echo no-manager-socket; fi'

out="$(run_capture "$TEST_USER1" "$probe")"
info "default job: $out"
mapfile -t l <<<"$out"
assert_eq "" "${l[0]% }" "what a default job sees of $rt"
assert_eq no-manager-socket "${l[1]}" "the user manager's socket in a default job"

out="$(run_capture "$TEST_USER1" --user-runtime-dir "$probe")"
info "job with --user-runtime-dir: $out"
mapfile -t l <<<"$out"
assert_contains "${l[0]}" systemd "what a --user-runtime-dir job sees of $rt"
assert_eq manager-socket "${l[1]}" "the user manager's socket in a --user-runtime-dir job"

# The option is the job's property; bad values are refused.
id="$(jctl "$TEST_USER1" start --user-runtime-dir -- true)"
ids+=("$id")
assert_eq "b true" "$(bus "$TEST_USER1" get-property "$BUS_NAME" "$BUS_PATH/job/$id" org.jobworker1.Job UserRuntimeDirectory)" \
    "UserRuntimeDirectory of a --user-runtime-dir job"
id="$(jctl "$TEST_USER1" start -- true)"
ids+=("$id")
assert_eq "b false" "$(bus "$TEST_USER1" get-property "$BUS_NAME" "$BUS_PATH/job/$id" org.jobworker1.Job UserRuntimeDirectory)" \
    "UserRuntimeDirectory of a default job"
err="$(bus_error "$TEST_USER1" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' \
    1 4 116 114 117 101 0 0 1 UserRuntimeDirectory s yes)"
assert_contains "$err" "org.jobworker1.Error.InvalidArgument: " "UserRuntimeDirectory as a string"
assert_contains "$err" "UserRuntimeDirectory" "the error names the option"

# /dev/shm: a running job's file is seen by nobody else, not by the host,
# not by another job of the same or another user.
name="jw44-$RANDOM$RANDOM"
id="$(jctl "$TEST_USER1" start -- sh -c "echo x >/dev/shm/$name && ls /dev/shm && sleep 300")"
ids+=("$id")
wait_until 60 bash -c "journalctl -q -o cat JOB_ID=$id JOB_STREAM=stdout | grep -q $name" \
    || fail "job $id did not create /dev/shm/$name"
[[ ! -e "/dev/shm/$name" ]] || fail "the job's /dev/shm/$name is on the host"
for u in "$TEST_USER1" "$TEST_USER2"; do
    out="$(run_capture "$u" 'echo "shm: $(ls -A /dev/shm | tr "\n" " ")"; stat -c "%a %U" /dev/shm; echo y >/dev/shm/mine && cat /dev/shm/mine')"
    info "$u's job: $out"
    mapfile -t l <<<"$out"
    [[ "${l[0]}" != *"$name"* ]] || fail "$u's job sees job $id's /dev/shm/$name"
    assert_eq "1777 root" "${l[1]}" "mode of the job's /dev/shm"
    assert_eq y "${l[2]}" "$u's job writes its /dev/shm"
done
[[ ! -e /dev/shm/mine ]] || fail "a job's /dev/shm/mine is on the host"
