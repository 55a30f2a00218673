#!/bin/bash
# Many readers: 50 followers of one job, 200 across jobs on stock inotify
# limits, a stalled reader slows nobody, a reader that leaves frees all, and
# output stays readable across jobworkerd restarts, logs -f resuming exactly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1"
dir="$(mktemp -d)"; chmod 777 "$dir"
assert_eq 128 "$(cat /proc/sys/fs/inotify/max_user_instances)" "stock inotify instance limit"

# 50 followers of one job, attached before it prints. (Followers run as root,
# who may read every job: 250 runuser sessions would only test PAM.)
id="$(jctl "$u" start -- sh -c 'sleep 5; seq 20000')"
for i in $(seq 50); do
    sh -c "jobworkerctl logs -f $id | sha256sum >$dir/f$i" &
done
wait
want="$(seq 20000 | sha256sum)"
for i in $(seq 50); do
    assert_eq "$want" "$(cat "$dir/f$i")" "follower $i of 50"
done

# 200 followers across 20 jobs.
ids=()
for j in $(seq 20); do
    ids+=("$(jctl "$u" start -- sh -c "sleep 8; seq $((j * 100))")")
done
for j in $(seq 20); do
    for i in $(seq 10); do
        sh -c "jobworkerctl logs -f ${ids[j-1]} | sha256sum >$dir/g$j-$i" &
    done
done
wait
for j in $(seq 20); do
    want="$(seq $((j * 100)) | sha256sum)"
    for i in $(seq 10); do
        assert_eq "$want" "$(cat "$dir/g$j-$i")" "follower $i of job $j"
    done
done

# A stalled reader slows neither the job nor another reader, and a reader
# that goes away releases what it held.
daemon_fds() { ls "/proc/$(systemctl show -P MainPID jobworkerd)/fd" | wc -l; }
base_fds="$(daemon_fds)"
id="$(jctl "$u" start -- sh -c 'sleep 3; head -c 20000000 /dev/zero')"
as_user "$u" sh -c "jobworkerctl logs -f $id | (sleep 100; cat >/dev/null)" &
stalled=$!
got="$(timeout 200 jobworkerctl logs -f "$id" | wc -c)"
assert_eq 20000000 "$got" "bytes to the reader beside a stalled one"
assert_eq finished "$(job_field "$u" "$id" state)" "the job finished despite the stalled reader"
kill "$stalled" 2>/dev/null || true
pkill -u "$u" -f "jobworkerctl logs -f $id" || true
wait "$stalled" 2>/dev/null || true
fds_back() { (( $(daemon_fds) <= base_fds )); }
wait_until 30 fds_back \
    || fail "daemon holds $(daemon_fds) fds after readers left (had $base_fds)"

# Output of a job from before a restart stays readable.
id="$(jctl "$u" start -- seq 1000)"
jctl "$u" wait "$id"
systemctl restart jobworkerd
assert_eq "$(seq 1000 | sha256sum)" "$(jctl "$u" logs "$id" | sha256sum)" "output after restart"

# logs -f that loses its daemon mid-stream resumes: no gap, no duplicate.
id="$(jctl "$u" start -- sh -c 'for i in $(seq 1 40); do echo line-$i; sleep 0.25; done')"
as_user "$u" sh -c "jobworkerctl logs -f $id >$dir/resume" &
follower=$!
sleep 4
systemctl restart jobworkerd
sleep 3
systemctl kill -s KILL jobworkerd
wait "$follower" || fail "logs -f failed across daemon restarts"
assert_eq "$(seq 1 40 | sed 's/^/line-/')" "$(cat "$dir/resume")" "logs -f across restarts"
