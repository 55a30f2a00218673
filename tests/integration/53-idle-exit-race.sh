#!/bin/bash
# Start calls racing the idle exit, sent into the window on purpose rather
# than by timing: jobworkerd runs with tests/vm/exit-hold.so preloaded, which
# stops it in the first call by which it leaves (giving the bus name back,
# or ending its event loop) and again in each one after, until the test lets
# it go. While it is held there, three raw busctl StartJob calls and one
# jobworkerctl start are sent; they queue in its bus socket if it still owns
# the name, or wait for the next instance if it gave it back. Then:
# - every raw call is answered with its job or with
#   org.jobworker1.Error.ShuttingDown (nothing started), never a lost reply
#   (NoReply when the daemon leaves with calls unread) or a disconnect;
# - the daemon that is leaving starts no job (StartJob refused once it has
#   decided to exit), and at least one call reached it while it was held
#   first (otherwise the round exercised nothing);
# - jobworkerctl start always gets its job (it calls once more on
#   ShuttingDown, reaching the next instance);
# - every job anyone was told about is known afterwards and ran to the end.
# A daemon that ends its event loop at once when idle (no name release, no
# waiting for the bus to confirm) loses the calls held in its socket here,
# every round.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1"
dropin=/run/systemd/system/jobworkerd.service.d
HOLD_LIB=/usr/libexec/jobworker/tests/exit-hold.so
hold=/run/jobworker-test-exit-hold
ROUNDS=3
[[ -e "$HOLD_LIB" ]] || fail "$HOLD_LIB missing: configure the build with -Dinstall_tests=true"

cleanup() {
    local rc=$?
    # Lets go of a held daemon at once (it would go by itself after 30 s).
    touch "$hold/done" 2>/dev/null || true
    rm -f "$hold/arm" "$dropin/idle.conf"
    systemctl daemon-reload
    if ((rc != 0)) && [[ -e "$hold/events" ]]; then
        echo "--- exit-hold events (pid, call, function):"
        cat "$hold/events"
    fi
}
trap cleanup EXIT

rm -rf "$hold"
mkdir -p "$hold" "$dropin"
printf '[Service]\nEnvironment=JOBWORKERD_IDLE_TIMEOUT_SEC=1\nEnvironment=LD_PRELOAD=%s\nEnvironment=JOBWORKER_EXIT_HOLD_DIR=%s\n' \
    "$HOLD_LIB" "$hold" >"$dropin/idle.conf"
systemctl daemon-reload
systemctl stop "$SERVICE"
since="$(date '+%Y-%m-%d %H:%M:%S')"

ids=() lost=() refused=0 held_refused=0
# StartJob of "true" as raw bytes (aay), no environment, no directory.
TRUE_ARGV=(1 4 116 114 117 101)
AS=(setpriv --reuid="$U1" --regid="$(id -g "$U1")" --init-groups)
work="$(mktemp -d)"

# raw_start FILE: a raw StartJob (no retry); sd-bus's debug log of the call
# (what was sent, what came back from whom) and busctl's status into FILE.
# (exec: a refused call is no failure of the test, so no ERR trap report.)
raw_start() {
    local rc=0
    (cd / && exec env SYSTEMD_LOG_LEVEL=debug timeout 150 "${AS[@]}" busctl --timeout=120 \
        call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' "${TRUE_ARGV[@]}" 0 0 0) \
        >"$1" 2>&1 || rc=$?
    echo "rc=$rc" >>"$1"
}
# ctl_start FILE: jobworkerctl start (calls once more on ShuttingDown).
ctl_start() {
    local rc=0
    (cd / && exec timeout 150 "${AS[@]}" jobworkerctl start -- true) >"$1" 2>&1 || rc=$?
    echo "rc=$rc" >>"$1"
}
# raw_sent FILE: the raw StartJob in FILE is written to the bus.
raw_sent() { grep -q '^Sent message type=method_call .* member=StartJob ' "$1"; }
all_sent() {
    local f
    for f in "$@"; do raw_sent "$f" || return 1; done
}
# raw_reply FILE: the message that answered the StartJob in FILE.
raw_reply() {
    awk '/^Sent message type=method_call .* member=StartJob / { s = 1; next }
         s && /^Got message type=(method_return|error) / { print; exit }' "$1"
}

# fire BATCH: the four calls in the background. Returns once the raw calls
# are written to the bus and a second more has passed for the bus to route
# them (and for jobworkerctl, whose sending is not logged, to get there).
fire() {
    local b="$1"
    raw_start "$work/$b.a" & raw_start "$work/$b.b" & raw_start "$work/$b.c" & ctl_start "$work/$b.d" &
    wait_until 60 all_sent "$work/$b.a" "$work/$b.b" "$work/$b.c" \
        || fail "batch $b: the raw StartJob calls were not sent within 60 s: $(tail -n 3 "$work/$b".[abc])"
    sleep 1
}

# check_batch BATCH PID FUNCTION NAMES: the answers to BATCH, sent while
# jobworkerd PID (bus names NAMES) was held in FUNCTION. Counts the calls
# it refused itself into $batch_held_refused.
check_batch() {
    local b="$1" pid="$2" func="$3" names="$4" f reply sender id
    batch_held_refused=0
    for f in "$work/$b.a" "$work/$b.b" "$work/$b.c"; do
        reply="$(raw_reply "$f")"
        sender="$(sed -n 's/.* sender=\([^ ]*\) .*/\1/p' <<<"$reply")"
        if grep -q '^rc=0$' "$f"; then
            id="$(grep -m1 '^so ' "$f" | cut -d'"' -f2)"
            [[ -n "$id" ]] || fail "StartJob succeeded without an id: $(cat "$f")"
            if [[ -n "$sender" && " $names " == *" $sender "* ]]; then
                fail "jobworkerd ($pid, $sender) started job $id for a call sent while it was held in $func:" \
                    "once it has decided to exit it must refuse StartJob"
            fi
            ids+=("$id")
        elif [[ "$reply" == *" error-name=org.jobworker1.Error.ShuttingDown "* ]]; then
            refused=$((refused + 1))
            if [[ -n "$sender" && " $names " == *" $sender "* ]]; then
                held_refused=$((held_refused + 1)) batch_held_refused=$((batch_held_refused + 1))
            fi
        else
            lost+=("$b (held in $func): ${reply:-$(grep -m1 -e 'Call failed' -e '^rc=' "$f")}")
        fi
    done
    if grep -q '^rc=0$' "$work/$b.d"; then
        ids+=("$(head -1 "$work/$b.d")")
    else
        lost+=("$b jobworkerctl start (held in $func): $(cat "$work/$b.d")")
    fi
}

for ((r = 1; r <= ROUNDS; r++)); do
    # No daemon left from the last round: the one armed now is the one that
    # runs this round's first job.
    wait_until 60 unit_is "$SERVICE" inactive || fail "round $r: jobworkerd still $(unit_state "$SERVICE")"
    rm -f "$hold"/held-*
    : >"$hold/arm"
    ctl_start "$work/$r.first"
    grep -q '^rc=0$' "$work/$r.first" || fail "jobworkerctl start failed: $(cat "$work/$r.first")"
    ids+=("$(head -1 "$work/$r.first")")
    # It leaves 1 s after the job ended; its first call on the way out claims
    # the arm (renamed held-PID) and is held.
    wait_until 60 test ! -e "$hold/arm" || fail "round $r: jobworkerd did not begin to exit within 60 s"
    pid="$(cd "$hold" && echo held-*)" && pid="${pid#held-}"
    [[ "$pid" =~ ^[0-9]+$ ]] || fail "round $r: no held jobworkerd ($pid)"
    names="$(busctl list --unique --no-legend | awk -v p="$pid" '$2 == p { print $1 }' | tr '\n' ' ')"
    names="${names% }"
    [[ -n "$names" ]] || fail "round $r: jobworkerd ($pid) has no bus connection"
    batches=() n=0 first_held_refused=0
    while :; do
        n=$((n + 1))
        wait_until 60 bash -c "grep -qE '^$pid $n [a-z_]+ held\$' '$hold/events' || ! kill -0 $pid 2>/dev/null" \
            || fail "round $r: jobworkerd ($pid) neither exited nor was held again within 60 s"
        func="$(sed -En "s/^$pid $n ([a-z_]+) held\$/\1/p" "$hold/events")"
        [[ -n "$func" ]] || break   # it exited
        ((n <= 4)) || fail "round $r: jobworkerd ($pid) held $n times on its way out"
        info "round $r: jobworkerd ($pid, $names) held in $func (its call $n on the way out)"
        fire "$r.$n"
        batches+=("$r.$n:$func")
        touch "$hold/go-$pid-$n"
    done
    ((n > 1)) || fail "round $r: jobworkerd ($pid) was never held on its way out: the test exercised nothing"
    wait
    ! grep -qE "^$pid [0-9]+ timeout\$" "$hold/events" \
        || fail "round $r: a hold of jobworkerd ($pid) timed out: the calls were not sent into the window"
    for bf in "${batches[@]}"; do
        check_batch "${bf%%:*}" "$pid" "${bf#*:}" "$names"
        if [[ "$bf" == "$r.1:"* ]]; then
            first_held_refused=$batch_held_refused
        fi
    done
    ((${#lost[@]} == 0)) || fail "StartJob calls not answered with a job (or ShuttingDown for raw calls): ${lost[*]}"
    ((first_held_refused > 0)) \
        || fail "round $r: none of the calls sent while jobworkerd ($pid) was held in ${batches[0]#*:} reached it" \
            "(all were answered by another instance): the round exercised nothing"
done
info "${#ids[@]} jobs started, $refused raw calls refused (ShuttingDown), $held_refused of them by a held daemon"

info "every job is known and ran: ${#ids[@]} (checked with the stock idle timeout)"
cleanup
systemctl stop "$SERVICE"
wait_until 120 bash -c "[[ \$(jobworkerctl list --json | jq length) == 0 ]]" || fail "jobs still running: $(jobworkerctl list)"
listing="$(jctl "$U1" list --all --json)"
for id in "${ids[@]}"; do
    got="$(jq -r --arg id "$id" '.[] | select(.id == $id) | "\(.state) \(.result) \(.exit_code)"' <<<"$listing")"
    assert_eq "finished success 0" "$got" "job $id"
done
n_exits="$(journalctl -q -u "$SERVICE" --since "$since" -g 'exiting' -o cat | grep -c 'Idle for' || true)"
n_refused="$(journalctl -q -u "$SERVICE" --since "$since" -g 'Refusing StartJob' -o cat | wc -l || true)"
info "$n_exits idle exits, $n_refused StartJob calls refused while exiting" \
    "($((n_refused - refused)) of them jobworkerctl's first call, answered on its second)"
((n_exits >= ROUNDS)) || fail "the daemon idled out $n_exits times in $ROUNDS rounds"
assert_no_failed_job_units
