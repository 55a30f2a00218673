#!/bin/bash
# What a user hands a job (environment, working directory, uid, command) is
# nobody else's business: the root shim gets it over a sealed memfd, not on
# its command line, so another user finds none of it in /proc/*/cmdline, and
# the journal's _CMDLINE of the job's output entries (which members of adm
# and systemd-journal read) carries none of it either.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

secret="jw40-secret-$RANDOM$RANDOM"
mark="jw40-arg-$RANDOM$RANDOM"
id=""
cleanup() { [[ -z "$id" ]] || jctl root stop "$id" >/dev/null 2>&1 || true; }
trap cleanup EXIT

id="$(jctl "$TEST_USER1" start --env=JW40_SECRET="$secret" --workdir=/tmp -- \
    sh -c 'echo "output of $0"; sleep 300' "$mark")"
wait_until 60 bash -c "journalctl -q -o cat JOB_ID=$id JOB_STREAM=stdout | grep -q '^output of'" \
    || fail "no output of job $id in the journal"

shim="$(shim_pid "$id")" || fail "no shim in the scope of $id"
# The command line another user sees, NULs as newlines.
shim_cmdline="$(as_user "$TEST_USER2" cat "/proc/$shim/cmdline" | tr '\0' '\n')"
info "shim $shim: $(tr '\n' ' ' <<<"$shim_cmdline")"
mapfile -t words <<<"$shim_cmdline"
assert_eq 2 "${#words[@]}" "words on the shim's command line"
[[ "${words[0]}" == */jobworker-shim ]] || fail "shim's argv[0] is ${words[0]}"
assert_eq "$id" "${words[1]}" "the shim's only argument, the public job id"

# Every command line on the host, as the other user reads them: the
# secret is nowhere (this test's own processes hold it only in variables).
all="$(as_user "$TEST_USER2" bash -c 'for f in /proc/[0-9]*/cmdline; do tr "\0" " " <"$f" 2>/dev/null || true; echo; done')"
[[ "$all" != *"$secret"* ]] || fail "$TEST_USER2 reads the job's environment in /proc/*/cmdline: $(grep -F -- "$secret" <<<"$all" | head -3)"
# The job's own command line shows its argv (its own business), not the
# environment; the sanity check that we looked at the right processes.
[[ "$all" == *"$mark"* ]] || fail "the job's own command line was not found; the check above proves nothing"

# The journal: _CMDLINE of the shim's entries.
json="$(journalctl -q -o json JOB_ID="$id" JOB_STREAM=stdout)"
cmdlines="$(jq -r '._CMDLINE // empty' <<<"$json" | sort -u)"
info "_CMDLINE of the output entries: $cmdlines"
[[ -n "$cmdlines" ]] || fail "the output entries carry no _CMDLINE; nothing checked"
[[ "$json" != *"$secret"* ]] || fail "the job's environment is in its journal entries: $cmdlines"
[[ "$cmdlines" != *"$mark"* && "$cmdlines" != *"/tmp"* ]] || fail "the job's spec is in _CMDLINE: $cmdlines"

# And the job still got all of it.
jctl "$TEST_USER1" stop "$id" >/dev/null
out="$(run_capture "$TEST_USER1" --env=JW40_SECRET="$secret" --workdir=/tmp 'echo "$JW40_SECRET"; pwd; echo "$0"')"
assert_eq "$secret"$'\n/tmp\nsh' "$out" "environment, directory and command reach the job"
