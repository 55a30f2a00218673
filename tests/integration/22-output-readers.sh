#!/bin/bash
# Many readers: 50 followers of one job, 20 waiting followers at 2 daemon fds
# each (one shared journal handle per job), a follower that falls behind and
# one beside it both exact, 200 across jobs on stock inotify limits (and
# within dbus-daemon's connections per user: one each), a stalled reader
# slows nobody, a reader that leaves frees all, and
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

daemon_fds() { ls "/proc/$(systemctl show -P MainPID jobworkerd)/fd" | wc -l; }
gate="$(mktemp -d -p /var/tmp)"; chmod 777 "$gate"

# Waiting followers share one journal handle per job: each costs the daemon
# its two pipes (stdout, stderr), not a journal handle per stream. The job
# runs (so the daemon stays) and prints only once all are counted.
id="$(jctl "$u" start -- sh -c "while [ ! -e $gate/go20 ]; do sleep 0.2; done; seq 20000")"
base_fds="$(daemon_fds)"
for i in $(seq 20); do
    sh -c "jobworkerctl logs -f $id | sha256sum >$dir/w$i" &
done
all_attached() { (( $(daemon_fds) >= base_fds + 40 )); }
wait_until 120 all_attached || fail "20 followers never attached: $(daemon_fds) fds, $base_fds before"
sleep 3  # any catching-up handle has been handed over or closed by now
fds="$(daemon_fds)"
info "20 waiting followers: $fds daemon fds, $base_fds before"
# Slack: the job's shared handle and the journal watch, each with every
# system journal file open, and the watch's inotify fd.
n_files="$(find /var/log/journal /run/log/journal -name 'system*.journal' 2>/dev/null | wc -l)"
(( fds <= base_fds + 40 + 2 * n_files + 2 )) || fail "20 waiting followers cost $((fds - base_fds)) fds (at most 2 each)"
touch "$gate/go20"
wait
want="$(seq 20000 | sha256sum)"
for i in $(seq 20); do
    assert_eq "$want" "$(cat "$dir/w$i")" "waiting follower $i of 20"
done

# A follower that falls behind (its pipe full) leaves the shared handle and
# catches up alone; neither it nor a fast one beside it loses a byte.
id="$(jctl "$u" start -- sh -c "while [ ! -e $gate/go2 ]; do sleep 0.2; done; seq 1000000")"
base_fds="$(daemon_fds)"
sh -c "jobworkerctl logs -f $id | (sleep 10; sha256sum) >$dir/slow" &
sh -c "jobworkerctl logs -f $id | sha256sum >$dir/fast" &
both_attached() { (( $(daemon_fds) >= base_fds + 4 )); }
wait_until 60 both_attached || fail "the two followers never attached"
touch "$gate/go2"
wait
want="$(seq 1000000 | sha256sum)"
assert_eq "$want" "$(cat "$dir/fast")" "the fast follower"
assert_eq "$want" "$(cat "$dir/slow")" "the slow follower"

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
