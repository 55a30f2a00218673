#!/bin/bash
# Leases under /run/jobworker/leases survive a daemon SIGKILL (the address
# stays the job's: nobody else gets it) and are freed when the job ends,
# also when it ended while the daemon was down; a lease of a job that is
# gone is freed at start-up. The veth goes with the job even when something
# still holds the job's network namespace open; also when the shim, which
# deletes it, is SIGKILLed: the daemon then removes it (in a child, never in
# its event loop) and frees the lease only after, so that another user can
# take the address.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u1="$TEST_USER1" u2="$TEST_USER2"
cleanup() {
    for id in ${ids:-}; do jobworkerctl stop "$id" >/dev/null 2>&1 || true; done
    [[ -n "${holder:-}" ]] && kill "$holder" 2>/dev/null || true
    [[ -n "${holder2:-}" ]] && kill "$holder2" 2>/dev/null || true
    rm -f /run/jobworker/leases/bridge/10.89.0.99
}
trap cleanup EXIT
lease=/run/jobworker/leases/bridge

# init_of SHIM: the job's init, the shim's child that is pid 1 of the job's
# PID namespace (the shim forks short-lived helpers too).
init_of() {
    local c
    for c in $(pgrep -P "$1"); do
        [[ "$(awk '/^NSpid:/ {print $NF}' "/proc/$c/status" 2>/dev/null)" == 1 ]] && { echo "$c"; return 0; }
    done
    return 1
}

# hold_netns SHIM: a process of root's outside the job (sleep 600), in the
# network namespace of the job's init; prints its pid once it is really
# there (a pid 1 found may be a short-lived one, and nsenter's own pid has
# an ns/net before it enters).
hold_netns() {
    local init ns h i j
    for i in $(seq 50); do
        if init="$(init_of "$1")" && ns="$(readlink "/proc/$init/ns/net" 2>/dev/null)" &&
            [[ -n "$ns" && "$ns" != "$(readlink /proc/self/ns/net)" ]]; then
            nsenter --net="/proc/$init/ns/net" sleep 600 >/dev/null 2>&1 &
            h=$!
            for j in $(seq 25); do
                if [[ "$(readlink "/proc/$h/ns/net" 2>/dev/null)" == "$ns" ]]; then echo "$h"; return 0; fi
                kill -0 "$h" 2>/dev/null || break
                sleep 0.2
            done
            kill "$h" 2>/dev/null || true
        fi
        sleep 0.2
    done
    return 1
}

info "a lease kept across a daemon SIGKILL"
id="$(jctl "$u1" start --network=bridge --ip=10.89.0.77 -- sleep 600)"
ids="$id"
wait_until 60 job_state_is "$u1" "$id" running || fail "job not running"
assert_eq "$id $(id -u "$u1")" "$(cat "$lease/10.89.0.77")" "the lease"
systemctl kill -s KILL jobworkerd.service
# Restart=on-failure brings it back at once; the lease is there all along.
assert_eq "$id $(id -u "$u1")" "$(cat "$lease/10.89.0.77")" "the lease across the SIGKILL"
# The next call activates a new daemon, which finds the job and its lease.
assert_eq running "$(job_field "$u1" "$id" state)" "the job after the restart"
assert_eq 10.89.0.77/24 "$(job_field "$u1" "$id" address)" "the job's address after the restart"
out="$(jctl "$u2" run --network=bridge --ip=10.89.0.77 -- true 2>&1)" && fail "a held address was given again"
assert_contains "$out" "10.89.0.77 is already held" "the address after the restart"
jctl "$u1" stop "$id"
wait_until 30 test ! -e "$lease/10.89.0.77" || fail "the lease outlived its job"
jctl "$u2" run --network=bridge --ip=10.89.0.77 -- true || fail "a freed address could not be taken again"

info "a job that ends while the daemon is down"
id="$(jctl "$u1" start --network=bridge --ip=10.89.0.78 -- sleep 5)"
ids="$ids $id"
wait_until 60 job_state_is "$u1" "$id" running || fail "job not running"
# Away, not restarted at once as after a SIGKILL (Restart=on-failure).
systemctl stop jobworkerd.service
wait_until 60 unit_is_not "jobworker-$id.scope" active || fail "the job did not end"
systemctl reset-failed jobworkerd.service 2>/dev/null || true
assert_eq "$id $(id -u "$u1")" "$(cat "$lease/10.89.0.78")" "the lease of a job that ended while the daemon was down"
assert_eq finished "$(job_field "$u1" "$id" state)" "the job after the restart"
wait_until 30 test ! -e "$lease/10.89.0.78" || fail "the lease of a job that ended while we were away"

info "a lease of a job that is gone is freed at start-up"
printf 'aaaaaaaaaaaa 0\n' >"$lease/10.89.0.99"
restart_jobworkerd
jobworkerctl list >/dev/null
wait_until 30 test ! -e "$lease/10.89.0.99" || fail "the lease of a job that does not exist was kept"

info "the veth goes with its job, even with its namespace held open"
id="$(jctl "$u1" start --network=bridge --ip=10.89.0.80 -- sleep 600)"
ids="$ids $id"
wait_until 60 job_state_is "$u1" "$id" running || fail "job not running"
pid="$(shim_pid "$id")"
# A process of root's outside the job, holding the job's network namespace.
holder="$(hold_netns "$pid")" || fail "no holder of the job's network namespace"
ip link show "jw$id" >/dev/null || fail "no veth of the running job"
jctl "$u1" stop "$id"
wait_until 30 bash -c "! ip link show jw$id >/dev/null 2>&1" || fail "veth jw$id outlived its job"
wait_until 30 test ! -e "$lease/10.89.0.80" || fail "the lease outlived its job"
kill "$holder"
holder=
wait_until 30 no_host_veths || fail "veths left: $(host_veths)"

info "a SIGKILLed shim's veth, its namespace held: the daemon removes it, then frees the lease"
id="$(jctl "$u1" start --network=bridge --ip=10.89.0.81 -- sleep 600)"
ids="$ids $id"
wait_until 60 job_state_is "$u1" "$id" running || fail "job not running"
pid="$(sed -n 's/^SHIM_PID=//p' "/run/jobworker/jobs/$id.job")"
[[ "$pid" =~ ^[0-9]+$ ]] || fail "no SHIM_PID in the record of $id"
assert_eq "$(shim_pid "$id")" "$pid" "SHIM_PID of the record"
holder2="$(hold_netns "$pid")" || fail "no holder of the job's network namespace"
since="$(date '+%Y-%m-%d %H:%M:%S')"
kill -KILL "$pid"
wait_until 60 job_state_is "$u1" "$id" finished || fail "the job did not end with its shim"
wait_until 60 bash -c "journalctl -u jobworkerd --since '$since' --no-pager -o cat | grep -qx 'Removed jw$id, left behind by job $id.'" \
    || fail "no 'Removed jw$id, left behind by job $id.' in the journal: $(journalctl -u jobworkerd --since "$since" --no-pager -o cat | tail -20)"
ip link show "jw$id" >/dev/null 2>&1 && fail "veth jw$id outlived its killed shim"
wait_until 30 test ! -e "$lease/10.89.0.81" || fail "the lease outlived the veth"
jctl "$u2" run --network=bridge --ip=10.89.0.81 -- true || fail "$u2 could not take the address of the killed job"
kill "$holder2"
holder2=
wait_until 30 no_host_veths || fail "veths left: $(host_veths)"
assert_no_failed_job_units
