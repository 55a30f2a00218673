#!/bin/bash
# 20 concurrent bridged starts (two users, ten each) get 20 distinct
# addresses, each job sees its own; afterwards no veth is left on the host
# and no lease in /run/jobworker.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u1="$TEST_USER1" u2="$TEST_USER2"
tmp="$(mktemp -d)"
cleanup() {
    for f in "$tmp"/id.*; do [[ -s "$f" ]] && jobworkerctl stop "$(cat "$f")" >/dev/null 2>&1 || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
chmod 755 "$tmp"

for i in $(seq 1 20); do
    u="$u1"; ((i % 2)) || u="$u2"
    (jctl "$u" start --network=bridge -- sh -c 'ip -o -4 addr show dev eth0 | awk "{print \$4}"; sleep 600' >"$tmp/id.$i" 2>"$tmp/err.$i"
     echo "$u" >"$tmp/user.$i") &
done
wait
for i in $(seq 1 20); do
    [[ -s "$tmp/id.$i" ]] || fail "start $i failed: $(cat "$tmp/err.$i")"
done
declare -A seen=()
for i in $(seq 1 20); do
    id="$(cat "$tmp/id.$i")" u="$(cat "$tmp/user.$i")"
    wait_until 120 bash -c "jobworkerctl logs $id | grep -q ." || fail "no output of job $id"
    a="$(job_field "$u" "$id" address)"
    assert_eq "$a" "$(jobworkerctl logs "$id")" "the address inside job $id"
    [[ "$a" =~ ^10\.89\.0\.[0-9]+/24$ ]] || fail "address $a"
    [[ -z "${seen[$a]:-}" ]] || fail "address $a given to two jobs"
    seen[$a]="$id"
done
assert_eq 20 "${#seen[@]}" "distinct addresses"
assert_eq 20 "$(leases_of bridge | wc -l)" "leases"
assert_eq 20 "$(host_veths | wc -l)" "veths on the host while the jobs run"
assert_eq 20 "$(ip -o link show master jobworker0 | wc -l)" "ports of the bridge"

for i in $(seq 1 20); do jobworkerctl stop "$(cat "$tmp/id.$i")" >/dev/null & done
wait
wait_until 120 no_host_veths || fail "veths left: $(host_veths)"
wait_until 60 no_leases bridge || fail "leases left: $(leases_of bridge)"
assert_eq 0 "$(ip -o link show master jobworker0 | wc -l)" "ports of the bridge after the jobs"
assert_no_failed_job_units
