#!/bin/bash
# Why a start failed is an errno a program can test (StartErrno), not words
# to search for; a client sees it as the owner, jobworkerctl uses it for 127
# ("not found") versus 126.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

# start_errno USER ID: the job's StartErrno property, read as USER.
start_errno() {
    bus "$1" --json=short get-property "$BUS_NAME" "/org/jobworker1/job/$2" org.jobworker1.Job StartErrno | jq -r .data
}

id="$(jctl "$TEST_USER1" start -- /nonexistent/cmd)"
jctl "$TEST_USER1" wait "$id" || true
assert_eq start-failed "$(job_field "$TEST_USER1" "$id" result)"
assert_eq 2 "$(start_errno "$TEST_USER1" "$id")" "StartErrno of a missing command (ENOENT)"
assert_eq 2 "$(job_field "$TEST_USER1" "$id" start_errno)" "status --json start_errno"

touch /tmp/not-executable; chmod 644 /tmp/not-executable
id="$(jctl "$TEST_USER1" start -- /tmp/not-executable)"
jctl "$TEST_USER1" wait "$id" || true
assert_eq 13 "$(start_errno "$TEST_USER1" "$id")" "StartErrno of a non-executable file (EACCES)"

# A job that ran has none, across a restart too.
id="$(jctl "$TEST_USER1" start -- true)"
jctl "$TEST_USER1" wait "$id"
systemctl restart jobworkerd
assert_eq 0 "$(start_errno "$TEST_USER1" "$id")" "StartErrno of a job that ran"
assert_eq null "$(job_field "$TEST_USER1" "$id" start_errno)"
