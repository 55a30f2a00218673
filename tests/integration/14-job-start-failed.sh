#!/bin/bash
# A command that cannot run ends as start-failed with the reason.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

rc=0; out="$(jctl "$TEST_USER1" run -- /nonexistent/cmd 2>&1)" || rc=$?
assert_eq 127 "$rc" "run of a missing command"
assert_contains "$out" "No such file or directory"
id="$(jctl "$TEST_USER1" start -- /nonexistent/cmd)"
jctl "$TEST_USER1" wait "$id" || true
assert_eq start-failed "$(job_field "$TEST_USER1" "$id" result)"

touch /tmp/not-executable; chmod 644 /tmp/not-executable
rc=0; out="$(jctl "$TEST_USER1" run -- /tmp/not-executable 2>&1)" || rc=$?
assert_eq 126 "$rc" "run of a non-executable file"
assert_contains "$out" "Permission denied"

# The working directory is checked as the caller, not as root.
mkdir -p /root/private && chmod 700 /root
rc=0; out="$(jctl "$TEST_USER1" run --workdir=/root/private -- true 2>&1)" || rc=$?
((rc != 0)) || fail "a job entered /root/private as $TEST_USER1"
assert_contains "$out" "/root/private"
jctl root run --workdir=/root/private -- true || fail "root cannot use /root/private"

# Bad input at the D-Bus level.
out="$(busctl call org.jobworker1 /org/jobworker1 org.jobworker1.Manager StartJob 'aayaayaya{sv}' 0 0 0 0 2>&1)" \
    && fail "empty argv accepted"
assert_contains "$out" "empty"
out="$(busctl call org.jobworker1 /org/jobworker1 org.jobworker1.Manager StartJob 'aayaayaya{sv}' \
        1 4 0x74 0x72 0x75 0x65 0 0 1 Bogus t 1 2>&1)" && fail "unknown option accepted"
assert_contains "$out" "Bogus"
out="$(busctl call org.jobworker1 /org/jobworker1 org.jobworker1.Manager StartJob 'aayaayaya{sv}' \
        1 4 0x74 0x72 0x75 0x65 0 0 1 MemoryMax s 64M 2>&1)" && fail "wrong option type accepted"
assert_contains "$out" "MemoryMax"
assert_no_failed_job_units
