#!/bin/bash
# Helpers for the job tests (source after lib.sh).

# jctl USER ARGS...: jobworkerctl as USER ("root" runs it directly).
jctl() {
    local user="$1"; shift
    if [[ "$user" == root ]]; then
        jobworkerctl "$@"
    else
        as_user "$user" jobworkerctl "$@"
    fi
}

# job_json USER ID: the job's status --json.
job_json() { jctl "$1" status --json "$2"; }

# job_field USER ID FIELD: one field of status --json.
job_field() { job_json "$1" "$2" | jq -r ".$3"; }

# job_output ID: the job's output as the journal holds it (its own entries,
# not systemd's about the unit), once a line
# "__END__" (which the test's command prints last) has arrived; the marker
# itself is cut off. Fails after 60 s.
job_output() {
    local unit="jobworker-$1.scope" out
    wait_until 60 bash -c "journalctl -q -o cat JOB_ID=$1 | grep -q '^__END__\$'" \
        || fail "output of $unit never ended with __END__: $(journalctl -q -o cat -u "$unit" | tail -5)"
    journalctl -q -o cat JOB_ID="$1" | sed '/^__END__$/,$d'
}

# run_capture USER [OPTIONS...] SCRIPT: runs "sh -c SCRIPT" as a job of USER,
# waits for it and prints its output; the exit status is the job's.
run_capture() {
    local user="$1" script="${*: -1}" opts=("${@:2:$#-2}") id rc=0
    id="$(jctl "$user" start "${opts[@]}" -- sh -c "$script; rc=\$?; echo __END__; exit \$rc")"
    jctl "$user" wait "$id" || rc=$?
    job_output "$id"
    return "$rc"
}

# assert_no_failed_job_units: systemctl --failed holds none of our scopes.
assert_no_failed_job_units() {
    local failed
    failed="$(systemctl list-units --failed --no-legend --plain 'jobworker-*' || true)"
    [[ -z "$failed" ]] || fail "failed job units left behind: $failed"
}

# for_each_user FUNC: runs FUNC USER for root and both test users.
for_each_user() {
    local u
    for u in root "$TEST_USER1" "$TEST_USER2"; do
        info "as $u"
        "$1" "$u"
    done
}
