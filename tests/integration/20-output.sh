#!/bin/bash
# Job output comes back byte for byte, stdout and stderr apart, through
# jobworkerctl logs / run, and is visible to journalctl and systemctl status.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1"
finished_id=f59ba56433e645aa8059e6d3f694ce8a

# check_exact NAME GENERATOR: the job's stdout equals the generator's output.
check_exact() {
    local name="$1" gen="$2" id want got
    id="$(jctl "$u" start -- sh -c "$gen")"
    jctl "$u" wait "$id" || fail "$name: job failed"
    want="$(sh -c "$gen" | sha256sum)"
    got="$(jctl "$u" logs --stdout "$id" | sha256sum)"
    assert_eq "$want" "$got" "$name: bytes read back (sha256)"
    info "$name: ok ($(sh -c "$gen" | wc -c) bytes)"
}
check_exact "empty lines" "printf 'a\n\n\nb\n\n'"
check_exact "no final newline" "printf 'abc'"
check_exact "NUL, invalid UTF-8 and CR" "printf 'a\000b\377\376\r\nc\r\r\000'"
check_exact "a 1 MiB line" "head -c 1048576 /dev/zero | tr '\000' x"
check_exact "writes to a reopened /dev/stdout" "echo one >/dev/stdout; echo two >/proc/self/fd/1"
check_exact "long lines with NULs" "head -c 300000 /dev/zero; printf '\n'; head -c 100000 /dev/zero"

# stdout and stderr stay apart.
id="$(jctl "$u" start -- sh -c 'echo out1; echo err1 >&2; echo out2; echo err2 >&2')"
jctl "$u" wait "$id"
# A finished job says how many bytes each stream holds (a follower that has
# them all stops at once): 10 and 10 here; unknown while it runs.
assert_eq "t 10" "$(bus "$u" get-property org.jobworker1 "/org/jobworker1/job/$id" org.jobworker1.Job StdoutBytes)" \
    "StdoutBytes of a finished job"
assert_eq "t 10" "$(bus "$u" get-property org.jobworker1 "/org/jobworker1/job/$id" org.jobworker1.Job StderrBytes)" \
    "StderrBytes of a finished job"
id2="$(jctl "$u" start -- sleep 60)"
assert_eq "t 18446744073709551615" \
    "$(bus "$u" get-property org.jobworker1 "/org/jobworker1/job/$id2" org.jobworker1.Job StdoutBytes)" \
    "StdoutBytes of a running job"
jctl "$u" stop "$id2"
assert_eq $'out1\nout2' "$(jctl "$u" logs --stdout "$id")" "stdout alone"
assert_eq $'err1\nerr2' "$(jctl "$u" logs --stderr "$id" 2>&1)" "stderr alone"
assert_eq $'out1\nout2' "$(jctl "$u" logs "$id" 2>/dev/null)" "logs writes stdout to stdout"
assert_eq $'err1\nerr2' "$(jctl "$u" logs "$id" 2>&1 >/dev/null)" "logs writes stderr to stderr"
# journalctl -u shows both, stderr at priority err.
wait_until 30 bash -c "journalctl -u jobworker-$id.scope -o cat | grep -q err2" || fail "journalctl -u misses output"
assert_contains "$(journalctl -u "jobworker-$id.scope" -o cat)" "out2"
errs="$(journalctl -u "jobworker-$id.scope" -p err -o cat JOB_ID="$id")"
assert_contains "$errs" "err1"
[[ "$errs" != *out1* ]] || fail "stdout logged at priority err"

# The end is recorded as a structured entry with its own MESSAGE_ID.
id="$(jctl "$u" start -- sh -c 'exit 3')"
jctl "$u" wait "$id" || true
wait_until 30 bash -c "journalctl MESSAGE_ID=$finished_id JOB_ID=$id -o json | grep -q JOB_RESULT" \
    || fail "no finish record for $id"
rec="$(journalctl MESSAGE_ID=$finished_id JOB_ID="$id" -o json | tail -1)"
assert_eq exit-code "$(jq -r .JOB_RESULT <<<"$rec")" "JOB_RESULT"
assert_eq 3 "$(jq -r .JOB_EXIT_CODE <<<"$rec")" "JOB_EXIT_CODE"
assert_contains "$(journalctl -u "jobworker-$id.scope" -o cat)" "finished: exit-code"

# systemctl status of a running job shows its output.
id="$(jctl "$u" start -- sh -c 'echo visible-in-status; sleep 60')"
wait_until 30 bash -c "systemctl status --no-pager -n 20 jobworker-$id.scope | grep -q visible-in-status" \
    || fail "systemctl status does not show the job's output"
jctl "$u" stop "$id"

# run streams the output live, stdout to stdout and stderr to stderr.
out="$(jctl "$u" run -- sh -c 'echo hello; echo oops >&2; exit 4' 2>/tmp/run.err)" && fail "run returned 0"
assert_eq hello "$out" "run's stdout"
assert_contains "$(cat /tmp/run.err)" "oops"

# logs -f follows until the job ends, then exits.
id="$(jctl "$u" start -- sh -c 'for i in 1 2 3 4 5; do echo $i; sleep 1; done')"
assert_eq "$(seq 1 5)" "$(timeout 120 jobworkerctl logs -f "$id")" "logs -f"

# Only the owner (or root) reads a job's output.
out="$(jctl "$TEST_USER2" logs "$id" 2>&1)" && fail "$TEST_USER2 read $u's output"
assert_contains "$out" "No job $id."
