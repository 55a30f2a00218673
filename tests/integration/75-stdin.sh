#!/bin/bash
# stdin (issue 11): run passes its stdin to the job byte for byte, EOF
# included, and a job that does not read it is not disturbed; start gives
# /dev/null unless --stdin=FILE, which the client opens as the caller (bob
# cannot pass alice's 0600 file); the daemon refuses an fd it cannot pass
# on as stdin, naming why; only the command holds its stdin.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U="$TEST_USER1" OTHER="$TEST_USER2"
BIN=/tmp/jw-stdin.bin PRIVATE=/tmp/jw-stdin-private
job_running() { [[ "$(job_field root "$1" state)" == running ]]; }
cleanup() { rm -f "$BIN" "$PRIVATE" /tmp/jw-stdin-wo; }
trap cleanup EXIT

check_user() {
    local u="$1" out rc
    info "order"
    out="$(printf 'b\na\n' | jctl "$u" run -- sort)"
    assert_eq $'a\nb' "$out" "sorted stdin of run for $u"

    info "3 MiB of binary through md5sum"
    out="$(jctl "$u" run -- md5sum <"$BIN")"
    assert_eq "$(md5sum <"$BIN")" "$out" "md5sum of the stdin run got"
    assert_eq 3145728 "$(jctl "$u" run -- wc -c <"$BIN")" "bytes the job read"

    info "EOF reaches the job"
    out="$(printf 'x' | jctl "$u" run -- sh -c 'cat >/dev/null; echo eof')"
    assert_eq eof "$out" "the job saw EOF"
    out="$(jctl "$u" run -- sh -c 'cat; echo rc=$?' </dev/null)"
    assert_eq rc=0 "$out" "an empty stdin"

    info "a job that does not read stdin is not disturbed"
    rc=0
    out="$({ yes 2>/dev/null || true; } | jctl "$u" run -- sh -c 'sleep 1; echo fine; exit 4')" || rc=$?
    assert_eq fine "$out" "output of a job that ignores its stdin"
    assert_eq 4 "$rc" "its exit code"

    info "stdin is never a terminal, and is the pipe we gave"
    out="$(echo | jctl "$u" run -- sh -c 'test -t 0 && echo tty || echo notty')"
    assert_eq notty "$out" "test -t 0 in the job"

    info "start gives /dev/null"
    local id
    id="$(echo secret | jctl "$u" start -- sh -c 'readlink /proc/self/fd/0; cat; echo rc=$?')"
    jctl "$u" wait "$id"
    assert_eq $'/dev/null\nrc=0' "$(jobworkerctl logs "$id")" "stdin of a started job"
}

head -c 3145728 /dev/urandom >"$BIN"
chmod 0644 "$BIN"
for_each_user check_user

info "--stdin=FILE is opened as the caller"
printf 'only for %s\n' "$U" >"$PRIVATE"
chown "$U" "$PRIVATE"
chmod 0600 "$PRIVATE"
id="$(jctl "$U" start --stdin="$PRIVATE" -- cat)"
jctl "$U" wait "$id"
assert_eq "only for $U" "$(jobworkerctl logs "$id")" "a started job's --stdin"
assert_eq "only for $U" "$(jctl "$U" run --stdin="$PRIVATE" -- cat)" "run --stdin"
rc=0
out="$(jctl "$OTHER" start --stdin="$PRIVATE" -- cat 2>&1)" || rc=$?
assert_ne 0 "$rc" "$OTHER passed $U's private file"
assert_contains "$out" "Permission denied"
assert_contains "$out" "$PRIVATE"
out="$(jctl "$U" start --stdin=relative -- cat 2>&1)" && fail "a missing --stdin file was accepted"
assert_contains "$out" "No such file or directory"
out="$(jctl "$U" start --keep -- true 2>&1)" && fail "start accepted --keep"
assert_contains "$out" "--keep is for run"

info "the daemon refuses an fd it cannot hand on as stdin"
: >/tmp/jw-stdin-wo
chmod 0666 /tmp/jw-stdin-wo
# run passes its fd 0 as it is: here one open for writing only.
out="$(jctl "$U" run -- true 0>>/tmp/jw-stdin-wo 2>&1)" && fail "a write-only stdin was accepted"
assert_contains "$out" "Stdin is not open for reading"
out="$(bus_error root call org.jobworker1 /org/jobworker1 org.jobworker1.Manager StartJob \
    'aayaayaya{sv}' 1 4 116 114 117 101 0 0 1 Stdin s x)"
assert_contains "$out" "org.jobworker1.Error.InvalidArgument"
assert_contains "$out" "Stdin"

info "only the command holds its stdin: not jobworkerd, not the shim, not init"
id="$(jctl "$U" start --stdin="$PRIVATE" -- sh -c 'sleep 60 <&0')"
wait_until 60 job_running "$id" || fail "job $id never ran"
holders=()
for p in $(cat "$(job_cgroup "$id")/cgroup.procs") "$(systemctl show -P MainPID jobworkerd.service)"; do
    if ls -l "/proc/$p/fd" 2>/dev/null | grep -q -- "-> $PRIVATE\$"; then
        holders+=("$(cat "/proc/$p/comm")")
    fi
done
shim="$(shim_pid "$id")"
[[ -n "$shim" ]] || fail "no shim for job $id"
if ls -l "/proc/$shim/fd" | grep -q -- "-> $PRIVATE\$"; then
    fail "the shim holds the job's stdin"
fi
dpid="$(systemctl show -P MainPID jobworkerd.service)"
if ls -l "/proc/$dpid/fd" | grep -q -- "-> $PRIVATE\$"; then
    fail "jobworkerd holds the job's stdin"
fi
# sh and sleep have it; init (a fork of the shim, "jobworker-shim" too)
# must not.
for h in "${holders[@]}"; do
    [[ "$h" == sh || "$h" == sleep ]] || fail "$h holds the job's stdin (holders: ${holders[*]})"
done
((${#holders[@]} > 0)) || fail "nobody holds the job's stdin: was it passed at all?"
jobworkerctl stop "$id"
assert_no_failed_job_units
