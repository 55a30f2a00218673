#!/bin/bash
# start -t and attach: a client attached to a running terminal job sees its
# output and types into it, leaves it running with the escape, and exits
# with its status when it ends; one client at a time (a second one gets a
# clear error); only the owner or an admin attaches (another user's job
# does not exist for them); a job without a terminal says so; attach needs
# a local bus.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U="$TEST_USER1"
OTHER="$TEST_USER2"
T="$(mktemp -d)"
chmod 0777 "$T"
trap 'rm -rf "$T"' EXIT

# in_pty USER COMMAND: as in 78-run-pty.sh.
in_pty() {
    local user="$1" cmd="$2" rc=0 f
    f="$(mktemp -p "$T")"
    as_user "$user" script -qec "$cmd" /dev/null >"$f" 2>&1 || rc=$?
    tr -d '\r' <"$f"
    return "$rc"
}

info "start -t runs the job at once, without a client"
id="$(jctl "$U" start -t -- sh -c 'i=0; while [ $i -lt 600 ]; do echo tick-$i; i=$((i+1)); sleep 1; done')"
wait_until 30 bash -c "jobworkerctl logs $id | grep -q tick-2" || fail "a start -t job did not run: $(jobworkerctl logs "$id")"

info "attach sees its output; the escape leaves it running"
rc=0
out="$( { sleep 8; printf '\035\035\035'; sleep 4; } | in_pty "$U" "jobworkerctl attach $id")" || rc=$?
assert_eq 0 "$rc" "attach left with the escape"
grep -q 'tick-[0-9]' <<<"$out" || fail "attach showed none of the job's output: $out"
assert_contains "$out" "Detached from job $id"
assert_eq running "$(job_field "$U" "$id" state)"

info "another user cannot attach: the job does not exist for them"
rc=0
out="$(in_pty "$OTHER" "jobworkerctl attach $id" </dev/null)" || rc=$?
assert_ne 0 "$rc" "$OTHER attached to $U's job"
assert_contains "$out" "No job $id"
got="$(bus_error "$OTHER" call "$BUS_NAME" "/org/jobworker1/job/$id" org.jobworker1.Job AttachTerminal)"
assert_eq org.freedesktop.DBus.Error.UnknownObject "${got%%: *}" "AttachTerminal of $U's job as $OTHER ($got)"

info "root (an admin) may attach"
rc=0
out="$( { sleep 8; printf '\035\035\035'; sleep 4; } | in_pty root "jobworkerctl attach $id")" || rc=$?
assert_eq 0 "$rc" "root attached and left"
grep -q 'tick-[0-9]' <<<"$out" || fail "root's attach showed no output: $out"
jctl "$U" stop "$id"

info "typing into an attached sh -i; its exit status is attach's"
id="$(jctl "$U" start -t -- sh -i)"
rc=0
out="$( { sleep 8; printf 'echo attached-$((5+5))\r'; sleep 3; printf '\035\035\035'; sleep 4; } |
        in_pty "$U" "jobworkerctl attach $id")" || rc=$?
assert_eq 0 "$rc" "first attach"
assert_contains "$out" "attached-10"

info "one client at a time: a second one is refused while the first is attached"
{ sleep 30; printf '\035\035\035'; sleep 5; } | in_pty "$U" "jobworkerctl attach $id" >"$T/first" &
first=$!
sleep 10
rc=0
out="$(in_pty "$U" "jobworkerctl attach $id" </dev/null)" || rc=$?
assert_eq 1 "$rc" "second attach"
assert_contains "$out" "already has a terminal client attached"
wait "$first" || fail "the first client did not leave cleanly: $(cat "$T/first")"
assert_contains "$(cat "$T/first")" "Detached from job $id"

info "attach again after the first left; the job's end ends attach with its status"
rc=0
out="$( { sleep 8; printf 'echo again\r'; sleep 2; printf 'exit 9\r'; sleep 10; } |
        in_pty "$U" "jobworkerctl attach $id")" || rc=$?
assert_eq 9 "$rc" "attach's exit status when the job exits 9"
assert_contains "$out" "again"
assert_eq finished "$(job_field "$U" "$id" state)"
assert_contains "$(jctl "$U" logs "$id" | tr -d '\r')" "attached-10"

info "attach to a finished job, to a job without a terminal"
rc=0
out="$(in_pty "$U" "jobworkerctl attach $id" </dev/null)" || rc=$?
assert_eq 1 "$rc" "attach to a finished job"
assert_contains "$out" "already finished"
plain="$(jctl "$U" start -- sleep 60)"
rc=0
out="$(in_pty "$U" "jobworkerctl attach $plain" </dev/null)" || rc=$?
assert_eq 1 "$rc" "attach to a job without -t"
assert_contains "$out" "has no terminal"
jctl "$U" stop "$plain"

info "attach needs a local bus"
rc=0
out="$(jobworkerctl -H "$U@localhost" attach "$plain" 2>&1)" || rc=$?
assert_eq 1 "$rc" "attach over -H"
assert_contains "$out" "needs a local bus"

assert_no_failed_job_units
