#!/bin/bash
# Whose is it? A job's audit login uid is its owner's (so audit and
# loginctl attribute it), and the output the root shim writes for it cannot
# pass for a system program's: a job whose command is named "sudo" does not
# put root-sent "sudo" lines into the system journal. The identifier is
# jobworker-<id>, the command goes in JOB_COMMAND.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

check_loginuid() {
    local u="$1" out
    out="$(run_capture "$u" 'cat /proc/self/loginuid; echo; cat /proc/1/loginuid; echo')"
    assert_eq "$(id -u "$u")"$'\n'"$(id -u "$u")" "$out" "loginuid of $u's job and of its init"
}
for_each_user check_loginuid

dir="$(mktemp -d /tmp/jw43.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
ln -s /bin/echo "$dir/sudo"
line="jw43: session opened for user root by (uid=0) $RANDOM"
since="$(date +%s)"
id="$(jctl "$TEST_USER1" start -- "$dir/sudo" "$line")"
jctl "$TEST_USER1" wait "$id"
assert_eq "$line" "$(jobworkerctl logs "$id")" "the job's output, read back"

json="$(journalctl -q -o json JOB_ID="$id" JOB_STREAM=stdout)"
[[ -n "$json" ]] || fail "no output entry of job $id"
assert_eq "jobworker-$id" "$(jq -r .SYSLOG_IDENTIFIER <<<"$json" | sort -u)" "SYSLOG_IDENTIFIER of the output"
assert_eq "$dir/sudo" "$(jq -r .JOB_COMMAND <<<"$json" | sort -u)" "JOB_COMMAND of the output"
# The end entry is the job's too.
assert_eq "jobworker-$id" "$(journalctl -q -o json JOB_ID="$id" JOB_STREAM=end | jq -r .SYSLOG_IDENTIFIER)" \
    "SYSLOG_IDENTIFIER of the end entry"
# Nothing root-sent under "sudo" carries the line: what `journalctl -t sudo` shows.
fake="$(journalctl -q -o cat -t sudo _UID=0 --since="@$since")"
[[ "$fake" != *"$line"* ]] || fail "the job's output appears as root's sudo: $fake"
