#!/bin/bash
# One user cannot hold up everyone's polkit answers. With polkitd frozen (as
# slow as a never-answering agent of the attacker's), the attacker fires 52
# interactive Stop calls at another user's job, each of which asks polkit
# and may wait minutes. Each uid gets only a few questions out and waiting:
# the rest of the attacker's calls are answered at once, exactly as for a
# missing job, and another user's listing (a question of its own, 3 s at
# most) is served in seconds. On a daemon with one FIFO queue and 48 slots
# for all, the attacker's calls take every slot and the listing waits for
# minutes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
JOB_IFACE=org.jobworker1.Job
FLOOD=52
dir=/tmp/polkit-fairness

cleanup() {
    thaw_polkitd
    local pid
    for pid in $(cat "$dir"/pids "$dir"/outer 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    local id
    for id in $(jobworkerctl list --json 2>/dev/null | jq -r '.[].id' 2>/dev/null); do
        jobworkerctl stop --timeout=5 "$id" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

rm -rf "$dir"; mkdir -p "$dir"; chmod 0777 "$dir"
: >"$dir/pids"; chmod 0666 "$dir/pids"
run1="$(jctl "$U1" start -- sleep 1000)"
p_run1="/org/jobworker1/job/$run1"
missing=000000000000
[[ "$run1" != "$missing" ]] || fail "job id $missing"

freeze_polkitd

info "$U2 fires $FLOOD interactive Stop calls at $U1's job"
(cd / && runuser -u "$U2" -- bash -c '
    for i in $(seq '"$FLOOD"'); do
        busctl --timeout=600 --allow-interactive-authorization=yes call '"$BUS_NAME $p_run1 $JOB_IFACE"' Stop t 0 \
            >'"$dir"'/flood.$i.out 2>&1 &
        echo $! >>'"$dir"'/pids
    done
    wait') &
echo $! >"$dir/outer"
wait_until 60 bash -c "[[ \$(wc -l <$dir/pids) -ge $FLOOD ]]" || fail "the flood did not start"
# answered_flood: how many of the flood's calls have their answer.
answered_flood() {
    local i n=0
    for i in $(seq "$FLOOD"); do [[ -s "$dir/flood.$i.out" ]] && n=$((n + 1)); done
    echo "$n"
}
flood_refused() { (($(answered_flood) >= FLOOD - 20)); }
# Past 4 out and 16 waiting, the rest is answered at once (so by then all
# of them have reached the daemon); the old daemon answers none.
wait_until 90 flood_refused ||
    fail "only $(answered_flood) of $U2's $FLOOD calls answered while polkitd is stopped (at most 20 may wait)"

# refused_at_once ARGS...: busctl ARGS as U2 fails within 10 s while polkitd
# is frozen; prints the error.
refused_at_once() {
    local start=$SECONDS out rc=0
    out="$(cd / && timeout 60 runuser -u "$U2" -- busctl "$@" 2>&1)" || rc=$?
    ((rc != 0 && rc != 124)) || fail "busctl $* as $U2: rc=$rc while polkitd is stopped: $out"
    ((SECONDS - start <= 10)) || fail "busctl $* as $U2 took $((SECONDS - start)) s (it should be refused at once)"
    printf '%s\n' "$out"
}

info "past $U2's share, their calls are answered at once, as for a missing job"
got="$(refused_at_once get-property "$BUS_NAME" "$p_run1" "$JOB_IFACE" State)"
assert_contains "$got" "Unknown object '$p_run1'." "$U2 reading $U1's job"
got="$(refused_at_once get-property "$BUS_NAME" "/org/jobworker1/job/$missing" "$JOB_IFACE" State)"
assert_contains "$got" "Unknown object '/org/jobworker1/job/$missing'." "$U2 reading a missing job"
answered=0
for i in $(seq "$FLOOD"); do
    if [[ -s "$dir/flood.$i.out" ]]; then
        assert_contains "$(cat "$dir/flood.$i.out")" "Unknown object '$p_run1'." "flood call $i"
        answered=$((answered + 1))
    fi
done
info "$answered of $FLOOD flood calls answered while polkitd is stopped"
((answered >= FLOOD - 20)) || fail "only $answered of $U2's $FLOOD calls answered at once (at most 20 may wait)"

info "$U1 is served meanwhile: their listing asks polkit too, and gets a slot"
start=$SECONDS
out="$(cd / && timeout 60 runuser -u "$U1" -- jobworkerctl list --all 2>&1)" || fail "$U1's list failed: $out"
((SECONDS - start <= 12)) || fail "$U1's list took $((SECONDS - start)) s while $U2 floods polkit"
assert_contains "$out" "$run1" "$U1's list"
assert_eq running "$(job_field "$U1" "$run1" state)"

info "polkitd resumes; nothing changed, the daemon serves on"
thaw_polkitd
assert_eq active "$(unit_state "$SERVICE")"
assert_eq running "$(job_field "$U1" "$run1" state)"
jctl "$U1" stop --timeout=30 "$run1"
assert_eq finished "$(job_field "$U1" "$run1" state)"
