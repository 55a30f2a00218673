#!/bin/bash
# Output readers are capped per caller and in total
# (JOBWORKERD_MAX_OUTPUT_READERS[_PER_USER], in streams, two per GetOutput),
# and counted against whoever opened them: an admin following a user's job
# does not use up that user's share, and one user cannot take all readers.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u1="$TEST_USER1" u2="$TEST_USER2"
dir="$(mktemp -d)"; chmod 777 "$dir"
dropin=/run/systemd/system/jobworkerd.service.d
mkdir -p "$dropin"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -f "$dropin/readers.conf"
    systemctl daemon-reload
    systemctl restart jobworkerd || true
}
trap cleanup EXIT
printf '[Service]\nEnvironment=JOBWORKERD_MAX_OUTPUT_READERS_PER_USER=4\nEnvironment=JOBWORKERD_MAX_OUTPUT_READERS=8\n' \
    >"$dropin/readers.conf"
systemctl daemon-reload
systemctl restart jobworkerd

id1="$(jctl "$u1" start -- sh -c 'echo ready; sleep 120')"
id2="$(jctl "$u2" start -- sh -c 'echo ready; sleep 120')"

# follow USER ID NAME: a follower in the background, attached once it has
# received the job's first line.
follow() {
    local user="$1" id="$2" name="$3"
    if [[ "$user" == root ]]; then
        jobworkerctl logs -f "$id" >"$dir/$name" 2>"$dir/$name.err" &
    else
        as_user "$user" sh -c "exec jobworkerctl logs -f $id >$dir/$name 2>$dir/$name.err" &
    fi
    pids+=($!)
    wait_until 60 grep -q ready "$dir/$name" || fail "follower $name never attached: $(cat "$dir/$name.err")"
}
get_output() {
    local user="$1" id="$2"
    bus_error "$user" call "$BUS_NAME" "/org/jobworker1/job/$id" org.jobworker1.Job GetOutput 'a{sv}' 1 Follow b true
}

info "root follows $u1's job twice (4 streams): not $u1's share"
follow root "$id1" r1
follow root "$id1" r2
info "$u1 still gets its own 4 streams"
follow "$u1" "$id1" a1
follow "$u1" "$id1" a2
err="$(get_output "$u1" "$id1")"
assert_contains "$err" org.jobworker1.Error.LimitExceeded "the third call of $u1"
assert_contains "$err" "already have 4 output streams open" "the per-caller message"

info "8 streams open in total: $u2 is refused with the global cap's message"
err="$(get_output "$u2" "$id2")"
assert_contains "$err" org.jobworker1.Error.LimitExceeded "$u2 over the global cap"
assert_contains "$err" "8 output streams are open" "the global message"

info "a reader that leaves makes room"
kill "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
# (The daemon frees the reader when it sees the pipe closed.)
wait_until 30 bus "$u2" call "$BUS_NAME" "/org/jobworker1/job/$id2" org.jobworker1.Job GetOutput 'a{sv}' 0 \
    >/dev/null 2>&1 || fail "no room for $u2 after a reader left"
follow "$u2" "$id2" b1
# $u2 reading $u1's job is refused as ever (and counts nothing).
jctl "$u2" logs "$id1" >/dev/null 2>&1 && fail "$u2 read $u1's output"
jctl "$u1" stop "$id1"
jctl "$u2" stop "$id2"
