#!/bin/bash
# Bridged networking refuses, with a specific org.jobworker1.Error.* naming
# the address and why: an address another job holds (whoever's), one
# outside the subnet, the network, broadcast and gateway addresses, another
# prefix length, malformed ones, an unknown network, an address without a
# network; past MaxAddressesPerUser. A job on "none" has only lo and cannot
# reach a bridged job.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u1="$TEST_USER1" u2="$TEST_USER2"
dropin=/etc/jobworker/jobworkerd.conf.d/72-net.conf
cleanup() {
    for id in ${ids:-}; do jobworkerctl stop "$id" >/dev/null 2>&1 || true; done
    rm -f "$dropin"
    systemctl reload jobworkerd 2>/dev/null || true
}
trap cleanup EXIT

held="$(jctl "$u1" start --network=bridge --ip=10.89.0.60 -- sh -c 'nc -l 7000; echo __END__')"
ids="$held"
wait_until 60 job_state_is "$u1" "$held" running || fail "job not running"

# check_refused USER ERROR MESSAGE-PART OPTIONS...: StartJob over the bus.
check_refused() {
    local user="$1" error="$2" part="$3" got; shift 3
    got="$(start_job_error "$user" "$@")"
    info "$*: $got"
    assert_contains "$got" "$error: " "error name"
    assert_contains "$got" "$part" "error message"
}
A="org.jobworker1.Error.InvalidAddress"
info "refusals over the bus"
check_refused "$u2" org.jobworker1.Error.AddressInUse "Address 10.89.0.60 is already held by another running job" \
    2 Network s bridge Address s 10.89.0.60
check_refused "$u1" org.jobworker1.Error.AddressInUse "10.89.0.60" 2 Network s bridge Address s 10.89.0.60/24
check_refused "$u1" "$A" "Address 10.90.0.5 is outside the network's subnet (network bridge, subnet 10.89.0.0/24)" \
    2 Network s bridge Address s 10.90.0.5
check_refused "$u1" "$A" "Address 10.89.0.0 is the subnet's network address" 2 Network s bridge Address s 10.89.0.0
check_refused "$u1" "$A" "Address 10.89.0.255 is the subnet's broadcast address" 2 Network s bridge Address s 10.89.0.255
check_refused "$u1" "$A" "Address 10.89.0.1 is the network's gateway address" 2 Network s bridge Address s 10.89.0.1
check_refused "$u1" "$A" "Address 10.89.0.7/16 is given with a prefix length other than the subnet's" \
    2 Network s bridge Address s 10.89.0.7/16
for bad in 10.89.0.256 10.89.0 10.89.0.07 "10.89.0.7 " 10.89.0.7/33 ::1 bridge ""; do
    check_refused "$u1" "$A" "Address \"$bad\" is malformed" 2 Network s bridge Address s "$bad"
done
check_refused "$u1" org.jobworker1.Error.NoSuchNetwork 'There is no network "lab" (networks: none, bridge)' \
    1 Network s lab
check_refused "$u1" org.jobworker1.Error.NoSuchNetwork 'Network "a/b" is not a network name' 1 Network s a/b
check_refused "$u1" "$A" 'Address needs a Network other than "none"' 1 Address s 10.89.0.9
check_refused "$u1" "$A" 'Address needs a Network other than "none"' 2 Network s none Address s 10.89.0.9
check_refused "$u1" org.jobworker1.Error.InvalidArgument "must be of D-Bus type 's'" 1 Network u 1

info "refusals of the CLI"
for args in "--network=bridge --ip=10.89.0.300" "--network=a/b" "--network=bridge --ip=x"; do
    if out="$(jctl "$u1" run $args -- true 2>&1)"; then fail "jobworkerctl run $args succeeded"; fi
    info "$args: $out"
    assert_contains "$out" "--" "the CLI names the flag"
done
out="$(jctl "$u1" run --network=bridge --ip=10.89.0.60 -- true 2>&1)" && fail "duplicate address taken"
assert_contains "$out" "10.89.0.60 is already held" "the CLI shows the daemon's reason"

info "a job on none has lo only and cannot reach a bridged job"
out="$(run_capture "$u2" 'ip -o link | wc -l; nc -N -w 3 10.89.0.60 7000 </dev/null 2>&1 && echo connected || echo refused')" || true
mapfile -t l <<<"$out"
assert_eq 1 "${l[0]}" "interfaces of a job on none"
assert_contains "${l[*]}" refused "connecting from none"
assert_eq running "$(job_field "$u1" "$held" state)" "the listener, untouched"

info "MaxAddressesPerUser"
mkdir -p "$(dirname "$dropin")"
printf '[Jobs]\nMaxAddressesPerUser=2\n' >"$dropin"
systemctl reload jobworkerd
second="$(jctl "$u1" start --network=bridge -- sleep 600)"
ids="$ids $second"
out="$(jctl "$u1" start --network=bridge -- sleep 600 2>&1)" && fail "a third address for $u1"
assert_contains "$out" "already holds 2 addresses (MaxAddressesPerUser=2)" "the cap's refusal"
# Others are not affected; nor is a job without a network.
other="$(jctl "$u2" start --network=bridge -- sleep 600)"
ids="$ids $other"
plain="$(jctl "$u1" start -- sleep 600)"
ids="$ids $plain"
cleanup
trap - EXIT
wait_until 60 no_host_veths || fail "veths left: $(host_veths)"
wait_until 30 no_leases bridge || fail "leases left: $(leases_of bridge)"
assert_no_failed_job_units
