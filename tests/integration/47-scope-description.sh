#!/bin/bash
# Unit metadata is public (systemctl show works for every user): a job's
# scope says which job it is and nothing of its command line or owner.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

id="$(jctl "$TEST_USER1" start -- sh -c 'exec sleep 1000' secret-argument-xyzzy)"
uid="$(id -u "$TEST_USER1")"
desc="$(as_user "$TEST_USER2" systemctl show -P Description "jobworker-$id.scope")"
info "Description: $desc"
assert_eq "jobworker job $id" "$desc" "scope description"
[[ "$desc" != *xyzzy* && "$desc" != *sleep* && "$desc" != *sh* ]] || fail "the description shows the command line: $desc"
[[ "$desc" != *"$uid"* ]] || fail "the description shows the owner's uid: $desc"
assert_eq active "$(unit_state "jobworker-$id.scope")" "the job's scope (still running?)"
jctl "$TEST_USER1" stop "$id"
