#!/bin/bash
# The namespaces, the identity and the privileges a job runs with.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

check_user() {
    local u="$1" out id
    out="$(run_capture "$u" 'id -u; id -g; id -G; echo "PID1=$(cat /proc/1/comm)"; ls /proc | grep -c "^[0-9]*$";
        hostname; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; cat /sys/class/net/lo/operstate;
        grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs)" /proc/self/status | tr -s "\t " " ";
        cat /proc/self/oom_score_adj; env | sort | cut -d= -f1 | tr "\n" " "; echo')"
    info "$out"
    mapfile -t l <<<"$out"
    assert_eq "$(id -u "$u")" "${l[0]}" "uid"
    assert_eq "$(id -g "$u")" "${l[1]}" "gid"
    assert_eq "$(id -G "$u")" "${l[2]}" "groups"
    [[ "${l[3]}" == PID1=* && "${l[3]}" != PID1=systemd ]] || fail "PID 1 of the job is ${l[3]}"
    ((l[4] <= 6)) || fail "job sees ${l[4]} processes; PID namespace not private"
    [[ "${l[5]}" =~ ^[0-9a-f]{12}$ ]] || fail "hostname ${l[5]} is not the job id"
    assert_eq lo "${l[6]}" "only lo in the network namespace"
    [[ "${l[7]}" == unknown || "${l[7]}" == up ]] || fail "lo is ${l[7]}, not up"
    assert_eq "CapInh: 0000000000000000" "${l[8]}"
    assert_eq "CapPrm: 0000000000000000" "${l[9]}"
    assert_eq "CapEff: 0000000000000000" "${l[10]}"
    assert_eq "CapBnd: 0000000000000000" "${l[11]}"
    assert_eq "CapAmb: 0000000000000000" "${l[12]}"
    assert_eq "NoNewPrivs: 1" "${l[13]}"
    assert_eq 0 "${l[14]}" "oom_score_adj"
    local name
    for name in ${l[15]}; do
        [[ " HOME LOGNAME PATH PWD OLDPWD SHELL USER LANG SHLVL _ " == *" $name "* ]] \
            || fail "job environment has $name: ${l[15]}"
    done
    for name in HOME LOGNAME PATH USER; do
        [[ " ${l[15]} " == *" $name "* ]] || fail "job environment lacks $name: ${l[15]}"
    done
}
for_each_user check_user

# --env and --workdir reach the job; the caller's ps/ip view is not the job's.
out="$(run_capture "$TEST_USER1" --env=FOO=bar --workdir=/tmp 'echo "$FOO"; pwd')"
assert_eq $'bar\n/tmp' "$out" "--env and --workdir"

# ip link inside the job shows only lo; ps shows only the job.
out="$(run_capture "$TEST_USER1" 'ip -o link | cut -d: -f2 | tr -d " "; ps -e -o comm= | sort | tr "\n" " "')"
mapfile -t l <<<"$out"
assert_eq lo "${l[0]}" "ip link"
[[ "${l[1]}" != *systemd* && "${l[1]}" != *jobworkerd* ]] || fail "ps inside the job sees the host: ${l[1]}"

# A zombie-leaving, orphan-making job is reaped by the job's init.
out="$(run_capture "$TEST_USER1" '(sleep 0.1 &) ; (sh -c "sleep 0.2 & exit 0"); sleep 1; ps -e -o stat= | grep -c Z || true')"
assert_eq 0 "$out" "zombies in the job"

# The job's cgroup namespace is rooted at its scope: seen from the job, the
# command and its init are at "/". (init makes the namespace itself, once
# it is released, so this alone cannot tell that init was moved into the
# scope first; the host's view below does.)
out="$(run_capture "$TEST_USER1" 'cat /proc/self/cgroup /proc/1/cgroup')"
assert_eq $'0::/\n0::/' "$out" "the job's and its init's cgroup, seen from the job"

# Race-free start: every process of a job is in its scope before the
# command's first instruction; none is ever left in jobworkerd's own cgroup.
id="$(jctl "$TEST_USER1" start -- sh -c 'sleep 30 & sleep 30 & wait')"
cg="$(job_cgroup "$id" "$TEST_USER1")/cgroup.procs"
# shim, init, sh and the two sleeps
wait_until 30 bash -c "(( \$(cat $cg | wc -l) == 5 ))" || fail "scope of $id holds $(cat "$cg" | wc -l) processes, not 5"
daemon_cg="/sys/fs/cgroup/system.slice/jobworkerd.service/cgroup.procs"
assert_eq "$(systemctl show -P MainPID jobworkerd)" "$(cat "$daemon_cg")" "processes in jobworkerd.service's cgroup"
for pid in $(pgrep -u "$TEST_USER1" -x sleep); do
    assert_contains "$(cat "/proc/$pid/cgroup")" "jobworker-$id.scope" "cgroup of the job's sleep $pid"
done
jctl "$TEST_USER1" stop "$id"
