#!/bin/bash
# Job records under /run/jobworker stay root's: the directories are 0700 and
# every file 0600 (<id>.job, its .tmp, the shim's <id>.status), also when
# the directory or a file was left with looser modes; other users read
# nothing there.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1" other="$TEST_USER2"
jobs=/run/jobworker/jobs
mode() { stat -c %a "$1"; }
owner() { stat -c %u:%g "$1"; }

# Someone (an older version, an admin's mistake) loosened the modes.
systemctl stop jobworkerd
mkdir -p "$jobs"
chmod 0755 /run/jobworker "$jobs"
id="$(jctl "$u" start -- sh -c 'sleep 6; echo secret-output')"
assert_eq 700 "$(mode /run/jobworker)" "mode of /run/jobworker"
assert_eq 700 "$(mode "$jobs")" "mode of $jobs (it existed as 0755)"
assert_eq 0:0 "$(owner "$jobs")" "owner of $jobs"
assert_eq 600 "$(mode "$jobs/$id.job")" "mode of $id.job"

info "another user reads nothing"
as_user "$other" ls "$jobs" >/dev/null 2>&1 && fail "$other can list $jobs"
as_user "$other" cat "$jobs/$id.job" >/dev/null 2>&1 && fail "$other can read $id.job"
as_user "$u" cat "$jobs/$id.job" >/dev/null 2>&1 && fail "even the owner reads the record directly"

info "a stale .tmp with loose modes does not leak into the record"
umask 022
printf 'junk\n' >"$jobs/$id.job.tmp"; chmod 0644 "$jobs/$id.job.tmp"
# The shim's status file appears when the command ends; stop the daemon so
# that it is not consumed at once.
systemctl stop jobworkerd
wait_until 90 test -e "$jobs/$id.status" || fail "no status file from the shim"
assert_eq 600 "$(mode "$jobs/$id.status")" "mode of $id.status"
chmod 0644 "$jobs/$id.job"
rc=0; jctl "$u" wait "$id" || rc=$?
assert_eq 0 "$rc" "exit status of the job"
assert_eq 600 "$(mode "$jobs/$id.job")" "mode of $id.job after the daemon rewrote it"
for f in "$jobs"/*; do
    [[ -d "$f" ]] && fail "unexpected directory $f"
    assert_eq 600 "$(mode "$f")" "mode of $f"
done
assert_eq 700 "$(mode "$jobs")" "mode of $jobs at the end"
assert_eq secret-output "$(jctl "$u" logs "$id")" "the job's output"
