#!/bin/bash
# Names: a start that can be retried. A name is unique among its owner's
# unfinished jobs (a second start fails AlreadyExists naming the first, also
# when both race), free again once the job finished, usable wherever an id
# is, and private to its owner: another user's name resolves among their
# own jobs only.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1"
other="$TEST_USER2"
cleanup() {
    local user id
    for user in "$u" "$other" root; do
        for id in $(jctl "$user" list --json 2>/dev/null | jq -r '.[].id'); do
            jctl "$user" stop --timeout=1 "$id" >/dev/null 2>&1 || true
        done
    done
}
trap cleanup EXIT

# ay STRING: busctl's words for an "ay" holding STRING (ASCII).
ay() {
    local s="$1" i out="${#1}"
    for ((i = 0; i < ${#s}; i++)); do out+=" $(printf '%d' "'${s:i:1}")"; done
    echo "$out"
}
# start_named_error USER NAME: StartJob of "sleep 1000" over busctl with
# option Name must fail; prints the error as bus_error does.
start_named_error() {
    local user="$1" name="$2"
    # shellcheck disable=SC2046 # ay's words are meant to split
    bus_error "$user" call org.jobworker1 /org/jobworker1 org.jobworker1.Manager StartJob -- 'aayaayaya{sv}' \
        2 $(ay sleep) $(ay 1000) 0 0 1 Name s "$name"
}

id1="$(jctl "$u" start --name=nightly -- sleep 1000)"
info "first nightly: $id1"
assert_eq "$id1" "$(job_field "$u" nightly id)" "status by name"
assert_eq nightly "$(job_field "$u" "$id1" name)" "name in status --json"
assert_eq nightly "$(bus "$u" get-property org.jobworker1 "/org/jobworker1/job/$id1" org.jobworker1.Job Name \
    | sed 's/^s "\(.*\)"$/\1/')" "Name property"
assert_contains "$(jctl "$u" list)" "nightly"
assert_contains "$(jctl "$u" status nightly)" "Name: nightly"

# The retry: refused, and told which job has the name.
if out="$(jctl "$u" start --name=nightly -- sleep 1000 2>&1)"; then fail "a second nightly started: $out"; fi
assert_contains "$out" "$id1" "the refusal names the running job"
err="$(start_named_error "$u" nightly)"
assert_contains "$err" "org.jobworker1.Error.AlreadyExists" "error of a duplicate name"
assert_contains "$err" "$id1"
assert_eq 1 "$(jctl "$u" list --json | jq '[.[] | select(.name == "nightly")] | length')" "jobs named nightly"

# Names are per user: bob may have his own nightly, and his name never
# reaches alice's job; root's name space is root's own too.
bid="$(jctl "$other" start --name=nightly -- sleep 1000)"
assert_ne "$id1" "$bid"
assert_eq "$bid" "$(job_field "$other" nightly id)" "$other's nightly"
jctl "$other" stop nightly >/dev/null
assert_eq finished "$(job_field "$other" "$bid" state)"
assert_eq running "$(job_field "$u" "$id1" state)" "alice's nightly after bob stopped his"
if out="$(jctl root status nightly 2>&1)"; then fail "root resolved alice's name: $out"; fi
assert_contains "$out" "No job nightly"
# Bob's "nightly" is his finished job, never alice's running one.
if out="$(jctl "$other" pause nightly 2>&1)"; then fail "$other paused a job by name: $out"; fi
assert_contains "$out" "has already finished"
assert_eq running "$(job_field "$u" "$id1" state)" "alice's nightly after bob's pause by name"

# Wherever an id is taken: logs, pause, resume, stop, wait.
jctl "$u" pause nightly
assert_eq paused "$(job_field "$u" "$id1" state)"
jctl "$u" resume nightly
jctl "$u" logs nightly >/dev/null
jctl "$u" stop nightly >/dev/null
assert_eq finished "$(job_field "$u" "$id1" state)"
rc=0; jctl "$u" wait nightly || rc=$?
assert_eq 143 "$rc" "wait by name on the stopped job"

# Finished: the name is free again; it then means the unfinished job.
id2="$(jctl "$u" start --name=nightly -- sh -c 'sleep 3; echo second')"
assert_ne "$id1" "$id2"
assert_eq "$id2" "$(job_field "$u" nightly id)" "the name after a restart of the job"
jctl "$u" wait nightly
# Both finished: the latest.
assert_eq "$id2" "$(job_field "$u" nightly id)" "the name once all are finished"

# A race of starts with one name: exactly one wins.
tmp="$(mktemp -d)"; chmod 0777 "$tmp"
for i in 1 2 3 4 5 6; do
    (jctl "$u" start --name=race -- sleep 1000 >"$tmp/out.$i" 2>"$tmp/err.$i"; echo $? >"$tmp/rc.$i") &
done
wait
won=0
for i in 1 2 3 4 5 6; do
    if [[ "$(cat "$tmp/rc.$i")" == 0 ]]; then
        won=$((won + 1)); winner="$(cat "$tmp/out.$i")"
    else
        info "loser $i: $(cat "$tmp/err.$i")"
    fi
done
assert_eq 1 "$won" "starts named race that succeeded"
for i in 1 2 3 4 5 6; do
    [[ "$(cat "$tmp/rc.$i")" == 0 ]] || assert_contains "$(cat "$tmp/err.$i")" "$winner" "loser $i names the winner"
done
assert_eq 1 "$(jctl "$u" list --json | jq '[.[] | select(.name == "race")] | length')" "jobs named race"
rm -rf "$tmp"

# The name survives a daemon restart, and still blocks a duplicate.
systemctl restart jobworkerd
assert_eq "$winner" "$(job_field "$u" race id)" "name after a daemon restart"
err="$(start_named_error "$u" race)"
assert_contains "$err" "org.jobworker1.Error.AlreadyExists" "duplicate after a restart"

# Bad names: refused by the daemon with the reason, whatever the client.
for bad in 0123456789ab -rf .. "a/b" "a b" "$(printf 'x%.0s' {1..65})"; do
    err="$(start_named_error "$u" "$bad")"
    assert_contains "$err" "org.jobworker1.Error.InvalidArgument" "name '$bad'"
    assert_contains "$err" "not a valid job name"
done
err="$(bus_error "$u" call org.jobworker1 /org/jobworker1 org.jobworker1.Manager StartJob -- 'aayaayaya{sv}' \
    1 $(ay true) 0 0 1 Name u 5)"
assert_contains "$err" "must be of D-Bus type 's'"
if out="$(jctl "$u" start --name=0123456789ab -- true 2>&1)"; then fail "an id-like name was accepted"; fi
assert_contains "$out" "--name=0123456789ab"
err="$(bus_error "$u" call org.jobworker1 /org/jobworker1 org.jobworker1.Manager GetJob s "a/b")"
assert_contains "$err" "org.jobworker1.Error.InvalidArgument"
err="$(bus_error "$u" call org.jobworker1 /org/jobworker1 org.jobworker1.Manager GetJob s "nosuchname")"
assert_contains "$err" "org.jobworker1.Error.NoSuchJob"
assert_no_failed_job_units
