#!/bin/bash
# run -t: the job's stdio is a fresh pty of its own (its own devpts, owned
# by the caller, the job its session leader), proxied to the client's
# terminal, which goes raw and comes back as it was; typed lines, Ctrl-C
# and the window size reach the job, its exit status comes back, no output
# is lost at the end, and the output is in the journal too. Without -t
# nothing is a terminal. The client's terminal is a pty of script(1).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U="$TEST_USER1"
T="$(mktemp -d)"
chmod 0777 "$T"
trap 'rm -rf "$T"' EXIT

# in_pty USER COMMAND: COMMAND (a shell line) run by script(1) as USER on a
# pty of its own, with our stdin as its keyboard; prints what the terminal
# showed (CRs removed) and exits with COMMAND's status.
in_pty() {
    local user="$1" cmd="$2" rc=0
    as_user "$user" script -qec "$cmd" /dev/null >"$T/out" 2>&1 || rc=$?
    tr -d '\r' <"$T/out"
    return "$rc"
}

info "a terminal of its own: stdin, stdout, stderr; exit status through the pty"
rc=0
out="$(in_pty "$U" 'jobworkerctl run -t -- sh -c "test -t 0 && test -t 1 && test -t 2 && tty && exit 42"' </dev/null)" || rc=$?
assert_eq 42 "$rc" "exit status of run -t"
assert_contains "$out" "/dev/pts/0"

info "the job's own devpts: only its pty, owned by the caller; the job leads its session"
out="$(in_pty "$U" 'jobworkerctl run -t -- sh -c "ls /dev/pts | tr \"\\n\" \" \"; echo; stat -c owner=%U /dev/pts/0; ps -o sid= -p \$\$; echo pid=\$\$"' </dev/null)"
assert_contains "$out" "0 ptmx "
assert_contains "$out" "owner=$U"
sid="$(sed -n 's/^ *\([0-9][0-9]*\) *$/\1/p' <<<"$out" | head -n1)"
pid="$(sed -n 's/^pid=//p' <<<"$out")"
assert_eq "$pid" "$sid" "the job's session id (it is the session leader)"
# Its controlling terminal is that pty (job control works: sh -i).
out="$(in_pty "$U" 'jobworkerctl run -t -- sh -c "ps -o tty= -p \$\$"' </dev/null)"
assert_contains "$out" "pts/0"

info "with --root, the root's own /dev has the job's devpts"
home="$(getent passwd "$U" | cut -d: -f6)"
rootdir="$(as_user "$U" mktemp -d "$home/jw78.XXXXXX")"
trap 'rm -rf "$T" "$rootdir"' EXIT
as_user "$U" bash -c "mkdir $rootdir/bin && cp /bin/busybox $rootdir/bin/ && for a in sh ls test tty; do ln -s busybox $rootdir/bin/\$a; done"
rc=0
out="$(in_pty "$U" "jobworkerctl run -t --root=$rootdir -- sh -c 'test -t 0 && test -t 1 && tty && ls /dev/pts && exit 5'" </dev/null)" || rc=$?
assert_eq 5 "$rc" "exit status of run -t --root"
assert_contains "$out" "/dev/pts/0"
assert_contains "$out" "ptmx"

info "nothing in the host's /dev: a terminal job adds no host pty"
before="$(ls /dev/pts | sort)"
id="$(jctl "$U" start -t -- sleep 60)"
sleep 2
assert_eq running "$(job_field "$U" "$id" state)"
assert_eq "$before" "$(ls /dev/pts | sort)" "host /dev/pts while a terminal job runs"
jctl "$U" stop "$id"

info "without -t nothing is a terminal, even under one"
rc=0
in_pty "$U" 'jobworkerctl run -- sh -c "test -t 0 || test -t 1 || test -t 2"' </dev/null || rc=$?
assert_eq 1 "$rc" "test -t in a job without -t"

info "typed lines reach an interactive sh -i; Ctrl-C interrupts its foreground program, not the job"
rc=0
out="$( { sleep 6; printf 'echo typed-$((6*7))\r'; sleep 2; printf 'sleep 100\r'; sleep 3; printf '\003';
          sleep 2; printf 'echo after-interrupt\r'; sleep 2; printf 'exit 7\r'; sleep 10; } |
        in_pty "$U" 'jobworkerctl run -t -- sh -i')" || rc=$?
assert_eq 7 "$rc" "exit status of sh -i"
assert_contains "$out" "typed-42"
assert_contains "$out" "after-interrupt"

info "the window size arrives, at the start and when it changes"
out="$(in_pty "$U" 'stty rows 33 cols 101; jobworkerctl run -t -- stty size' </dev/null)"
assert_contains "$out" "33 101"
out="$(in_pty "$U" 'stty rows 20 cols 70
    jobworkerctl run -t -- sh -c "trap \"stty size; exit 0\" WINCH; stty size; sleep 30 & wait" &
    sleep 6; stty rows 44 cols 132; kill -WINCH $! 2>/dev/null; wait $!' </dev/null)"
assert_contains "$out" "20 70"
assert_contains "$out" "44 132"

info "the client's terminal is restored after the job ends and after the client is killed"
out="$(in_pty "$U" 'stty -g >'"$T"'/before
    jobworkerctl run -t -- true; stty -g >'"$T"'/after-end
    jobworkerctl run -t --name=pty-killed -- sleep 60 & sleep 6; kill -TERM $!; wait $!; echo "client rc=$?"
    stty -g >'"$T"'/after-kill' </dev/null)"
[[ -s "$T/before" ]] || fail "no terminal settings recorded: $out"
assert_eq "$(cat "$T/before")" "$(cat "$T/after-end")" "terminal settings after the job ended"
assert_eq "$(cat "$T/before")" "$(cat "$T/after-kill")" "terminal settings after the client got SIGTERM"
assert_contains "$out" "client rc=143"
# Like run without -t, the killed client stopped its job.
wait_until 30 bash -c "[[ \$(runuser -u $U -- jobworkerctl status --json pty-killed | jq -r .state) == finished ]]" ||
    fail "the job of a killed run -t client is still $(job_field "$U" pty-killed state)"
assert_eq stopped "$(job_field "$U" pty-killed result)"

info "the last output of a fast command is never lost (systemd#7531)"
for i in 1 2 3 4 5; do
    out="$(in_pty "$U" "jobworkerctl run -t -- echo fast-$i-end" </dev/null)"
    assert_contains "$out" "fast-$i-end"
done
out="$(in_pty "$U" 'jobworkerctl run -t --name=pty-seq -- sh -c "seq 1 20000; printf LAST-LINE"' </dev/null)"
assert_eq "LAST-LINE" "${out: -9}" "end of a fast command's terminal output"
assert_contains "$out" "19999"

info "what the terminal showed is in the journal as the job's output, byte for byte"
logs="$(jctl "$U" logs pty-seq | tr -d '\r')"
# Exactly what the terminal showed (that includes the pty's echo of
# anything typed, such as a NUL script(1) may send), the whole of seq's.
assert_eq "$out" "$logs" "logs of a terminal job against what its terminal showed"
[[ "$logs" == *"$(seq 2 20000; printf LAST-LINE)" ]] || fail "the journal lacks some of seq's output"
assert_eq 20000 "$(jctl "$U" logs pty-seq | grep -c $'\r$')" "lines of the journal ending in the pty's CR LF"

info "a terminal job's output stream carries only the job's bytes, whatever its name"
rc=0
in_pty "$U" "jobworkerctl run -t --name=pty-name -- $'sh\\njobworkerd: forged' -c true" </dev/null >/dev/null || rc=$?
assert_eq 127 "$rc" "exit status of a command that does not exist"
assert_eq "" "$(jctl "$U" logs pty-name)" "output of a terminal job whose command failed to start"

info "the escape (Ctrl-] three times) leaves a run -t --keep job running"
rc=0
out="$( { sleep 6; printf '\035\035\035'; sleep 4; } |
        in_pty "$U" 'jobworkerctl run -t --keep --name=pty-escape -- sleep 300')" || rc=$?
assert_eq 0 "$rc" "exit status after the escape"
assert_contains "$out" "Detached from job"
assert_eq running "$(job_field "$U" pty-escape state)" "state after the escape"
jctl "$U" stop pty-escape

info "-t needs a local bus"
rc=0
out="$(jobworkerctl -H "$U@localhost" run -t -- true 2>&1)" || rc=$?
assert_eq 2 "$rc" "run -t over -H"
assert_contains "$out" "needs a local bus"

info "a bad Terminal value is refused"
# StartJob(["true"], [], "", {Terminal: "yes"})
out="$(bus_error "$U" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob -- 'aayaayaya{sv}' \
        1 4 116 114 117 101 0 0 1 Terminal s yes)"
assert_eq org.jobworker1.Error.InvalidArgument "${out%%: *}" "error of a bad Terminal ($out)"
assert_contains "$out" 'neither "wait" nor "now"'

assert_no_failed_job_units
