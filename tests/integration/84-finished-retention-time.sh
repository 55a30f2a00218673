#!/bin/bash
# [Jobs] FinishedRetentionSec= and MaxFinishedPerUser=: a finished job is
# forgotten once it is older than the retention time (record gone, status
# answers "no job"; output and finish record still in the journal), also
# when it finished while the daemon was away; running jobs never are; at
# most MaxFinishedPerUser finished jobs of one user stay.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

alice="$TEST_USER1"
conf=/etc/jobworker/jobworkerd.conf.d
mkdir -p "$conf"
ids=()
cleanup() {
    for id in "${ids[@]}"; do jobworkerctl stop "$id" >/dev/null 2>&1 || true; done
    rm -f "$conf/84-retention.conf"
    restart_jobworkerd || true
}
trap cleanup EXIT
known() { jctl "$alice" status "$1" >/dev/null 2>&1; }

printf '[Jobs]\nFinishedRetentionSec=6\n' >"$conf/84-retention.conf"
restart_jobworkerd

info "a job finished 6 s ago is forgotten; a running one stays"
long="$(jctl "$alice" start -- sleep 300)"; ids+=("$long")
short="$(jctl "$alice" start -- sh -c 'echo retained-output')"
jctl "$alice" wait "$short"
known "$short" || fail "the finished job is gone at once"
wait_until 30 bash -c "! runuser -u $alice -- jobworkerctl status $short >/dev/null 2>&1" ||
    fail "the finished job is still known 30 s after FinishedRetentionSec=6"
[[ ! -e "/run/jobworker/jobs/$short.job" ]] || fail "record of the forgotten job left"
err="$(jctl "$alice" status "$short" 2>&1)" || true
assert_contains "$err" "No job $short" "status of a forgotten job"
known "$long" || fail "the running job was forgotten"
journalctl --sync
assert_contains "$(journalctl -u "jobworker-$short.scope" -o cat)" retained-output \
    "the forgotten job's output stays in the journal"
assert_contains "$(journalctl -u jobworkerd -o cat | grep "$short")" "FinishedRetentionSec" "the log says why"

info "a job that finished while the daemon was away is forgotten when it is back"
done_away="$(jctl "$alice" start -- sleep 2)"
systemctl stop jobworkerd
sleep 10
systemctl start jobworkerd
wait_until 20 bash -c "! runuser -u $alice -- jobworkerctl status $done_away >/dev/null 2>&1" ||
    fail "a job that finished while the daemon was stopped is kept past FinishedRetentionSec"
known "$long" || fail "the running job was forgotten after the restart"

info "MaxFinishedPerUser=2 (retention time off)"
printf '[Jobs]\nFinishedRetentionSec=infinity\nMaxFinishedPerUser=2\n' >"$conf/84-retention.conf"
systemctl reload jobworkerd
fin=()
for i in 1 2 3 4; do
    fin+=("$(jctl "$alice" start -- true)")
    jctl "$alice" wait "${fin[-1]}"
done
known "${fin[0]}" && fail "the oldest of 4 finished jobs is kept with MaxFinishedPerUser=2"
known "${fin[1]}" && fail "the second oldest of 4 finished jobs is kept with MaxFinishedPerUser=2"
known "${fin[2]}" || fail "the second newest finished job was forgotten"
known "${fin[3]}" || fail "the newest finished job was forgotten"
sleep 8
known "${fin[3]}" || fail "FinishedRetentionSec=infinity forgot a job"
