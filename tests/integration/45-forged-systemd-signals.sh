#!/bin/bash
# systemd's signals are believed only from PID 1's bus connection. The system
# bus lets any user send a unicast signal to org.jobworker1, naming any path
# and interface; here `nobody` forges what PID 1 says about jobs and units:
# JobRemoved "failed" (would abort other users' starts), JobRemoved "done"
# (would release a shim before its scope exists, so the job runs outside its
# cgroup and limits), and a scope's PropertiesChanged/UnitRemoved (would end
# a running job early, with a made-up result).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

FORGE=/usr/libexec/jobworker/tests/forge-job-removed
# A directory nobody may write to, for the forger's pid and report.
dir="$(mktemp -d)"; chmod 0777 "$dir"
# The forger's own pid (as_user's subshell is not it), to stop it.
stop_forger() {
    if [[ -s "$dir/pid" ]]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; fi
}
trap 'stop_forger; rm -rf "$dir"' EXIT

# forge RESULT: floods forged JobRemoved(…, RESULT) for the next systemd job
# ids in the background, as nobody.
forge() {
    rm -f "$dir/pid" "$dir/out"
    as_user nobody sh -c 'echo $$ >"$2/pid"; exec "$0" "$1" 120 >"$2/out" 2>&1' "$FORGE" "$1" "$dir" &
    forger=$!
    wait_until 30 test -s "$dir/pid" || fail "the forger did not start"
    sleep 1
}
stop_forging() {
    stop_forger
    wait "$forger" 2>/dev/null || true
    rm -f "$dir/pid"
    info "forger: $(cat "$dir/out")"
}

# 1. "failed" for every next systemd job: all starts of both users succeed.
jctl root start -- true >/dev/null   # a systemd job, so the forger learns the ids
forge failed
n_failed=0
for i in $(seq 1 12); do
    for u in "$TEST_USER1" "$TEST_USER2"; do
        if ! out="$(jctl "$u" start -- true 2>&1)"; then
            info "start $i as $u failed: $out"
            n_failed=$((n_failed + 1))
        fi
    done
done
stop_forging
grep -q '^sent [1-9]' "$dir/out" || fail "the forger sent nothing: $(cat "$dir/out")"
assert_eq 0 "$n_failed" "starts aborted by a forged JobRemoved(failed)"

# 2. "done" before the scope is ready: every job runs inside its own scope,
#    none of its processes in jobworkerd's cgroup. (Seen from outside: a
#    job's own /proc/self/cgroup is relative to its cgroup namespace.)
forge done
ids=()
for i in $(seq 1 12); do
    ids+=("$(jctl "$TEST_USER1" start -- sleep 1000)") || fail "start $i failed under forged JobRemoved(done)"
done
stop_forging
sleep 2
daemon_cg="/sys/fs/cgroup$(systemctl show -P ControlGroup "$SERVICE")"
daemon_procs="$(cat "$daemon_cg/cgroup.procs")"
info "processes in $daemon_cg: $(tr '\n' ' ' <<<"$daemon_procs")"
assert_eq "$(systemctl show -P MainPID "$SERVICE")" "$daemon_procs" "processes in jobworkerd's cgroup (jobs released too early?)"
for id in "${ids[@]}"; do
    n="$(find "$(job_cgroup "$id" "$TEST_USER1")" -name cgroup.procs -exec cat {} + | wc -l)"
    ((n >= 3)) || fail "job $id has only $n processes in its scope (shim, init and sleep expected)"
    jctl "$TEST_USER1" stop --timeout=1 "$id" >/dev/null
done

# 3. A running job's scope "ends" (OOM, gone) — says nobody.
id="$(jctl "$TEST_USER1" start -- sleep 1000)"
unit="jobworker-$id.scope"
upath="/org/freedesktop/systemd1/unit/$(sed -e 's/-/_2d/g' -e 's/\./_2e/g' <<<"$unit")"
emit() { as_user nobody busctl emit --destination=org.jobworker1 "$@"; }
for round in 1 2; do
    emit "$upath" org.freedesktop.DBus.Properties PropertiesChanged 'sa{sv}as' \
        org.freedesktop.systemd1.Scope 1 Result s oom-kill 0
    emit "$upath" org.freedesktop.DBus.Properties PropertiesChanged 'sa{sv}as' \
        org.freedesktop.systemd1.Unit 2 ActiveState s failed SubState s failed 0
    emit /org/freedesktop/systemd1 org.freedesktop.systemd1.Manager UnitRemoved so "$unit" "$upath"
    sleep 3
    assert_eq running "$(job_field "$TEST_USER1" "$id" state)" "job state after forged unit signals (round $round)"
    assert_eq active "$(unit_state "$unit")" "scope after forged unit signals"
    # The second round hits a job adopted by a restarted daemon (no shim child).
    [[ $round == 1 ]] && systemctl restart jobworkerd
done
jctl "$TEST_USER1" stop "$id"
assert_eq stopped "$(job_field "$TEST_USER1" "$id" result)" "result after forged oom-kill"
assert_eq 15 "$(job_field "$TEST_USER1" "$id" signal)" "signal after forged oom-kill"
assert_no_failed_job_units
