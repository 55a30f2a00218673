#!/bin/bash
# Each job has a kernel session keyring of its own (owned by its user, with
# the user keyring linked in, as pam_keyinit gives a login session): what
# one job adds to it (keyctl add user NAME DATA @s), no other job reads —
# neither another user's nor a later one of the same user.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

PROBE=/usr/libexec/jobworker/tests/keyring-probe
[[ -x "$PROBE" ]] || fail "$PROBE is not installed"
secret="jw41-$RANDOM$RANDOM"

# A job of user1 adds a key and reads it back (the probe works in a job).
out="$(run_capture "$TEST_USER1" "$PROBE add jw41-key $secret && $PROBE read jw41-key")"
assert_eq "$secret" "$out" "a job reads back the key it added"

# Another user's job, after that.
out="$(run_capture "$TEST_USER2" "$PROBE read jw41-key")"
assert_eq absent "$out" "$TEST_USER2's job looking for $TEST_USER1's key"

# A later job of the same user starts with a fresh keyring too.
out="$(run_capture "$TEST_USER1" "$PROBE read jw41-key")"
assert_eq absent "$out" "a later job of $TEST_USER1 looking for the first job's key"

# While the first one still runs: two jobs at once do not share either.
id="$(jctl "$TEST_USER1" start -- sh -c "$PROBE add jw41-live $secret && sleep 300")"
trap 'jctl root stop "$id" >/dev/null 2>&1 || true' EXIT
wait_until 60 bash -c "[[ \$(jobworkerctl status --json $id | jq -r .state) == running ]]" || fail "job $id does not run"
sleep 2
for u in "$TEST_USER1" "$TEST_USER2"; do
    out="$(run_capture "$u" "$PROBE read jw41-live")"
    assert_eq absent "$out" "$u's job looking for the key of running job $id"
done

# The keyring is the job user's, with the user keyring linked in.
check_session() {
    local u="$1" uid out
    uid="$(id -u "$u")"
    out="$(run_capture "$u" "$PROBE session; $PROBE user-linked")"
    info "$u: $out"
    mapfile -t l <<<"$out"
    IFS=';' read -r type owner _ <<<"${l[0]}"
    assert_eq keyring "$type" "type of $u's session keyring"
    assert_eq "$uid" "$owner" "owner of $u's job's session keyring"
    assert_eq linked "${l[1]}" "$u's user keyring in the job's session keyring"
}
for_each_user check_session
