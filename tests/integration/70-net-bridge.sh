#!/bin/bash
# --network=bridge: two jobs of two users on the built-in network talk to
# each other over TCP (a line sent by one shows up in the other's output),
# and the host reaches a job at its address. Inside, a job sees lo and
# eth0 only, its address, the default route via the gateway, no IPv6
# address on eth0, the network's MTU, and ping works without capabilities.
# status and --json show network, address and host interface; after the
# jobs no veth is left on the host and no lease in /run/jobworker.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"
install_test_ping

u1="$TEST_USER1" u2="$TEST_USER2"
cleanup() {
    for id in ${ids:-}; do jobworkerctl stop "$id" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

info "a listener of $u1 at 10.89.0.50"
listener="$(jctl "$u1" start --network=bridge --ip=10.89.0.50/24 -- sh -c 'nc -l 5000; echo __END__')"
ids="$listener"
wait_until 60 job_state_is "$u1" "$listener" running || fail "listener not running"
assert_eq bridge "$(job_field "$u1" "$listener" network)" "network in --json"
assert_eq 10.89.0.50/24 "$(job_field "$u1" "$listener" address)" "address in --json"
veth="$(job_field "$u1" "$listener" host_interface)"
assert_eq "jw$listener" "$veth" "host interface in --json"
status="$(jctl "$u1" status "$listener")"
assert_contains "$status" "Network: bridge, address 10.89.0.50/24, host interface jw$listener" "status"
assert_eq "s \"10.89.0.50/24\"" "$(bus "$u1" get-property "$BUS_NAME" "/org/jobworker1/job/$listener" org.jobworker1.Job Address)" "the Address property"
assert_eq "s \"bridge\"" "$(bus "$u1" get-property "$BUS_NAME" "/org/jobworker1/job/$listener" org.jobworker1.Job Network)" "the Network property"
# The host end is on the bridge, up.
link="$(ip -o link show "$veth")"
assert_contains "$link" "master jobworker0" "the host end's bridge"
assert_contains "$link" "state UP" "the host end's state"

info "a client of $u2 sends a line to it"
out="$(run_capture "$u2" --network=bridge 'for i in $(seq 100); do echo "hello from $(id -un)" | nc -N -w 5 10.89.0.50 5000 && exit 0; sleep 0.2; done; exit 1')" \
    || fail "the client could not connect: $out"
jctl root wait "$listener" || fail "the listener failed"
assert_eq "hello from $u2" "$(job_output "$listener")" "the line received by the listener"

info "what a job sees of its network"
out="$(run_capture "$u1" --network=bridge --ip=10.89.0.51 'ip -o link | awk -F": " "{print \$2}" | sed "s/@.*//" | tr "\n" " "; echo
    ip -o -4 addr show dev eth0 | awk "{print \$4}"
    ip route | grep ^default
    ip -o -6 addr show dev eth0 | wc -l
    cat /sys/class/net/eth0/mtu
    '"$PING"' -c 1 -W 10 10.89.0.1 >/dev/null && echo ping-ok
    cat /sys/class/net/eth0/address')"
info "$out"
mapfile -t l <<<"$out"
assert_eq "lo eth0 " "${l[0]}" "interfaces inside"
assert_eq 10.89.0.51/24 "${l[1]}" "eth0's address"
assert_contains "${l[2]}" "default via 10.89.0.1 dev eth0" "the default route"
assert_eq 0 "${l[3]}" "IPv6 addresses on eth0"
assert_eq 1500 "${l[4]}" "eth0's MTU"
assert_eq ping-ok "${l[5]}" "unprivileged ping to the gateway"
assert_eq 02:6a:0a:59:00:33 "${l[6]}" "eth0's MAC (set at creation)"

info "the host reaches a job at its address"
server="$(jctl "$u1" start --network=bridge --ip=10.89.0.52 -- sh -c 'nc -l 6000; echo __END__')"
ids="$ids $server"
wait_until 60 job_state_is "$u1" "$server" running || fail "server not running"
ok=
for i in $(seq 100); do
    if echo from-host | nc -N -w 5 10.89.0.52 6000 2>/dev/null; then ok=1; break; fi
    sleep 0.2
done
[[ -n "$ok" ]] || fail "the host could not connect to 10.89.0.52:6000"
jctl root wait "$server" || fail "the server failed"
assert_eq from-host "$(job_output "$server")" "the line from the host"

info "nothing left behind"
wait_until 30 no_host_veths || fail "veths left on the host: $(host_veths)"
assert_eq "" "$(leases_of bridge)" "leases after the jobs"
assert_no_failed_job_units
