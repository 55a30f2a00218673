#!/bin/bash
# Who may do what (polkit): an owner manages their own jobs; to another user
# they do not exist (NoSuchJob from GetJob, sd-bus's UnknownObject for every
# call and property read on their path; 50-hidden-jobs compares that byte
# for byte with a missing id) and nothing changes; root sees and manages all;
# the example rules file turns a group into admins; the per-user job cap.
# Over busctl, so the D-Bus layer itself is checked, and over jobworkerctl.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
JOB_IFACE=org.jobworker1.Job
UNKNOWN=org.freedesktop.DBus.Error.UnknownObject
RULES=/etc/polkit-1/rules.d/50-jobworker.rules
DROPIN_DIR=/run/systemd/system/jobworkerd.service.d

cleanup() {
    rm -f "$RULES"
    if getent group jobworker-admin >/dev/null; then
        gpasswd -d "$U2" jobworker-admin >/dev/null 2>&1 || true
        groupdel jobworker-admin || true
    fi
    if [[ -e "$DROPIN_DIR/cap.conf" ]]; then
        rm -f "$DROPIN_DIR/cap.conf"
        rmdir "$DROPIN_DIR" 2>/dev/null || true
        systemctl daemon-reload
        systemctl restart "$SERVICE" || true
    fi
    # Stop whatever the test users left running.
    local id
    for id in $(jobworkerctl list --json 2>/dev/null | jq -r '.[].id' 2>/dev/null); do
        jobworkerctl stop --timeout=5 "$id" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

# expect_error USER NAMES TEXT ARGS...: busctl ARGS as USER fails with one of
# NAMES (|-separated) and a message containing TEXT.
expect_error() {
    local user="$1" names="$2" text="$3" got name; shift 3
    got="$(bus_error "$user" "$@")"
    name="${got%%: *}"
    [[ "|$names|" == *"|$name|"* ]] || fail "busctl $* as $user: expected $names, got '$got'"
    assert_contains "$got" "$text" "message of busctl $* as $user"
    info "$user: busctl ${*:1:5}... -> $got"
}

# list_ids USER: the ids ListJobs returns to USER, one a line.
list_ids() { bus "$1" --json=short call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" ListJobs | jq -r '.data[0][][0]'; }
# list_owners USER: the distinct owner uids in USER's ListJobs.
list_owners() { bus "$1" --json=short call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" ListJobs | jq -r '.data[0][][2]' | sort -u; }
job_path() { echo "/org/jobworker1/job/$1"; }
job_state() { busctl --json=short get-property "$BUS_NAME" "$(job_path "$1")" "$JOB_IFACE" State | jq -r .data; }

uid1="$(id -u "$U1")" uid2="$(id -u "$U2")"

info "jobs of $U1: one running, one finished"
run1="$(jctl "$U1" start -- sleep 1000)"
done1="$(jctl "$U1" start -- true)"
jctl "$U1" wait "$done1"
p_run1="$(job_path "$run1")" p_done1="$(job_path "$done1")"
run2="$(jctl "$U2" start -- sleep 1000)"

info "the owner may do everything with their own job"
assert_eq "o \"$p_run1\"" "$(bus "$U1" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$run1")" "GetJob by the owner"
assert_eq 's "running"' "$(bus "$U1" get-property "$BUS_NAME" "$p_run1" "$JOB_IFACE" State)" "State read by the owner"
assert_eq "u $uid1" "$(bus "$U1" get-property "$BUS_NAME" "$p_run1" "$JOB_IFACE" Owner)" "Owner read by the owner"
assert_contains "$(bus "$U1" introspect "$BUS_NAME" "$p_run1")" ".Stop" "introspection by the owner"
assert_contains "$(bus "$U1" call "$BUS_NAME" "$p_run1" "$JOB_IFACE" GetOutput 'a{sv}' 0)" "hh " "GetOutput by the owner"
assert_contains "$(jctl "$U1" status "$run1")" "running"
jctl "$U1" logs "$done1" >/dev/null
assert_contains "$(list_ids "$U1")" "$run1" "owner's ListJobs"
assert_contains "$(list_ids "$U1")" "$done1" "owner's ListJobs"
assert_eq "$uid1" "$(list_owners "$U1")" "owners in $U1's ListJobs (only their own)"
assert_eq "$uid2" "$(list_owners "$U2")" "owners in $U2's ListJobs (only their own)"
[[ "$(jctl "$U2" list --all)" != *"$run1"* ]] || fail "$U2 lists $U1's job"
assert_contains "$(bus "$U2" tree "$BUS_NAME")" "$run2" "$U2's tree"
[[ "$(bus "$U2" tree "$BUS_NAME")" != *"$run1"* ]] || fail "$U2's busctl tree shows $U1's job"

info "another user's jobs do not exist for them, over busctl"
for iact in yes no; do
    B=(--allow-interactive-authorization="$iact")
    expect_error "$U2" org.jobworker1.Error.NoSuchJob "No job $run1." "${B[@]}" \
        call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$run1"
    expect_error "$U2" "$UNKNOWN" "Unknown object '$p_run1'." "${B[@]}" call "$BUS_NAME" "$p_run1" "$JOB_IFACE" Stop t 0
    expect_error "$U2" "$UNKNOWN" "Unknown object '$p_run1'." "${B[@]}" \
        call "$BUS_NAME" "$p_run1" "$JOB_IFACE" GetOutput 'a{sv}' 0
    expect_error "$U2" "$UNKNOWN" "Unknown object '$p_done1'." "${B[@]}" call "$BUS_NAME" "$p_done1" "$JOB_IFACE" Remove
    expect_error "$U2" "$UNKNOWN" "Unknown object '$p_run1'." "${B[@]}" call "$BUS_NAME" "$p_run1" "$JOB_IFACE" Remove
done
info "another user cannot read properties or introspect"
for prop in State Owner Command WorkingDirectory Unit ExitCode; do
    expect_error "$U2" "$UNKNOWN" "Unknown object '$p_run1'." get-property "$BUS_NAME" "$p_run1" "$JOB_IFACE" "$prop"
done
expect_error "$U2" "$UNKNOWN" "Unknown object" call "$BUS_NAME" "$p_run1" org.freedesktop.DBus.Properties GetAll s "$JOB_IFACE"
expect_error "$U2" "$UNKNOWN" "Unknown object" call "$BUS_NAME" "$p_run1" org.freedesktop.DBus.Properties Get ss "$JOB_IFACE" State
expect_error "$U2" "$UNKNOWN" "Unknown object" introspect "$BUS_NAME" "$p_run1"
expect_error "$U2" "$UNKNOWN" "Unknown object" call "$BUS_NAME" "$p_run1" org.freedesktop.DBus.Introspectable Introspect

info "another user's jobs do not exist for them, over jobworkerctl"
for verb in status stop logs remove wait; do
    rc=0; out="$(timeout 120 runuser -u "$U2" -- jobworkerctl "$verb" "$run1" 2>&1)" || rc=$?
    ((rc != 0 && rc != 124)) || fail "jobworkerctl $verb of $U1's job as $U2: rc=$rc: $out"
    assert_contains "$out" "No job $run1." "jobworkerctl $verb of $U1's job as $U2"
done
rc=0; out="$(jctl "$U2" remove "$done1" 2>&1)" || rc=$?
((rc != 0)) || fail "$U2 removed $U1's finished job"

info "... and nothing changed"
assert_eq running "$(job_state "$run1")" "$U1's job after $U2's attempts"
assert_eq active "$(unit_state "jobworker-$run1.scope")"
assert_contains "$(list_ids "$U1")" "$run1" "$U1's ListJobs after $U2's attempts"
assert_contains "$(list_ids "$U1")" "$done1" "$U1's finished job after $U2's remove"
jctl "$U1" logs "$done1" >/dev/null

info "root sees and manages all"
all="$(list_ids root)"
assert_contains "$all" "$run1"; assert_contains "$all" "$run2"; assert_contains "$all" "$done1"
assert_contains "$(jobworkerctl list)" "$run1"
assert_eq 's "running"' "$(busctl get-property "$BUS_NAME" "$p_run1" "$JOB_IFACE" State)" "State read by root"
assert_contains "$(busctl tree "$BUS_NAME")" "$run1" "root's tree"
assert_contains "$(busctl introspect "$BUS_NAME" "$p_run1")" ".Stop" "introspection by root"
busctl call "$BUS_NAME" "$p_done1" "$JOB_IFACE" GetOutput 'a{sv}' 0 >/dev/null
busctl call "$BUS_NAME" "$p_done1" "$JOB_IFACE" Remove
[[ "$(list_ids "$U1")" != *"$done1"* ]] || fail "root's Remove did not remove $U1's job"
jobworkerctl stop --timeout=30 "$run2"
assert_eq finished "$(job_state "$run2")" "$U2's job after root stopped it"

info "members of jobworker-admin administer all jobs (example rules)"
example=/usr/share/doc/jobworker/org.jobworker1.rules.example
[[ -f "$example" ]] || fail "$example not installed"
groupadd jobworker-admin
usermod -aG jobworker-admin "$U2"
install -m 0644 "$example" "$RULES"
# polkitd notices the new file by itself.
wait_until 60 bash -c "runuser -u '$U2' -- jobworkerctl list | grep -q '$run1'" \
    || fail "$U2 in jobworker-admin still does not see $U1's job"
assert_eq 's "running"' "$(bus "$U2" get-property "$BUS_NAME" "$p_run1" "$JOB_IFACE" State)" "State read by an admin"
# Introspection shows an admin every job, as ListJobs does.
assert_contains "$(bus "$U2" tree "$BUS_NAME")" "$run1" "an admin's busctl tree"
assert_contains "$(jctl "$U2" status "$run1")" "running"
jctl "$U2" stop --timeout=30 "$run1"
assert_eq finished "$(job_state "$run1")" "$U1's job after the admin stopped it"
assert_eq stopped "$(job_field "$U1" "$run1" result)"
bus "$U2" call "$BUS_NAME" "$p_run1" "$JOB_IFACE" Remove
[[ "$(list_ids "$U1")" != *"$run1"* ]] || fail "the admin's Remove did not remove $U1's job"

info "rules removed: denied again"
rm -f "$RULES"
gpasswd -d "$U2" jobworker-admin >/dev/null
groupdel jobworker-admin
run1="$(jctl "$U1" start -- sleep 1000)"
wait_until 60 bash -c "! runuser -u '$U2' -- jobworkerctl list | grep -q '$run1'" \
    || fail "$U2 still sees $U1's job after the rules were removed"
expect_error "$U2" "$UNKNOWN" "Unknown object" call "$BUS_NAME" "$(job_path "$run1")" "$JOB_IFACE" Stop t 0
assert_eq running "$(job_state "$run1")"
jctl "$U1" stop --timeout=30 "$run1"

info "the owner stops and removes over busctl"
own="$(jctl "$U1" start -- sleep 1000)"
bus "$U1" call "$BUS_NAME" "$(job_path "$own")" "$JOB_IFACE" Stop t 30000000
assert_eq finished "$(job_state "$own")"
bus "$U1" call "$BUS_NAME" "$(job_path "$own")" "$JOB_IFACE" Remove
[[ "$(list_ids "$U1")" != *"$own"* ]] || fail "the owner's Remove did not remove the job"

info "per-user cap: JOBWORKERD_MAX_JOBS_PER_USER=3"
mkdir -p "$DROPIN_DIR"
printf '[Service]\nEnvironment=JOBWORKERD_MAX_JOBS_PER_USER=3\n' >"$DROPIN_DIR/cap.conf"
systemctl daemon-reload
systemctl restart "$SERVICE"
capped=()
for _ in 1 2 3; do
    capped+=("$(jctl "$U1" start -- sleep 1000)")
done
expect_error "$U1" org.jobworker1.Error.LimitExceeded "3 running jobs" \
    call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' 1 4 116 114 117 101 0 0 0
rc=0; out="$(jctl "$U1" start -- sleep 1000 2>&1)" || rc=$?
((rc != 0)) || fail "a 4th job started over the cap of 3: $out"
assert_contains "$out" "3 running jobs"
running_of_u1="$(bus "$U1" --json=short call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" ListJobs \
    | jq '[.data[0][] | select(.[3] == "running")] | length')"
assert_eq 3 "$running_of_u1" "$U1's running jobs at the cap"
other="$(jctl "$U2" start -- sleep 1000)"   # the cap is per user
assert_eq running "$(job_state "$other")"
root_job="$(jctl root start -- sleep 1000)"  # root has no cap
# Finished jobs do not count.
jctl "$U1" stop --timeout=30 "${capped[0]}"
capped[0]="$(jctl "$U1" start -- sleep 1000)"
for id in "${capped[@]}" "$other" "$root_job"; do
    jobworkerctl stop --timeout=30 "$id"
done
rm -f "$DROPIN_DIR/cap.conf"
rmdir "$DROPIN_DIR" 2>/dev/null || true
systemctl daemon-reload
systemctl restart "$SERVICE"
assert_no_failed_job_units
