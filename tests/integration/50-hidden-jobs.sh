#!/bin/bash
# Another user's job answers exactly like a job that does not exist. As an
# attacker: user2 probes user1's job ids (a running and a finished job) with
# every call a client can make on them, over busctl and jobworkerctl, with
# and without interactive authorization, and compares each answer, byte for
# byte, with the answer for a random id that no job has. Any difference
# (AccessDenied, "belongs to another user", a property value, a different
# error for introspection) tells the attacker the job exists.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1" U2="$TEST_USER2"
JOB_IFACE=org.jobworker1.Job

cleanup() {
    local id
    for id in $(jobworkerctl list --json 2>/dev/null | jq -r '.[].id' 2>/dev/null); do
        jobworkerctl stop --timeout=5 "$id" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

# answer USER ID CMD...: what USER gets for CMD (with @ID@ standing for the
# job id ID, and @PATH@ for its object path): exit status, stdout, stderr,
# and the D-Bus error name (from sd-bus's debug log, in a second run), with
# ID replaced by a placeholder so answers for different ids compare.
answer() {
    local user="$1" id="$2" rc=0 out err name; shift 2
    local args=("${@//@ID@/$id}")
    args=("${args[@]//@PATH@//org/jobworker1/job/$id}")
    # setpriv, not runuser: no PAM session per probe (the VM is slow).
    local as=(setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups)
    out="$(cd / && timeout 120 "${as[@]}" "${args[@]}" 2>/tmp/answer.err)" || rc=$?
    err="$(cat /tmp/answer.err)"
    name=
    if [[ "${args[0]}" == busctl ]]; then
        name="$( (cd / && SYSTEMD_LOG_LEVEL=debug timeout 120 "${as[@]}" "${args[@]}" 2>&1 >/dev/null) \
            | grep -o 'error-name=[^ ]*' | sort -u | tr '\n' ' ' || true)"
    fi
    printf 'rc=%s\nname=%s\nout=%s\nerr=%s\n' "$rc" "$name" "$out" "$err" | sed "s/$id/ID/g"
}

# same USER TARGET MISSING CMD...: USER's answers for TARGET and for the
# unused id MISSING are identical.
same() {
    local user="$1" target="$2" missing="$3" a b; shift 3
    a="$(answer "$user" "$target" "$@")"
    b="$(answer "$user" "$missing" "$@")"
    if [[ "$a" != "$b" ]]; then
        fail "$user can tell $target exists with '$*':
--- for the job:
$a
--- for a missing id:
$b"
    fi
    info "$user: ${*:1:8}: same answer ($(grep -m1 '^name=' <<<"$a"))"
}

# unused_id: a random valid job id that no job has.
unused_id() {
    local id
    while :; do
        id="$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
        jobworkerctl status "$id" >/dev/null 2>&1 || { echo "$id"; return; }
    done
}

info "jobs of $U1: one running, one finished; $U2 has one too"
run1="$(jctl "$U1" start -- sleep 1000)"
done1="$(jctl "$U1" start -- true)"
jctl "$U1" wait "$done1"
own2="$(jctl "$U2" start -- sleep 1000)"
missing="$(unused_id)"

B="busctl"
for target in "$run1" "$done1"; do
    for iact in yes no; do
        A=(--allow-interactive-authorization="$iact")
        same "$U2" "$target" "$missing" $B "${A[@]}" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s @ID@
        same "$U2" "$target" "$missing" $B "${A[@]}" call "$BUS_NAME" @PATH@ "$JOB_IFACE" Stop t 0
        same "$U2" "$target" "$missing" $B "${A[@]}" get-property "$BUS_NAME" @PATH@ "$JOB_IFACE" State
    done
    same "$U2" "$target" "$missing" $B call "$BUS_NAME" @PATH@ "$JOB_IFACE" GetOutput 'a{sv}' 0
    same "$U2" "$target" "$missing" $B call "$BUS_NAME" @PATH@ "$JOB_IFACE" Remove
    same "$U2" "$target" "$missing" $B get-property "$BUS_NAME" @PATH@ "$JOB_IFACE" Owner
    same "$U2" "$target" "$missing" $B call "$BUS_NAME" @PATH@ org.freedesktop.DBus.Properties GetAll s "$JOB_IFACE"
    same "$U2" "$target" "$missing" $B call "$BUS_NAME" @PATH@ org.freedesktop.DBus.Introspectable Introspect
    same "$U2" "$target" "$missing" $B introspect "$BUS_NAME" @PATH@
    same "$U2" "$target" "$missing" $B call "$BUS_NAME" @PATH@ org.freedesktop.DBus.Peer Ping
    for verb in status stop logs remove; do
        same "$U2" "$target" "$missing" jobworkerctl "$verb" @ID@
    done
done

info "the answers are the documented ones"
got="$(bus_error "$U2" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" GetJob s "$run1")"
assert_eq "org.jobworker1.Error.NoSuchJob: No job $run1." "$got" "GetJob of another user's job"
got="$(bus_error "$U2" get-property "$BUS_NAME" "/org/jobworker1/job/$run1" "$JOB_IFACE" State)"
assert_eq "org.freedesktop.DBus.Error.UnknownObject: Unknown object '/org/jobworker1/job/$run1'." "$got" \
    "property read of another user's job"

info "nothing of $U1's shows in $U2's listings and tree"
tree2="$(bus "$U2" tree "$BUS_NAME")"
assert_contains "$tree2" "$own2" "$U2's own job in their tree"
[[ "$tree2" != *"$run1"* && "$tree2" != *"$done1"* ]] || fail "$U2's tree shows $U1's jobs: $tree2"
list2="$(bus "$U2" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" ListJobs)"
[[ "$list2" != *"$run1"* && "$list2" != *"$done1"* ]] || fail "$U2's ListJobs shows $U1's jobs"

info "the owner and root still see and manage them"
assert_eq 's "running"' "$(bus "$U1" get-property "$BUS_NAME" "/org/jobworker1/job/$run1" "$JOB_IFACE" State)"
assert_eq 's "running"' "$(bus root get-property "$BUS_NAME" "/org/jobworker1/job/$run1" "$JOB_IFACE" State)"
assert_contains "$(bus "$U1" introspect "$BUS_NAME" "/org/jobworker1/job/$run1")" ".Stop"
assert_contains "$(bus root tree "$BUS_NAME")" "$run1"
assert_eq running "$(job_field "$U1" "$run1" state)"
jctl "$U1" stop --timeout=30 "$run1"
jctl root stop --timeout=30 "$own2"
assert_eq finished "$(job_field "$U1" "$run1" state)"
