#!/bin/bash
# Who calls is learned without a synchronous call to the bus broker: a call
# from a sender not seen before is held while jobworkerd asks dbus-daemon
# (GetConnectionUnixUser) asynchronously, then dispatched with the uid
# known. sd_bus_query_sender_creds() did the same with sd_bus_call(),
# blocking the loop for every user until dbus-daemon answered.
#  - busctl monitor: when the calls of 40 new clients wait for jobworkerd
#    together, it asks the broker (GetConnectionUnixUser) about several of
#    them before it answers the first (a blocking lookup answers each call
#    before it asks about the next), and at most once per new connection.
#  - Many new connections of two users at once, each held and re-dispatched:
#    every one is answered for its own caller (own job found; then the other
#    user's job NoSuchJob, ListJobs only the caller's).
#  - Callers that vanish right after sending (no reply wanted) leave nothing
#    stuck: the daemon answers the next call at once.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
work="$(mktemp -d)"
mon=
cleanup() {
    [[ -n "$mon" ]] && kill "$mon" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

id1="$(jctl "$U1" start -- sleep 300)"
id2="$(jctl "$U2" start -- sleep 300)"
owner="$(busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetNameOwner s "$BUS_NAME" |
    cut -d'"' -f2)"
[[ "$owner" == :* ]] || fail "no owner of $BUS_NAME: $owner"

busctl monitor --system --json=short >"$work/mon" 2>/dev/null &
mon=$!
sleep 2

# check USER OWN: on one new connection each, the caller's own job is found
# (for anyone else it would be NoSuchJob, after a polkit question). Owner
# visibility needs no polkit, so 40 of these at once load only the uid
# lookups, not polkitd.
check() {
    local user="$1" own="$2" out
    out="$(bus "$user" --timeout=120 call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$own" 2>&1)" ||
        { echo "GetJob $own as $user: $out"; return 1; }
    [[ "$out" == "o \"/org/jobworker1/job/$own\"" ]] || { echo "GetJob $own as $user: $out"; return 1; }
}

# jobworkerd is stopped while they call, so their 40 calls wait in its socket
# together: a daemon that does not wait for the broker asks about all of
# them before the first answer is back.
info "40 clients of two users at once"
daemon="$(systemctl show -P MainPID "$SERVICE")"
kill -STOP "$daemon"
trap 'kill -CONT "$daemon" 2>/dev/null; cleanup' EXIT
pids=()
for i in $(seq 1 20); do
    check "$U1" "$id1" >"$work/c1.$i" 2>&1 & pids+=($!)
    check "$U2" "$id2" >"$work/c2.$i" 2>&1 & pids+=($!)
done
wait_until 120 bash -c '(($(pgrep -c -x busctl) >= 40))' || info "only $(pgrep -c -x busctl) clients up"
sleep 3
kill -CONT "$daemon"
wait "${pids[@]}" || true
bad=0
for f in "$work"/c[12].*; do
    if [[ -s "$f" ]]; then
        echo "$(basename "$f"): $(cat "$f")" >&2
        bad=$((bad + 1))
    fi
done
((bad == 0)) || fail "$bad of 40 clients were answered for the wrong caller or not at all"
info "each user's view, on new connections"
for pair in "$U1 $id1 $id2" "$U2 $id2 $id1"; do
    read -r user own other <<<"$pair"
    got="$(bus_error "$user" --timeout=120 call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$other")"
    assert_eq "org.jobworker1.Error.NoSuchJob: No job $other." "$got" "GetJob of the other user's job as $user"
    list="$(bus "$user" --timeout=120 call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" ListJobs)"
    [[ "$list" == *"$own"* && "$list" != *"$other"* ]] || fail "ListJobs as $user: $list"
done

info "callers that vanish at once"
pids=()
for i in $(seq 1 20); do
    bus "$U1" call --expect-reply=no "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$id1" & pids+=($!)
done
wait "${pids[@]}" || true
got="$(timed_as "$U1" 10 busctl call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$id1")" ||
    fail "no answer after the vanished callers: $got"

sleep 1
kill "$mon"; wait "$mon" 2>/dev/null || true; mon=
asked="$(jq -r --arg o "$owner" 'select(.sender == $o and .type == "method_call" and
    .destination == "org.freedesktop.DBus") | .member' "$work/mon" | sort | uniq -c)"
info "jobworkerd's calls to the broker: $(tr '\n' ' ' <<<"$asked")"
[[ "$asked" != *GetConnectionCredentials* ]] || fail "jobworkerd asked GetConnectionCredentials (the blocking path)"
# How many uid lookups jobworkerd sent before its first answer to a client.
# The broker answers each lookup at once, so overlap is seen from our side
# only: a daemon that waits for each answer answers the first client before
# it asks about the second; one that does not asks about every call already
# waiting first.
ahead="$(jq -s --arg o "$owner" '
    reduce .[] as $m ({n: 0, done: false};
        if .done then .
        elif $m.type == "method_call" and $m.sender == $o and $m.member == "GetConnectionUnixUser" then .n += 1
        elif ($m.type == "method_return" or $m.type == "error") and $m.sender == $o then .done = true
        else . end) | .n' "$work/mon")"
info "$ahead uid lookups asked before the first client was answered"
((ahead >= 2)) || fail "jobworkerd asked about one caller at a time: it waits for each answer"
n="$(awk '$2 == "GetConnectionUnixUser" { print $1 }' <<<"$asked")"
# 40 clients, 4 views, 20 vanishing, 1 last: one connection each.
((n > 0 && n <= 65)) || fail "expected 1..65 uid lookups, saw ${n:-0}"

jctl "$U1" stop "$id1" >/dev/null
jctl "$U2" stop "$id2" >/dev/null
assert_no_failed_job_units
