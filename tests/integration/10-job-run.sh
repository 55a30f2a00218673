#!/bin/bash
# run/start/status/list/wait/remove as root and as the test users; exit codes
# come back; a user neither sees nor touches another user's jobs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

check_user() {
    local u="$1" id rc json uid
    uid="$(id -u "$u")"

    jctl "$u" run -- true || fail "run true failed for $u"
    rc=0; jctl "$u" run -- sh -c 'exit 3' || rc=$?
    assert_eq 3 "$rc" "exit code of run for $u"

    id="$(jctl "$u" start -- sleep 30)"
    [[ "$id" =~ ^[0-9a-f]{12}$ ]] || fail "start printed '$id', not a job id"
    json="$(job_json "$u" "$id")"
    assert_eq running "$(jq -r .state <<<"$json")" "state of a sleeping job"
    assert_eq "jobworker-$id.scope" "$(jq -r .unit <<<"$json")" "unit"
    assert_eq "$uid" "$(jq -r .owner_uid <<<"$json")" "owner"
    assert_eq '["sleep","30"]' "$(jq -c .command <<<"$json")" "command"
    assert_eq active "$(unit_state "jobworker-$id.scope")" "scope state"
    assert_contains "$(systemctl status --no-pager "jobworker-$id.scope")" "jobworker-u$uid.slice"
    assert_contains "$(jctl "$u" list)" "$id"
    assert_contains "$(jctl "$u" list --json | jq -r '.[].id')" "$id"

    # Someone else's job is invisible and untouchable.
    local other="$TEST_USER2"
    [[ "$u" == "$TEST_USER2" ]] && other="$TEST_USER1"
    if [[ "$u" != root ]]; then
        [[ "$(jctl "$other" list --all)" != *"$id"* ]] || fail "$other sees $u's job"
        out="$(jctl "$other" stop "$id" 2>&1)" && fail "$other stopped $u's job"
        assert_contains "$out" "No job $id."
        out="$(busctl call org.jobworker1 /org/jobworker1 org.jobworker1.Manager GetJob s "$id" 2>&1)" \
            || fail "root cannot get $u's job: $out"
    fi

    jctl "$u" stop "$id"
    assert_eq stopped "$(job_field "$u" "$id" result)" "result after stop"
    assert_eq finished "$(job_field "$u" "$id" state)" "state after stop"
    rc=0; jctl "$u" wait "$id" || rc=$?
    assert_eq 143 "$rc" "wait on a job stopped by SIGTERM"
    [[ "$(jctl "$u" list)" != *"$id"* ]] || fail "finished job listed without --all"
    assert_contains "$(jctl "$u" list --all)" "$id"
    out="$(jctl "$u" stop "$id" 2>&1)" && fail "stopping a finished job succeeded"
    assert_contains "$out" "already finished"
    jctl "$u" remove "$id"
    out="$(jctl "$u" status "$id" 2>&1)" && fail "removed job still has a status"
    assert_contains "$out" "No job $id"
}
for_each_user check_user

# A job keeps working when its client is gone: start, then wait from another
# client process.
id="$(jctl "$TEST_USER1" start -- sh -c 'sleep 2; exit 5')"
rc=0; jctl "$TEST_USER1" wait "$id" || rc=$?
assert_eq 5 "$rc" "wait from a second client"
assert_eq exit-code "$(job_field "$TEST_USER1" "$id" result)"
assert_eq 5 "$(job_field "$TEST_USER1" "$id" exit_code)"

# Bad ids are refused with a clear error.
out="$(busctl call org.jobworker1 /org/jobworker1 org.jobworker1.Manager GetJob s 'nope/..' 2>&1)" \
    && fail "malformed id accepted"
assert_contains "$out" "not a job id"
out="$(busctl call org.jobworker1 /org/jobworker1 org.jobworker1.Manager GetJob s 0123456789ab 2>&1)" \
    && fail "unknown id accepted"
assert_contains "$out" "No job"
assert_no_failed_job_units
