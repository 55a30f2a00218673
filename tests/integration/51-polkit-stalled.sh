#!/bin/bash
# A slow or stopped polkitd stalls nobody but those waiting for its answer.
# polkitd is frozen (SIGSTOP) while: a job's owner reads its properties,
# introspects it, finds it, lists their jobs (no polkit needed: uid == owner;
# the listing's "may they see everyone's?" question gives up after seconds);
# and another user probes that job (their call waits for polkit, and must
# hold up no one else: on a daemon that asks polkit synchronously, one such
# read freezes the daemon for every user for 25 s).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
JOB_IFACE=org.jobworker1.Job
# Generous for TCG; a synchronous polkit call takes 25 s to time out.
PROMPT=10

cleanup() {
    thaw_polkitd
    local id
    for id in $(jobworkerctl list --json 2>/dev/null | jq -r '.[].id' 2>/dev/null); do
        jobworkerctl stop --timeout=5 "$id" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

# prompt SECONDS WHAT CMD...: CMD succeeds within SECONDS; prints its output.
prompt() {
    local limit="$1" what="$2" start out rc=0; shift 2
    start=$SECONDS
    out="$(cd / && timeout 60 "$@" 2>&1)" || rc=$?
    ((rc == 0)) || fail "$what failed (rc=$rc) while polkitd is stopped: $out"
    ((SECONDS - start <= limit)) || fail "$what took $((SECONDS - start)) s while polkitd is stopped (limit $limit s)"
    info "$what: $((SECONDS - start)) s" >&2
    printf '%s\n' "$out"
}

run1="$(jctl "$U1" start -- sleep 1000)"
done1="$(jctl "$U1" start -- true)"
jctl "$U1" wait "$done1"
p_run1="/org/jobworker1/job/$run1"

freeze_polkitd

info "$U2 probes $U1's job; the call waits for polkit"
: >/tmp/probe.out; : >/tmp/probe2.out
(trap - ERR; set +e; cd / && runuser -u "$U2" -- busctl --timeout=200 get-property "$BUS_NAME" "$p_run1" "$JOB_IFACE" State \
    >/tmp/probe.out 2>&1; echo $? >/tmp/probe.rc) &
probe=$!
(trap - ERR; set +e; cd / && runuser -u "$U2" -- busctl --timeout=200 call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$run1" \
    >/tmp/probe2.out 2>&1; echo $? >/tmp/probe2.rc) &
probe2=$!
sleep 2
kill -0 "$probe" 2>/dev/null || fail "the probe did not wait for polkit: $(cat /tmp/probe.out)"

info "everyone else is served meanwhile"
prompt "$PROMPT" "root reads Version" busctl get-property "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" Version >/dev/null
out="$(prompt "$PROMPT" "$U1 reads State of their job" \
    runuser -u "$U1" -- busctl get-property "$BUS_NAME" "$p_run1" "$JOB_IFACE" State)"
assert_eq 's "running"' "$out" "State read by the owner"
out="$(prompt "$PROMPT" "$U1 reads all properties" \
    runuser -u "$U1" -- busctl call "$BUS_NAME" "$p_run1" org.freedesktop.DBus.Properties GetAll s "$JOB_IFACE")"
assert_contains "$out" "running"
out="$(prompt "$PROMPT" "$U1 introspects their job" runuser -u "$U1" -- busctl introspect "$BUS_NAME" "$p_run1")"
assert_contains "$out" ".Stop"
out="$(prompt "$PROMPT" "$U1 GetJob" \
    runuser -u "$U1" -- busctl call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$run1")"
assert_eq "o \"$p_run1\"" "$out"
out="$(prompt "$PROMPT" "$U1 ListJobs" runuser -u "$U1" -- busctl call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" ListJobs)"
assert_contains "$out" "$run1"
assert_contains "$out" "$done1"
out="$(prompt "$PROMPT" "$U1 busctl tree" runuser -u "$U1" -- busctl tree "$BUS_NAME")"
assert_contains "$out" "$run1"
out="$(prompt "$PROMPT" "$U1 jobworkerctl status" runuser -u "$U1" -- jobworkerctl status "$run1")"
assert_contains "$out" "running"
out="$(prompt "$PROMPT" "$U1 jobworkerctl list --all" runuser -u "$U1" -- jobworkerctl list --all)"
assert_contains "$out" "$done1"
prompt "$PROMPT" "root reads State" busctl get-property "$BUS_NAME" "$p_run1" "$JOB_IFACE" State >/dev/null
# After about 25 s either dbus-daemon gives up on the probe (NoReply, "timed
# out") or our own question to the stopped polkitd does, which is a "no":
# the answer for a job that does not exist. Never the job's state.
for f in /tmp/probe.out /tmp/probe2.out; do
    if [[ -s "$f" ]]; then
        out="$(cat "$f")"
        [[ "$out" == *"timed out"* || "$out" == *"Unknown object '$p_run1'"* || "$out" == *"No job $run1."* ]] \
            || fail "a probe that ended while polkitd is stopped got: $out"
    fi
done

info "polkitd resumes; fresh probes get the answer for a job that does not exist"
(cd / && runuser -u "$U2" -- busctl get-property "$BUS_NAME" "$p_run1" "$JOB_IFACE" State >/tmp/probe3.out 2>&1) &
probe3=$!
(cd / && runuser -u "$U2" -- busctl call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$run1" >/tmp/probe4.out 2>&1) &
probe4=$!
sleep 3
thaw_polkitd
wait "$probe" "$probe2" "$probe3" "$probe4" || true
assert_contains "$(cat /tmp/probe3.out)" "Unknown object '$p_run1'"
assert_contains "$(cat /tmp/probe4.out)" "No job $run1."
assert_eq active "$(unit_state "$SERVICE")"
assert_eq running "$(job_field "$U1" "$run1" state)"
jctl "$U1" stop --timeout=30 "$run1"
