#!/bin/bash
# Soak: mixed load from three users (root, $TEST_USER1, $TEST_USER2) for
# JOBWORKER_SOAK_SEC seconds (default 120, a few minutes in all; 1800 for
# the 30-minute soak, see tests/vm/README.md): `run`, `start` + `wait`,
# graceful stops and stops with a short timeout, several `logs -f` followers
# per job, bad input over busctl (wrong types and values, unknown ids, other
# users' ids), and, in the first part, SIGKILLs of jobworkerd at random
# moments (D-Bus activation brings it back).
#
# Every job runs a deterministic command: its output and exit status follow
# from its parameters. The load runs in rounds; after each round (a quiet
# point) every job of the round is checked and then removed: it exists
# exactly once, it finished, its result and exit status (status --json and
# wait) are the expected ones, its whole output (logs) is byte for byte the
# expected one, and every follower and `run` got exactly that output;
# nothing lost across the SIGKILLs. A client call may only fail if a SIGKILL
# fell into it (then the job, if it exists, must still be consistent).
#
# The second part has no SIGKILLs, so it is one daemon lifetime: after a
# warm-up round, jobworkerd's open fds and memory (/proc/PID/fd,
# /proc/PID/status) are sampled at the quiet point after every round and
# must not grow beyond FD_TOLERANCE fds and the RSS tolerances below.
#
# Settings (environment): JOBWORKER_SOAK_SEC (load seconds in all),
# JOBWORKER_SOAK_SEED (random seed, printed, to replay a run),
# JOBWORKER_SOAK_WORKERS (concurrent job loops per user, default 1, 2 from
# 600 s on).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

SOAK_SEC="${JOBWORKER_SOAK_SEC:-120}"
[[ "$SOAK_SEC" =~ ^[0-9]+$ ]] && ((SOAK_SEC >= 60)) || fail "JOBWORKER_SOAK_SEC must be a number >= 60"
SEED="${JOBWORKER_SOAK_SEED:-$((RANDOM * 32768 + RANDOM))}"
# Job loops per user: one in CI (2 vCPUs under TCG, and the test must stay
# well inside the 300 s per-test limit), two in a long soak.
WORKERS="${JOBWORKER_SOAK_WORKERS:-$((SOAK_SEC >= 600 ? 2 : 1))}"
USERS=(root "$TEST_USER1" "$TEST_USER2")

# Time split: 60 % of the load with SIGKILLs, then the steady part (a
# warm-up round and at least one measured round). In a long soak rounds
# are two minutes, so that a round's jobs stay few (finished jobs are removed
# after each round; no user's jobs pile up), whatever the total length.
CHAOS_SEC=$((SOAK_SEC * 6 / 10))
STEADY_SEC=$((SOAK_SEC - CHAOS_SEC))
# (In CI the SIGKILL part is one round: every round's end costs a tail of
# jobs and the checks.)
ROUND_SEC=$((SOAK_SEC >= 600 ? 120 : 90))
CHAOS_ROUNDS=$(( (CHAOS_SEC + ROUND_SEC - 1) / ROUND_SEC ))
STEADY_ROUNDS=$(( (STEADY_SEC + ROUND_SEC - 1) / ROUND_SEC ))
((STEADY_ROUNDS >= 2)) || STEADY_ROUNDS=2
CHAOS_ROUND_SEC=$((CHAOS_SEC / CHAOS_ROUNDS))
STEADY_ROUND_SEC=$((STEADY_SEC / STEADY_ROUNDS))
# SIGKILL every KILL_MIN..KILL_MAX s: at least 5 s apart, so systemd's start
# rate limit (5 starts in 10 s) is never what fails.
KILL_MIN=5 KILL_MAX=15
# Tolerances at the quiet points of the steady part, final vs. after the
# warm-up round: open fds, and RssAnon (the heap) in KiB. VmRSS is shown
# too but also holds mapped journal files, which grow with the journal.
FD_TOLERANCE=2
# (Measured on main: 9 fds, RssAnon about 750 KiB, VmRSS about 4 MiB.)
ANON_TOLERANCE_KIB=$((SOAK_SEC >= 600 ? 2048 : 1024))
# Every client call is bounded: a hang fails the test instead of waiting.
CALL_TIMEOUT=90
WAIT_TIMEOUT=240

info "soak: ${SOAK_SEC}s of load (seed $SEED, $WORKERS job loops per user): $CHAOS_ROUNDS rounds of ${CHAOS_ROUND_SEC}s with SIGKILLs, $STEADY_ROUNDS of ${STEADY_ROUND_SEC}s without (the first to warm up)"

dir="$(mktemp -d /tmp/soak.XXXXXX)"
chmod 0755 "$dir"
bg_pids=()
anchor=""
cleanup() {
    local p
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [[ -z "$anchor" ]] || jobworkerctl stop --timeout=5 "$anchor" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

# The job: prints N numbered lines (every fourth to stderr), pausing PAUSE s
# every 8 lines, then "SEED end", and exits with CODE. MODE "term" traps
# SIGTERM (prints "SEED term", exits 42), "ignore" ignores it (SIG_IGN
# survives exec, so its sleeps ignore it too), "plain" dies of it.
# shellcheck disable=SC2016
JOB_SCRIPT='seed=$1 n=$2 code=$3 pause=$4 mode=$5
case $mode in
term) trap "echo \"$seed term\"; exit 42" TERM ;;
ignore) trap "" TERM ;;
esac
i=1
while [ $i -le $n ]; do
    if [ $((i % 4)) -eq 0 ]; then
        echo "$seed stderr line $i" >&2
    else
        echo "$seed stdout line $i: the quick brown fox jumps over the lazy dog $((i * 7919 % 1000))"
    fi
    if [ $((i % 8)) -eq 0 ] && [ "$pause" != 0 ]; then sleep "$pause"; fi
    i=$((i + 1))
done
echo "$seed end"
exit $code'

STOP_MODES=(plain term ignore)
# Exit codes: not 1 or 2, which jobworkerctl uses for its own failures.
CODES=(0 3 4 5 6 7)

now() { echo "$EPOCHREALTIME"; }

# failure MESSAGE: note a failed check (the test fails after the round);
# callable from the background loops.
failure() {
    echo "FAIL: $*" >&2
    echo "$*" >>"$dir/failures"
}

# killed_during T0 T1: a SIGKILL of the daemon fell into [T0 - 2, T1 + 2].
killed_during() {
    [[ -s "$dir/kills" ]] || return 1
    awk -v a="$1" -v b="$2" 'BEGIN { r = 1 } $1 >= a - 2 && $1 <= b + 2 { r = 0 } END { exit r }' "$dir/kills"
}

# ctl USER ARGS...: jobworkerctl, bounded by CALL_TIMEOUT.
ctl() {
    local user="$1"; shift
    if [[ "$user" == root ]]; then
        timeout -k 5 "$CALL_TIMEOUT" jobworkerctl "$@"
    else
        (cd / && timeout -k 5 "$CALL_TIMEOUT" runuser -u "$user" -- jobworkerctl "$@")
    fi
}

# follow USER ID FILE: `logs -f` into FILE.out/.err, status into FILE.rc.
follow() {
    local rc=0 t0; t0="$(now)"
    ctl "$1" logs -f "$2" >"$3.out" 2>"$3.err" || rc=$?
    echo "$rc $t0 $(now)" >"$3.rc"
}

# --- the load -----------------------------------------------------------

# job_loop USER WORKER ROUND DEADLINE: jobs one after another until DEADLINE.
job_loop() {
    trap - ERR
    set +e
    local user="$1" w="$2" round="$3" deadline="$4" k=0
    local rdir="$dir/r$round" seed kind n code pause mode id rc t0 t1 f nf fpids
    RANDOM=$((SEED % 30000 + round * 64 + w))
    while (($(date +%s) < deadline)); do
        k=$((k + 1))
        seed="r${round}w${w}j${k}"
        local r=$((RANDOM % 100))
        if ((r < 25)); then kind=run
        elif ((r < 55)); then kind=follow
        elif ((r < 80)); then kind=stop
        elif ((r < 90)); then kind=quick
        else kind=nocmd
        fi
        n=$((8 + RANDOM % 48)) code=${CODES[RANDOM % ${#CODES[@]}]} pause=0.$((1 + RANDOM % 3)) mode=plain
        case $kind in
        quick) n=$((1 + RANDOM % 8)) pause=0 ;;
        stop) n=200 mode=${STOP_MODES[RANDOM % 3]} ;;
        esac
        local rec="$rdir/$seed"
        local cmd=(sh -c "$JOB_SCRIPT" sh "$seed" "$n" "$code" "$pause" "$mode")
        [[ $kind == nocmd ]] && cmd=("/nonexistent/$seed")
        printf 'user=%q kind=%q n=%q code=%q mode=%q\n' "$user" "$kind" "$n" "$code" "$mode" >"$rec.rec"
        t0="$(now)" rc=0 id=""
        if [[ $kind == run ]]; then
            ctl "$user" run -- "${cmd[@]}" >"$rec.run.out" 2>"$rec.run.err" || rc=$?
            printf 'run_rc=%q run_t0=%q run_t1=%q\n' "$rc" "$t0" "$(now)" >>"$rec.rec"
            continue
        fi
        id="$(ctl "$user" start -- "${cmd[@]}" 2>"$rec.start.err")" || rc=$?
        t1="$(now)"
        printf 'start_rc=%q start_t0=%q start_t1=%q id=%q\n' "$rc" "$t0" "$t1" "$id" >>"$rec.rec"
        ((rc == 0)) || continue
        echo "$id" >>"$dir/ids.$user"
        [[ $kind == quick ]] && continue      # nobody waits for it
        fpids=()
        nf=$((1 + RANDOM % 3))
        [[ $kind == stop ]] && nf=2
        for ((f = 1; f < nf; f++)); do
            follow "$user" "$id" "$rec.f$f" &
            fpids+=($!)
            sleep 0.$((RANDOM % 10))
        done
        if [[ $kind == stop ]]; then
            sleep $((1 + RANDOM % 4))
            local timeout=30
            [[ $mode == ignore ]] && timeout=1
            t0="$(now)" rc=0
            ctl "$user" stop --timeout=$timeout "$id" >/dev/null 2>"$rec.stop.err" || rc=$?
            printf 'stop_rc=%q stop_t0=%q stop_t1=%q\n' "$rc" "$t0" "$(now)" >>"$rec.rec"
        fi
        t0="$(now)" rc=0
        ctl "$user" wait "$id" >/dev/null 2>"$rec.wait.err" || rc=$?
        printf 'wait_rc=%q wait_t0=%q wait_t1=%q\n' "$rc" "$t0" "$(now)" >>"$rec.rec"
        # One more follower after the end: it gets everything and stops.
        follow "$user" "$id" "$rec.f$nf"
        for f in "${fpids[@]}"; do wait "$f"; done
    done
}

# bad_loop USER DEADLINE: calls that must fail, and change nothing (the
# jobs they aim at are checked at the end of the round like all others).
bad_loop() {
    trap - ERR
    set +e
    local user="$1" deadline="$2" k=0 rc victim vpath own what
    local M=("$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE") J=org.jobworker1.Job
    RANDOM=$((SEED % 30000 + 7 + ${#user}))
    while (($(date +%s) < deadline)); do
        k=$((k + 1))
        victim="" own=""
        if [[ $user != root ]]; then
            victim="$(cat "$dir"/ids.* 2>/dev/null | grep -vxF -f <(cat "$dir/ids.$user" 2>/dev/null; echo none) | shuf -n1)"
        fi
        own="$(shuf -n1 "$dir/ids.$user" 2>/dev/null)"
        local call=()
        case $((RANDOM % 12)) in
        0) call=(call "${M[@]}" StartJob s true) ;;
        1) call=(call "${M[@]}" StartJob 'aayaayaya{sv}' 0 0 0 0) ;;
        2) call=(call "${M[@]}" StartJob 'aayaayaya{sv}' 1 4 116 114 117 101 0 0 1 MemoryMax s 64M) ;;
        3) call=(call "${M[@]}" StartJob 'aayaayaya{sv}' 1 4 116 114 117 101 0 0 1 TasksMax t 0) ;;
        4) call=(call "${M[@]}" GetJob s "nope/..") ;;
        5) call=(call "${M[@]}" GetJob s "$(printf '%012x' $((RANDOM * RANDOM)))") ;;
        6) call=(call "$BUS_NAME" "/org/jobworker1/job/$(printf '%012x' $((RANDOM * RANDOM)))" "$J" Stop t 0) ;;
        7) [[ -n $own ]] && call=(call "$BUS_NAME" "/org/jobworker1/job/$own" "$J" Stop t 18446744073709551615) ;;
        8) [[ -n $own ]] && call=(call "$BUS_NAME" "/org/jobworker1/job/$own" "$J" GetOutput 'a{sv}' 1 Follow s yes) ;;
        *)
            [[ -n $victim ]] || continue
            vpath="/org/jobworker1/job/$victim"
            case $((RANDOM % 5)) in
            0) call=(call "${M[@]}" GetJob s "$victim") ;;
            1) call=(call "$BUS_NAME" "$vpath" "$J" Stop t 1000000) ;;
            2) call=(call "$BUS_NAME" "$vpath" "$J" Remove) ;;
            3) call=(call "$BUS_NAME" "$vpath" "$J" GetOutput 'a{sv}' 0) ;;
            4) call=(get-property "$BUS_NAME" "$vpath" "$J" State) ;;
            esac
            ;;
        esac
        ((${#call[@]})) || continue
        rc=0
        what="busctl ${call[*]:0:6} as $user"
        if [[ $user == root ]]; then
            timeout -k 5 "$CALL_TIMEOUT" busctl "${call[@]}" >/dev/null 2>&1 || rc=$?
        else
            (cd / && timeout -k 5 "$CALL_TIMEOUT" runuser -u "$user" -- busctl "${call[@]}") >/dev/null 2>&1 || rc=$?
        fi
        case $rc in
        0) failure "bad call succeeded: $what" ;;
        124|137) failure "bad call hung for ${CALL_TIMEOUT}s: $what" ;;
        esac
        echo "$rc" >>"$dir/bad.count"
        sleep 1.$((RANDOM % 10))
    done
}

# kill_loop DEADLINE: SIGKILLs jobworkerd at random moments.
kill_loop() {
    trap - ERR
    set +e
    local deadline="$1" pid pause
    RANDOM=$((SEED % 30000 + 3))
    while :; do
        pause=$((KILL_MIN + RANDOM % (KILL_MAX - KILL_MIN + 1)))
        (($(date +%s) + pause < deadline)) || break
        sleep "$pause.$((RANDOM % 10))"
        pid="$(systemctl show -P MainPID "$SERVICE")"
        [[ "$pid" != 0 ]] || continue    # not running (idle exit, restart)
        echo "$(now) $pid" >>"$dir/kills"
        systemctl kill -s KILL "$SERVICE"
    done
}

# round N SECONDS KILLS: one round of load, then waits for all its loops.
round() {
    local round="$1" sec="$2" kills="$3" deadline u w=0 i pids=()
    deadline=$(($(date +%s) + sec))
    mkdir -p "$dir/r$round"
    for u in "${USERS[@]}"; do
        for ((i = 0; i < WORKERS; i++)); do
            w=$((w + 1))
            job_loop "$u" "$w" "$round" "$deadline" &
            pids+=($!)
        done
        bad_loop "$u" "$deadline" &
        pids+=($!)
    done
    if [[ $kills == yes ]]; then
        kill_loop "$deadline" &
        pids+=($!)
    fi
    bg_pids=("${pids[@]}")
    # Bounded: a loop ends after its deadline once its current job is done.
    local limit=$((SECONDS + sec + WAIT_TIMEOUT + 2 * CALL_TIMEOUT))
    for i in "${pids[@]}"; do
        while kill -0 "$i" 2>/dev/null; do
            ((SECONDS < limit)) || fail "round $round: load loops did not end (hung client?)"
            sleep 1
        done
        wait "$i" || true
    done
    bg_pids=()
}

# --- the checks ---------------------------------------------------------

# job_table: for each job of a `list --all --json` array on stdin, one
# line: seed, id, state, result, exit code, signal, owner uid, start and
# finish time (µs) and the status run/wait must exit with (jobworkerctl(1)),
# "-" for null. One jq for all jobs: under TCG every process counts.
job_table() {
    jq -r '.[] | [
        (if .command[0] == "sh" then .command[4] else (.command[0] | sub("^/nonexistent/"; "")) end),
        .id, .state, .result, .exit_code, .signal, .owner_uid, .start_timestamp, .finish_timestamp,
        (if .result == "success" then 0
         elif .result == "exit-code" then .exit_code
         elif .result == "signal" or .result == "timeout" then 128 + .signal
         elif .result == "oom-kill" then 137
         elif .result == "stopped" then
             (if .signal != null then 128 + .signal elif (.exit_code // 0) != 0 then .exit_code else 143 end)
         elif .result == "start-failed" then
             (if (.status_text // "") | test("No such file or directory") then 127 else 126 end)
         else null end)
    ] | map(if . == null then "-" else tostring end) | join(" ")'
}

# show_diff GOT EXPECTED: where they differ (into the test's log).
show_diff() {
    { echo "    $(wc -l <"$1") lines, expected $(wc -l <"$2"); lines missing (-) and extra (+), the first 10 of each:"
      diff "$2" "$1" | grep '^<' | head -10 | sed 's/^</    -/'
      diff "$2" "$1" | grep '^>' | head -10 | sed 's/^>/    +/'; } >&2
}

# same FILE EXPECTED WHAT: FILE is byte for byte EXPECTED.
same() {
    cmp -s "$1" "$2" && return 0
    failure "$3: differs from the expected output ($(wc -c <"$1") bytes, expected $(wc -c <"$2"); first difference: $(cmp "$1" "$2" 2>&1 | head -1))"
    show_diff "$1" "$2"
    return 1
}

# line_prefix FILE EXPECTED: FILE is empty or whole lines from EXPECTED's start.
line_prefix() {
    local size; size="$(stat -c %s "$1")"
    ((size == 0)) && return 0
    [[ "$(tail -c1 "$1" | od -An -c | tr -d ' ')" == '\n' ]] || return 1
    cmp -s "$1" <(head -c "$size" "$2")
}

# job_lines ID FILE: a client's stderr without the notes jobworkerctl adds
# there while the daemon is away (see src/ctl/wait.c, output.c).
job_lines() {
    grep -av -e "^Could not reach jobworkerd (.*), \(still trying to read the output of\|retrying to wait for\) job $1\.\.\.\$" \
        -e "^Lost the connection to the bus, reconnecting to wait for job $1\.\.\.\$" \
        -e "^In contact with jobworkerd again (job $1)\.\$" "$2" || true
}

# check_user ROUND USER: checks, then removes, every job of USER's in ROUND.
check_user() {
    trap - ERR
    set +e
    local round="$1" owner="$2" rdir="$dir/r$1" list rec seed nid id line uid
    local state result ecode esig juid jstart jfinish want x f k
    local -A jobs=()
    local kills_us=()
    uid="$(id -u "$owner")"
    list="$(ctl "$owner" list --all --json)" || { failure "list --all --json as $owner failed"; return; }
    while read -r line; do
        seed="${line%% *}"
        jobs[$seed]+="${jobs[$seed]:+|}${line#* }"
    done < <(job_table <<<"$list")
    [[ -s "$dir/kills" ]] && mapfile -t kills_us < <(awk '{ printf "%.0f\n", $1 * 1000000 }' "$dir/kills")
    for rec in "$rdir"/*.rec; do
        local user="" kind="" n="" code="" mode="" id="" run_rc="" run_t0="" run_t1="" start_rc="" start_t0="" start_t1=""
        local stop_rc="" stop_t0="" stop_t1="" wait_rc="" wait_t0="" wait_t1=""
        # shellcheck disable=SC1090
        source "$rec"
        [[ "$user" == "$owner" ]] || continue
        seed="${rec##*/}" seed="${seed%.rec}"
        local p="$rdir/$seed" J="job $seed of $user ($kind" entries="${jobs[${seed}]:-}"
        nid=0
        [[ -z "$entries" ]] || nid=$(($(tr -cd '|' <<<"$entries" | wc -c) + 1))
        read -r id state result ecode esig juid jstart jfinish want <<<"${entries%%|*}"
        J+="${id:+, $id})"
        echo "$J" >>"$dir/checked"
        # May the start have failed? Only if a SIGKILL fell into it.
        local maybe=no
        if [[ $kind == run && $run_rc != "$code" ]] || [[ $kind != run && $start_rc != 0 ]]; then
            # (run exits at once when StartJob fails: its window is the call.)
            if { [[ $kind != run ]] || grep -q "Failed to start job" "$p.run.err"; } &&
                killed_during "${start_t0:-$run_t0}" "${start_t1:-$run_t1}"; then
                maybe=yes
            else
                failure "$J: start/run failed (status ${start_rc:-$run_rc}) without a SIGKILL: $(cat "$p.start.err" "$p.run.err" 2>/dev/null | tail -3)"
                continue
            fi
        fi
        if [[ $maybe == yes ]]; then
            ((nid <= 1)) || { failure "$J: $nid jobs for one start"; continue; }
            echo "$J" >>"$dir/start-unknown"
            ((nid == 1)) || continue
        else
            ((nid == 1)) || { failure "$J: $nid jobs (expected exactly one): job lost?"; continue; }
            if [[ $kind != run ]]; then
                local started; started="$(grep -o 'id=[0-9a-f]*' "$rec")"
                [[ "${started#id=}" == "$id" ]] || failure "$J: start said ${started#id=}"
            fi
        fi
        [[ "$juid" == "$uid" ]] || failure "$J: owner uid $juid, expected $uid"
        if [[ $state != finished ]]; then
            # Nobody waited for the "quick" ones; the others must be done.
            [[ $kind == quick || $maybe == yes ]] || failure "$J: state $state after wait"
            ctl "$user" wait "$id" >/dev/null 2>&1
            read -r _ id state result ecode esig juid jstart jfinish want \
                < <(ctl "$user" status --json "$id" | jq -s . | job_table)
            [[ $state == finished ]] || { failure "$J: state $state after wait: stuck"; continue; }
        fi
        # The expected output: the same command, without pauses.
        sh -c "$JOB_SCRIPT" sh "$seed" "$n" "$code" 0 plain >"$p.exp.out" 2>"$p.exp.err"
        # Output, as the daemon gives it back now (as root: no runuser and
        # no polkit query, the checks are many).
        ctl root logs "$id" >"$p.out" 2>"$p.err" || failure "$J: logs failed"
        local complete=yes
        case $kind/$maybe/$result in
        nocmd/*/start-failed|*/yes/start-failed)
            [[ $want == 127 || $kind != nocmd ]] || failure "$J: start-failed, but not 'not found' (want $want)"
            # (Its stderr may say why: the shim's "Failed to execute ...".)
            [[ ! -s "$p.out" ]] || failure "$J: start-failed job has output on stdout"
            complete=no
            ;;
        nocmd/*)
            failure "$J: result $result, expected start-failed"; continue ;;
        stop/no/stopped)
            complete=no
            case $mode in
            plain) x=-/15 ;;
            term) x=42/- ;;
            ignore) x=-/9 ;;
            esac
            # The stop can reach a job in its last moments: it then ends by
            # itself, all its output written, with its own exit code.
            if [[ "$ecode/$esig" == "$code/-" ]] && [[ "$(tail -n 1 "$p.out")" == "$seed end" ]]; then
                x="$code/-"
            fi
            [[ "$ecode/$esig" == "$x" ]] || failure "$J: stopped ($mode): exit code/signal $ecode/$esig, expected $x"
            # The output is cut where the signal fell, after a whole line.
            # Its trap may add "SEED term" to stdout, and the shell reports
            # a sleep killed by the SIGTERM ("Terminated") on stderr.
            cp "$p.out" "$p.cut"
            cp "$p.err" "$p.cut.err"
            [[ $mode != term ]] || sed -i "\${/^$seed term\$/d}" "$p.cut"
            sed -i '${/^Terminated$/d}' "$p.cut.err"
            line_prefix "$p.cut" "$p.exp.out" ||
                { failure "$J: stopped ($mode) job's stdout is not a prefix of its output"; show_diff "$p.cut" "$p.exp.out"; }
            line_prefix "$p.cut.err" "$p.exp.err" ||
                { failure "$J: stopped ($mode) job's stderr is not a prefix of its output"; show_diff "$p.cut.err" "$p.exp.err"; }
            ;;
        stop/*/success|stop/*/exit-code)
            # It ended before the stop got to it: the stop failed, or it came
            # in the job's last moments (the command had exited, the daemon
            # not yet told), and a command that exited 0 by itself keeps its
            # success (job_outcome_decide()): all its output is there, and it
            # finished right after the stop was asked for (not seconds later,
            # as one that never got its SIGTERM would).
            if [[ ${stop_rc:-1} == 0 ]] &&
                ! [[ $result == success && "$(tail -n 1 "$p.out")" == "$seed end" && $jfinish != - &&
                     $jfinish -le $((${stop_t0/./} + 3000000)) ]]; then
                failure "$J: stop succeeded, but the job ended with $result (finished at $jfinish, stop at $stop_t0)"
            fi
            ;;
        */success|*/exit-code) ;;
        *)
            failure "$J: result $result (exit code $ecode, signal $esig), expected success or exit-code"
            continue ;;
        esac
        # A failed stop: the job had ended already, or a SIGKILL cut the call.
        if [[ -n "$stop_rc" && $stop_rc != 0 ]] && ! grep -q "already finished" "$p.stop.err" &&
            ! killed_during "$stop_t0" "$stop_t1"; then
            failure "$J: stop failed (status $stop_rc) without a SIGKILL: $(tail -2 "$p.stop.err")"
        fi
        if [[ $complete == yes ]]; then
            [[ $want == "$code" ]] || failure "$J: exit status $want ($result, exit code $ecode, signal $esig), expected $code"
            same "$p.out" "$p.exp.out" "$J: stdout (logs)"
            same "$p.err" "$p.exp.err" "$J: stderr (logs)"
        fi
        # What the clients got.
        if [[ -n "$wait_rc" ]]; then
            [[ "$wait_rc" == "$want" ]] || failure "$J: wait exited with $wait_rc, expected $want ($result): $(tail -2 "$p.wait.err")"
        fi
        if [[ $kind == run && $maybe == no ]]; then
            same "$p.run.out" "$p.exp.out" "$J: stdout of run"
            job_lines "$id" "$p.run.err" >"$p.run.jerr"
            same "$p.run.jerr" "$p.exp.err" "$J: stderr of run"
        fi
        for f in "$p".f*.rc; do
            [[ -e "$f" ]] || continue
            f="${f%.rc}"
            read -r x _ <"$f.rc"
            [[ $x == 0 ]] || failure "$J: follower ${f##*.} exited with $x: $(tail -2 "$f.err")"
            same "$f.out" "$p.out" "$J: stdout of follower ${f##*.}"
            job_lines "$id" "$f.err" >"$f.jerr"
            same "$f.jerr" "$p.err" "$J: stderr of follower ${f##*.}"
            echo "$J" >>"$dir/followers"
        done
        # Ran across a SIGKILL?
        for k in "${kills_us[@]}"; do
            if [[ $jstart != - && $jfinish != - ]] && ((k > jstart && k < jfinish)); then
                echo "$J" >>"$dir/across-kill"
                break
            fi
        done
        ctl root remove "$id" || failure "$J: remove failed"
    done
}

# check_round N: checks all jobs of round N (per user in parallel).
check_round() {
    local u pids=() p t=$SECONDS
    for u in "${USERS[@]}"; do
        check_user "$1" "$u" &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || true; done
    rm -f "$dir"/ids.*
    info "round $1: $(find "$dir/r$1" -name '*.rec' | wc -l) jobs, checked in $((SECONDS - t))s; SIGKILLs so far: $(count "$dir/kills")"
    if [[ -s "$dir/failures" ]]; then
        fail "round $1: $(wc -l <"$dir/failures") failed checks; the first: $(head -5 "$dir/failures")"
    fi
    assert_no_failed_job_units
}

count() { [[ -s "$1" ]] && wc -l <"$1" || echo 0; }

# sample: "PID fds VmRSS RssAnon" of jobworkerd at a quiet point (the
# fewest fds of three looks, a second apart).
sample() {
    local pid fds best="" rss anon i
    pid="$(systemctl show -P MainPID "$SERVICE")"
    ((pid > 0)) || fail "jobworkerd is not running at a quiet point"
    for i in 1 2 3; do
        sleep 1
        fds="$(ls "/proc/$pid/fd" | wc -l)"
        [[ -n "$best" ]] && ((best <= fds)) || best="$fds"
    done
    rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")"
    anon="$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status")"
    echo "$pid $best $rss $anon"
}

# --- the soak -------------------------------------------------------------

start_time=$SECONDS
r=0
info "part 1: load with SIGKILLs"
for ((i = 0; i < CHAOS_ROUNDS; i++)); do
    r=$((r + 1))
    t=$SECONDS
    round "$r" "$CHAOS_ROUND_SEC" yes
    info "round $r: load took $((SECONDS - t))s"
    check_round "$r"
done
kills="$(count "$dir/kills")"
across="$(count "$dir/across-kill")"
((kills > 0)) || fail "no SIGKILL happened"
((across > 0)) || fail "no job ran across a SIGKILL: the test did not test that"

info "part 2: load without SIGKILLs, one daemon lifetime"
# An anchor job keeps the daemon from exiting when idle between rounds.
anchor="$(jobworkerctl start -- sleep 100000)"
samples=()
for ((i = 0; i < STEADY_ROUNDS; i++)); do
    r=$((r + 1))
    t=$SECONDS
    round "$r" "$STEADY_ROUND_SEC" no
    info "round $r: load took $((SECONDS - t))s"
    check_round "$r"
    s="$(sample)"
    samples+=("$s")
    info "round $r: jobworkerd pid, fds, VmRSS, RssAnon (KiB): $s"
done
jobworkerctl stop --timeout=5 "$anchor" >/dev/null
anchor=""

read -r pid0 fd0 rss0 anon0 <<<"${samples[0]}"
read -r pid1 fd1 rss1 anon1 <<<"${samples[-1]}"
for s in "${samples[@]}"; do
    assert_eq "$pid0" "${s%% *}" "jobworkerd's pid in part 2 (it crashed or restarted)"
done
info "after warm-up: $fd0 fds, VmRSS $rss0 KiB, RssAnon $anon0 KiB; at the end: $fd1 fds, VmRSS $rss1 KiB, RssAnon $anon1 KiB"
((fd1 <= fd0 + FD_TOLERANCE)) || fail "jobworkerd's open fds grew from $fd0 to $fd1 (tolerance $FD_TOLERANCE)"
((anon1 <= anon0 + ANON_TOLERANCE_KIB)) || fail "jobworkerd's RssAnon grew from $anon0 to $anon1 KiB (tolerance $ANON_TOLERANCE_KIB KiB)"

info "soak done in $((SECONDS - start_time))s: $(count "$dir/checked") jobs checked ($(count "$dir/start-unknown") starts cut by a SIGKILL), $(count "$dir/followers") followers, $(count "$dir/bad.count") bad calls refused, $kills SIGKILLs, $across jobs ran across one"
