#!/bin/bash
# 100 concurrent starts all succeed and are all reported correctly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

dir="$(mktemp -d)"
chmod 777 "$dir"
for i in $(seq 1 100); do
    user="$TEST_USER1"; ((i % 2)) && user="$TEST_USER2"
    (jctl "$user" start -- sh -c "exit $((i % 7))" >"$dir/$i.id" 2>"$dir/$i.err" || echo fail >"$dir/$i.failed") &
done
wait
failed=$(ls "$dir" | grep -c failed || true)
((failed == 0)) || fail "$failed of 100 concurrent starts failed: $(cat "$dir"/*.err | sort | uniq -c | head)"
for i in $(seq 1 100); do
    user="$TEST_USER1"; ((i % 2)) && user="$TEST_USER2"
    id="$(cat "$dir/$i.id")"
    rc=0; jctl "$user" wait "$id" || rc=$?
    assert_eq $((i % 7)) "$rc" "exit code of concurrent job $i ($id)"
done
assert_no_failed_job_units
