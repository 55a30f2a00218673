#!/bin/bash
# Nobody forges another job's output: nobody, a system account and another
# user inject chunks carrying a running job's JOB_ID/JOB_STREAM/JOB_OFFSET
# and forged end markers (the shim's and the daemon's MESSAGE_ID) with
# `logger --journald`, while its owner follows it. The follower must get the
# job's bytes exactly and must not end early; so must a later plain read.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1"
dir="$(mktemp -d -p /var/tmp)"; chmod 777 "$dir"

# inject USER FIELDS...: one native journal entry from USER, fields as given.
inject() {
    local user="$1"; shift
    printf '%s\n' "$@" | runuser -u "$user" -- logger --journald
}

# The job prints "first", then waits until the attack is over, then the rest.
id="$(jctl "$u" start -- sh -c "echo first; while [ ! -e $dir/go ]; do sleep 0.2; done; echo second; printf 'third\\n' >&2")"
as_user "$u" sh -c "jobworkerctl logs -f $id >$dir/out 2>$dir/err" &
follower=$!
wait_until 60 grep -q '^first$' "$dir/out" || fail "the follower never saw the job's first line"

for attacker in nobody daemon "$TEST_USER2"; do
    info "$attacker injects into job $id"
    # A chunk right where the stream stands, one past a gap, bogus offsets.
    inject "$attacker" "MESSAGE=EVIL-$attacker-at-6" "JOB_ID=$id" JOB_STREAM=stdout JOB_OFFSET=6
    inject "$attacker" "MESSAGE=EVIL-$attacker-at-1000" "JOB_ID=$id" JOB_STREAM=stdout JOB_OFFSET=1000
    inject "$attacker" "MESSAGE=EVIL-$attacker-neg" "JOB_ID=$id" JOB_STREAM=stderr JOB_OFFSET=-1
    inject "$attacker" "MESSAGE=EVIL-$attacker-wrap" "JOB_ID=$id" JOB_STREAM=stderr JOB_OFFSET=18446744073709551615
    inject "$attacker" "MESSAGE=EVIL-$attacker-stderr" "JOB_ID=$id" JOB_STREAM=stderr JOB_OFFSET=0
    # The shim's end marker and the daemon's finish record, forged.
    inject "$attacker" "MESSAGE=Output of job $id ended" MESSAGE_ID=4df766e51f884c879fc0cf4712505332 \
        "JOB_ID=$id" JOB_STREAM=end JOB_STDOUT_BYTES=6 JOB_STDERR_BYTES=0
    inject "$attacker" "MESSAGE=Job $id finished" MESSAGE_ID=f59ba56433e645aa8059e6d3f694ce8a \
        "JOB_ID=$id" JOB_RESULT=success JOB_EXIT_CODE=0 JOB_EXIT_SIGNAL=0
done
# Even a job of root's (uid 0, but no capabilities to fake its credentials,
# in a PID namespace of its own) is not the victim's shim.
info "a job of root's injects into job $id"
rootjob="$(jctl root start -- sh -c "
    printf 'MESSAGE=EVIL-rootjob\nJOB_ID=$id\nJOB_STREAM=stdout\nJOB_OFFSET=6\n' | logger --journald
    printf 'MESSAGE=x\nMESSAGE_ID=4df766e51f884c879fc0cf4712505332\nJOB_ID=$id\nJOB_STREAM=end\n' | logger --journald
    printf 'MESSAGE=x\nMESSAGE_ID=f59ba56433e645aa8059e6d3f694ce8a\nJOB_ID=$id\n' | logger --journald")"
jctl root wait "$rootjob"
# Make sure journald has stored them (the attack really happened).
journalctl --sync
n="$(journalctl -o cat "JOB_ID=$id" _UID="$(id -u nobody)" | grep -c EVIL || true)"
((n >= 5)) || fail "nobody's forged entries did not reach the journal ($n)"
n="$(journalctl -o cat "JOB_ID=$id" _UID=0 | grep -c EVIL-rootjob || true)"
((n >= 1)) || fail "the root job's forged entry did not reach the journal"

sleep 3
kill -0 "$follower" 2>/dev/null || fail "the follower ended early (forged end marker): $(od -c "$dir/out" | sed -n 1,4p)"
assert_eq running "$(job_field "$u" "$id" state)" "the job still runs"
touch "$dir/go"

wait "$follower" || fail "logs -f failed: $(cat "$dir/err")"
assert_eq "$(printf 'first\nsecond\n' | od -c)" "$(od -c <"$dir/out")" "stdout followed, byte for byte"
assert_eq "$(printf 'third\n' | od -c)" "$(od -c <"$dir/err")" "stderr followed, byte for byte"

# A plain read after the end, and one resumed at an offset, see the same.
assert_eq "$(printf 'first\nsecond\n' | od -c)" "$(jctl "$u" logs "$id" 2>/dev/null | od -c)" "stdout read after the end"
assert_eq "$(printf 'third\n' | od -c)" "$(jctl "$u" logs "$id" 2>&1 >/dev/null | od -c)" "stderr read after the end"

# A forged end marker for a job that has not printed yet, before the
# follower attaches, does not end it either.
id="$(jctl "$u" start -- sh -c 'sleep 8; echo late')"
inject nobody "MESSAGE=x" MESSAGE_ID=4df766e51f884c879fc0cf4712505332 "JOB_ID=$id" JOB_STREAM=end
inject nobody "MESSAGE=x" MESSAGE_ID=f59ba56433e645aa8059e6d3f694ce8a "JOB_ID=$id"
inject nobody "MESSAGE=early" "JOB_ID=$id" JOB_STREAM=stdout JOB_OFFSET=0
assert_eq late "$(jctl "$u" logs -f "$id")" "follower of a job with forged entries ahead of its output"

# Across a daemon restart the shim is no longer the daemon's child: its
# output is still accepted, forged entries still not.
id="$(jctl "$u" start -- sh -c 'sleep 6; echo after-restart')"
systemctl restart jobworkerd
inject nobody "MESSAGE=EVIL" "JOB_ID=$id" JOB_STREAM=stdout JOB_OFFSET=0
inject nobody "MESSAGE=x" MESSAGE_ID=4df766e51f884c879fc0cf4712505332 "JOB_ID=$id" JOB_STREAM=end
assert_eq after-restart "$(jctl "$u" logs -f "$id")" "follower across a daemon restart"
