#!/bin/bash
# Addresses: without --ip each job gets the next free address of the
# subnet (never the network, broadcast or gateway address, never one
# another job holds), and sees it inside. A [Network "NAME"] of
# jobworkerd.conf: its bridge (made with the gateway address on first use),
# subnet, gateway, MTU, and a Group= that keeps others out; a bridge the
# admin made is used as it is. The shims of six jobs of two users race to
# make a new network's bridge (the shim makes it, not the daemon): one
# gateway address, the MTU, up, and the six reach the gateway and each
# other. An interface of a bridge's name that is no bridge refuses the
# start and is left alone.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"
install_test_ping

u1="$TEST_USER1" u2="$TEST_USER2"
dropin=/etc/jobworker/jobworkerd.conf.d/71-net.conf
cleanup() {
    for id in ${ids:-}; do jobworkerctl stop "$id" >/dev/null 2>&1 || true; done
    rm -f "$dropin"
    systemctl reload jobworkerd 2>/dev/null || true
    ip link del jwlab0 2>/dev/null || true
    ip link del jwadmin0 2>/dev/null || true
    ip link del jwrace0 2>/dev/null || true
    ip link del jwdum0 2>/dev/null || true
    for f in "${tmp:-/nonexistent}"/id.*; do [[ -s "$f" ]] && jobworkerctl stop "$(cat "$f")" >/dev/null 2>&1 || true; done
    [[ -n "${tmp:-}" ]] && rm -rf "$tmp"
}
trap cleanup EXIT

info "automatic addresses"
ids=
declare -A seen=()
for u in "$u1" "$u2" "$u1"; do
    id="$(jctl "$u" start --network=bridge -- sh -c 'ip -o -4 addr show dev eth0 | awk "{print \$4}"; sleep 600')"
    ids="$ids $id"
    wait_until 60 job_state_is "$u" "$id" running || fail "job $id not running"
    a="$(job_field "$u" "$id" address)"
    info "$id of $u: $a"
    [[ "$a" =~ ^10\.89\.0\.([0-9]+)/24$ ]] || fail "address $a not in 10.89.0.0/24"
    n="${BASH_REMATCH[1]}"
    ((n > 1 && n < 255)) || fail "address $a is the network, gateway or broadcast address"
    [[ -z "${seen[$a]:-}" ]] || fail "address $a given twice"
    seen[$a]=1
    wait_until 30 bash -c "jobworkerctl logs $id | grep -q ." || fail "no output of $id"
    assert_eq "$a" "$(jobworkerctl logs "$id")" "the address inside $id"
    [[ -e "/run/jobworker/leases/bridge/${a%/*}" ]] || fail "no lease file for $a"
    assert_eq "$id $(id -u "$u")" "$(cat "/run/jobworker/leases/bridge/${a%/*}")" "the lease of $a"
    assert_eq 600 "$(stat -c %a "/run/jobworker/leases/bridge/${a%/*}")" "the lease's mode"
done
assert_eq 700 "$(stat -c %a /run/jobworker/leases)" "the lease directory's mode"
for id in $ids; do jobworkerctl stop "$id" >/dev/null; done
ids=
wait_until 60 no_leases bridge || fail "leases left: $(leases_of bridge)"

info "a network of the configuration, for the members of a group"
mkdir -p "$(dirname "$dropin")"
cat >"$dropin" <<CONF
[Network "lab"]
Bridge=jwlab0
Subnet=10.90.0.0/28
Gateway=10.90.0.14
MTU=1400
Group=$(id -gn "$u1")
CONF
systemctl reload jobworkerd
out="$(run_capture "$u1" --network=lab 'ip -o -4 addr show dev eth0 | awk "{print \$4}"; cat /sys/class/net/eth0/mtu; ip route | grep ^default; '"$PING"' -c1 -W10 10.90.0.14 >/dev/null && echo ping-ok')"
info "$out"
mapfile -t l <<<"$out"
[[ "${l[0]}" =~ ^10\.90\.0\.([0-9]+)/28$ ]] || fail "address ${l[0]} not in 10.90.0.0/28"
assert_eq 1400 "${l[1]}" "the network's MTU inside"
assert_contains "${l[2]}" "default via 10.90.0.14 dev eth0" "the network's gateway"
assert_eq ping-ok "${l[3]}" "ping to the gateway"
assert_contains "$(ip -o -4 addr show dev jwlab0)" "10.90.0.14/28" "the bridge made with the gateway address"
assert_contains "$(ip -o link show jwlab0)" "mtu 1400" "the bridge's MTU"
assert_contains "$(ip -d -o link show jwlab0)" "bridge" "jwlab0 is a bridge"
assert_eq 0 "$(ip -o -6 addr show dev jwlab0 | wc -l)" "IPv6 addresses on the bridge"
out="$(jctl "$u2" run --network=lab -- true 2>&1)" && fail "$u2 used a network of another group"
assert_contains "$out" "Network lab is for the members of group $(id -gn "$u1"); user $u2 is not one" "the group's refusal"
jctl root run --network=lab -- true || fail "root refused a group's network"

info "a bridge the admin made is used as it is"
ip link add jwadmin0 type bridge
ip addr add 10.91.0.1/24 dev jwadmin0
ip link set jwadmin0 up
cat >>"$dropin" <<CONF
[Network "admin"]
Bridge=jwadmin0
Subnet=10.91.0.0/24
CONF
systemctl reload jobworkerd
out="$(run_capture "$u2" --network=admin 'ip route | grep ^default; '"$PING"' -c1 -W10 10.91.0.1 >/dev/null && echo ping-ok')"
assert_contains "$out" "default via 10.91.0.1 dev eth0" "the default gateway of an admin's bridge"
assert_contains "$out" "ping-ok" "ping to an admin's bridge"
assert_eq "10.91.0.1/24" "$(ip -o -4 addr show dev jwadmin0 | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')" "the admin's bridge's addresses, untouched"

info "six jobs of two users race to make a new network's bridge"
ip link show jwrace0 >/dev/null 2>&1 && fail "jwrace0 exists before the test"
cat >>"$dropin" <<CONF
[Network "race"]
Bridge=jwrace0
Subnet=10.92.0.0/24
MTU=1450
CONF
systemctl reload jobworkerd
since="$(date '+%Y-%m-%d %H:%M:%S')"
tmp="$(mktemp -d)"
chmod 755 "$tmp"
# Each pings the gateway, then every other job (they start in any order),
# says "done" and stays up for the others.
for i in 2 3 4 5 6 7; do
    u="$u1"; ((i % 2)) || u="$u2"
    script='r=; p() { for t in $(seq 150); do '"$PING"' -c1 -W1 "$1" >/dev/null 2>&1 && return 0; sleep 0.2; done; return 1; }
        p 10.92.0.1 && r="$r gw"
        for o in 2 3 4 5 6 7; do [ "$o" = '"$i"' ] || { p 10.92.0.$o && r="$r $o"; }; done
        echo "reached$r"; echo done; sleep 600'
    (jctl "$u" start --network=race --ip=10.92.0.$i -- sh -c "$script" >"$tmp/id.$i" 2>"$tmp/err.$i"
     echo "$u" >"$tmp/user.$i") &
done
wait
for i in 2 3 4 5 6 7; do
    [[ -s "$tmp/id.$i" ]] || fail "start $i on the new network failed: $(cat "$tmp/err.$i")"
done
for i in 2 3 4 5 6 7; do
    id="$(cat "$tmp/id.$i")"
    wait_until 120 bash -c "jobworkerctl logs $id | grep -qx done" \
        || fail "job $id (10.92.0.$i) did not finish its pings: $(jobworkerctl logs "$id"; jobworkerctl status "$id")"
    want="reached gw"
    for o in 2 3 4 5 6 7; do [[ "$o" == "$i" ]] || want="$want $o"; done
    assert_eq "$want" "$(jobworkerctl logs "$id" | head -1)" "what 10.92.0.$i reached"
done
assert_eq "10.92.0.1/24" "$(ip -o -4 addr show dev jwrace0 | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')" \
    "the race's bridge: one gateway address"
assert_contains "$(ip -o link show jwrace0)" "mtu 1450" "the race's bridge's MTU"
assert_contains "$(ip -o link show jwrace0)" ",UP" "the race's bridge is up"
assert_contains "$(ip -d -o link show jwrace0)" " bridge " "jwrace0 is a bridge"
assert_eq 0 "$(ip -o -6 addr show dev jwrace0 | wc -l)" "IPv6 addresses on the race's bridge"
assert_eq 6 "$(ip -o link show master jwrace0 | wc -l)" "ports of the race's bridge"
# Made by a shim (the daemon makes no rtnetlink call for a client), once.
# Its stderr is jobworkerd's journal stream, but journald attributes each
# line to the process that wrote it (the shim, in the job's scope).
log="$(journalctl --since "$since" --no-pager -o cat)"
assert_eq 1 "$(grep -c 'jobworker-shim: Created bridge jwrace0 with address 10.92.0.1/24' <<<"$log")" \
    "the shim's log of making the bridge"
for i in 2 3 4 5 6 7; do jobworkerctl stop "$(cat "$tmp/id.$i")" >/dev/null & done
wait
rm -f "$tmp"/id.*
wait_until 60 no_leases race || fail "leases left on race: $(leases_of race)"
assert_contains "$(ip -o link show jwrace0)" "mtu 1450" "the bridge's MTU with no job left"

info "an interface of a bridge's name that is no bridge: the start is refused, it is left alone"
ip link add jwdum0 type dummy
cat >>"$dropin" <<CONF
[Network "dum"]
Bridge=jwdum0
Subnet=10.93.0.0/24
CONF
systemctl reload jobworkerd
rc=0; out="$(jctl "$u1" run --network=dum -- true 2>&1)" || rc=$?
((rc != 0)) || fail "a job started on a dummy interface"
info "$out"
assert_contains "$out" "jwdum0 is a dummy, not a bridge" "the refusal"
assert_contains "$(ip -d -o link show jwdum0)" "dummy" "jwdum0, still a dummy"
assert_eq 0 "$(ip -o addr show dev jwdum0 | wc -l)" "addresses on the dummy"
assert_eq 0 "$(ip -o link show master jwdum0 2>/dev/null | wc -l)" "ports of the dummy"
wait_until 30 no_leases dum || fail "leases left on dum: $(leases_of dum)"
ip link del jwdum0

info "a bad [Network] section fails the reload, the networks stay"
printf '[Network "bad"]\nBridge=jwbad0\n' >>"$dropin"
if systemctl reload jobworkerd 2>/dev/null; then fail "a reload with a [Network] without Subnet= succeeded"; fi
assert_contains "$(journalctl -u jobworkerd -n 20 --no-pager)" '[Network "bad"] has no Subnet=' "the reload's error"
jctl "$u1" run --network=lab -- true || fail "the networks in use were lost"
systemctl reset-failed jobworkerd 2>/dev/null || true
cleanup
trap - EXIT
wait_until 60 no_host_veths || fail "veths left: $(host_veths)"
assert_no_failed_job_units
