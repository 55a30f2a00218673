#!/bin/bash
# Finished jobs are bounded: a user who creates many finished jobs (with
# large command lines) cannot grow /run/jobworker/jobs or jobworkerd's
# memory past the caps; the oldest are forgotten first, the newest kept,
# per user and in total (JOBWORKERD_MAX_FINISHED_JOBS[_PER_USER]). Records
# are bounded in bytes as well (JOBWORKERD_MAX_RECORD_BYTES[_PER_USER]): a
# user cannot start jobs past that, and finished jobs keep 4 KiB of argv.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u1="$TEST_USER1" u2="$TEST_USER2"
dropin=/run/systemd/system/jobworkerd.service.d
mkdir -p "$dropin"
cleanup() {
    rm -f "$dropin/retention.conf"
    systemctl daemon-reload
    systemctl restart jobworkerd || true
}
trap cleanup EXIT
printf '[Service]\nEnvironment=JOBWORKERD_MAX_FINISHED_JOBS_PER_USER=5\nEnvironment=JOBWORKERD_MAX_FINISHED_JOBS=8\n' \
    >"$dropin/retention.conf"
systemctl daemon-reload
systemctl restart jobworkerd

records() { ls /run/jobworker/jobs | grep -c '\.job$' || true; }
known() { jctl "$1" status "$2" >/dev/null 2>&1; }
finished_of() { jctl "$1" list --all --json | jq -r '.[] | select(.state == "finished") | .id' | sort; }

# Starting from the caps: every earlier test's finished jobs are trimmed.
(( $(records) <= 8 )) || fail "$(records) records after a restart with a total cap of 8"

info "$u1 runs 8 jobs one after another"
ids=()
for i in $(seq 1 8); do
    id="$(jctl "$u1" start -- sh -c "exit $((i % 3))")"
    rc=0; jctl "$u1" wait "$id" || rc=$?
    assert_eq $((i % 3)) "$rc" "exit code of job $i"
    ids+=("$id")
done
for i in $(seq 0 2); do
    known "$u1" "${ids[i]}" && fail "job $((i + 1)) of 8 (${ids[i]}) is still known; the oldest go first"
    [[ ! -e "/run/jobworker/jobs/${ids[i]}.job" ]] || fail "record of forgotten job $((i + 1)) left behind"
done
for i in $(seq 3 7); do
    known "$u1" "${ids[i]}" || fail "job $((i + 1)) of 8 (${ids[i]}) was forgotten; the newest 5 stay"
    [[ -e "/run/jobworker/jobs/${ids[i]}.job" ]] || fail "record of job $((i + 1)) missing"
done
assert_eq "$(printf '%s\n' "${ids[@]:3}" | sort)" "$(finished_of "$u1")" "$u1's finished jobs: the newest 5"
# The output of a forgotten job stays in the journal.
journalctl --sync
assert_contains "$(journalctl -o cat "JOB_ID=${ids[0]}" MESSAGE_ID=f59ba56433e645aa8059e6d3f694ce8a)" "${ids[0]}" \
    "the finish record of a forgotten job stays in the journal"

info "$u2 runs 6: per user 5, in total 8 (oldest first: $u1's)"
ids2=()
for i in $(seq 1 6); do
    ids2+=("$(jctl "$u2" start -- true)")
    jctl "$u2" wait "${ids2[-1]}"
done
assert_eq "$(printf '%s\n' "${ids2[@]:1}" | sort)" "$(finished_of "$u2")" "$u2's finished jobs: the newest 5"
assert_eq "$(printf '%s\n' "${ids[@]:5}" | sort)" "$(finished_of "$u1")" "$u1 keeps the newest 3 under the total cap"
(( $(records) <= 8 )) || fail "$(records) records with a total cap of 8"

info "many finished jobs with ~800 KiB command lines: /run and RSS stay bounded"
big="$(head -c 100000 /dev/zero | tr '\0' a)"
args=(); for k in $(seq 8); do args+=("$big"); done
daemon_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$(systemctl show -P MainPID jobworkerd)/status"; }
run_big() {
    local n="$1" id
    for i in $(seq 1 "$n"); do
        id="$(jctl "$u1" start -- true "${args[@]}")"
        jctl "$u1" wait "$id"
    done
}
run_big 6
rss0="$(daemon_rss)"
run_big 8
rss1="$(daemon_rss)"
size="$(du -sk /run/jobworker/jobs | cut -f1)"
info "RSS ${rss0} KiB -> ${rss1} KiB after 8 more; /run/jobworker/jobs ${size} KiB"
# 5 records of 1.6 MB (hex) at most for u1, tiny ones for u2.
(( size <= 5 * 1700 + 200 )) || fail "/run/jobworker/jobs grew to ${size} KiB"
# Kept, 8 more would be 6400 KB at least.
(( rss1 - rss0 < 3000 )) || fail "jobworkerd's RSS grew by $((rss1 - rss0)) KiB over 8 finished jobs of 800 KB"
(( $(records) <= 8 )) || fail "$(records) records with a total cap of 8"

info "record bytes: running jobs are bounded in bytes too, per user and in all"
# Before, only counts bounded records: 64 running jobs of 2 MiB each (4 MiB
# in /run) per user were allowed.
printf '[Service]\nEnvironment=JOBWORKERD_MAX_RECORD_BYTES_PER_USER=3000000\nEnvironment=JOBWORKERD_MAX_RECORD_BYTES=5000000\n' \
    >"$dropin/retention.conf"
systemctl daemon-reload
systemctl restart jobworkerd
mb=(); for k in $(seq 10); do mb+=("$big"); done   # 1 MB of arguments: a ~2 MB record
start_mb() { jctl "$1" start -- sh -c 'sleep 300' sh "${mb[@]}"; }
a="$(start_mb "$u1")"
rc=0; out="$(start_mb "$u1" 2>&1)" || rc=$?
(( rc != 0 )) || { jctl "$u1" stop "$out" >/dev/null 2>&1 || true; fail "$u1 started a second 2 MB job past a 3 MB budget"; }
assert_contains "$out" "bytes one user may have" "why $u1's second large job was refused"
b="$(start_mb "$u2")"    # another user's share is their own...
rc=0; out="$(start_mb root 2>&1)" || rc=$?
(( rc != 0 )) || { jctl root stop "$out" >/dev/null 2>&1 || true; fail "root started a 2 MB job past a 5 MB total"; }
assert_contains "$out" "bytes all users may have" "...but the total is shared (root included)"
size="$(du -sk /run/jobworker/jobs | cut -f1)"
(( size <= 5000 )) || fail "/run/jobworker/jobs holds ${size} KiB with a total budget of 5 MB"
# Once finished, a job keeps 4 KiB of its command line: it makes room.
jctl "$u1" stop "$a" >/dev/null
rc=0; jctl "$u1" wait "$a" || rc=$?
assert_eq finished "$(job_field "$u1" "$a" state)"
rsize="$(stat -c %s "/run/jobworker/jobs/$a.job")"
(( rsize <= 16384 )) || fail "a finished job's record keeps ${rsize} bytes"
csize="$(job_json "$u1" "$a" | jq -r '.command | join(" ") | length')"
(( csize <= 4096 )) || fail "a finished job's command is ${csize} bytes long"
assert_eq sh "$(job_json "$u1" "$a" | jq -r '.command[0]')" "a finished job's command starts as it did"
a2="$(start_mb "$u1")"
jctl "$u1" stop "$a2" >/dev/null
jctl "$u2" stop "$b" >/dev/null
jctl "$u1" wait "$a2" || true
jctl "$u2" wait "$b" || true

info "a lower cap applies at start-up"
printf '[Service]\nEnvironment=JOBWORKERD_MAX_FINISHED_JOBS_PER_USER=2\nEnvironment=JOBWORKERD_MAX_FINISHED_JOBS=3\n' \
    >"$dropin/retention.conf"
systemctl daemon-reload
systemctl restart jobworkerd
jctl "$u1" list --all >/dev/null
(( $(records) <= 3 )) || fail "$(records) records after a restart with a total cap of 3"
(( $(finished_of "$u1" | wc -l) <= 2 )) || fail "more than 2 finished jobs for $u1 after a restart with a cap of 2"

info "an invalid cap makes the daemon refuse to start"
printf '[Service]\nEnvironment=JOBWORKERD_MAX_FINISHED_JOBS_PER_USER=-1\n' >"$dropin/retention.conf"
systemctl daemon-reload
if systemctl restart jobworkerd 2>/dev/null; then
    fail "jobworkerd started with JOBWORKERD_MAX_FINISHED_JOBS_PER_USER=-1"
fi
