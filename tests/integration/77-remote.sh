#!/bin/bash
# Every verb over -H USER@HOST (issue 11): the guest's own sshd, key login
# to the test user at localhost; sd-bus runs `ssh -xT USER@HOST
# systemd-stdio-bridge`, a connection that cannot pass file descriptors, so
# output comes through ReadOutput. Output checksums and exit codes equal
# the local ones; run gives the job /dev/null as stdin there. (The image
# resolves no "localhost": ssh's config names 127.0.0.1 for it.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U="$TEST_USER1"
HOME_U="$(getent passwd "$U" | cut -d: -f6)"
[[ -x /usr/bin/systemd-stdio-bridge ]] || fail "systemd-stdio-bridge is missing in the guest"
cleanup() {
    rm -rf /root/.ssh/jw-test-key /root/.ssh/jw-test-key.pub /root/.ssh/config "$HOME_U/.ssh" /tmp/jw-remote.*
}
trap cleanup EXIT

info "sshd with key login to $U@localhost"
ssh-keygen -A >/dev/null
systemctl start ssh.service
mkdir -p /root/.ssh "$HOME_U/.ssh"
chmod 0700 /root/.ssh
ssh-keygen -q -t ed25519 -N '' -f /root/.ssh/jw-test-key
cat >/root/.ssh/config <<CONF
Host localhost
    HostName 127.0.0.1
    IdentityFile /root/.ssh/jw-test-key
    StrictHostKeyChecking accept-new
    UserKnownHostsFile /root/.ssh/jw-test-known-hosts
    BatchMode yes
CONF
cp /root/.ssh/jw-test-key.pub "$HOME_U/.ssh/authorized_keys"
chown -R "$U:" "$HOME_U/.ssh"
chmod 0700 "$HOME_U/.ssh"
chmod 0600 "$HOME_U/.ssh/authorized_keys"
assert_eq "$U" "$(ssh -xT "$U@localhost" id -un)" "ssh login"

R=(jobworkerctl -H "$U@localhost")

info "run: output and exit code as locally"
SCRIPT='head -c 2000000 /dev/zero | tr "\0" "x"; seq 1 20000; echo to-stderr >&2; exit 7'
rc=0; "${R[@]}" run -- sh -c "$SCRIPT" >/tmp/jw-remote.out 2>/tmp/jw-remote.err || rc=$?
assert_eq 7 "$rc" "exit code of run over -H"
lrc=0; jctl "$U" run -- sh -c "$SCRIPT" >/tmp/jw-remote.lout 2>/tmp/jw-remote.lerr || lrc=$?
assert_eq "$lrc" "$rc" "exit codes local and remote"
assert_eq "$(md5sum </tmp/jw-remote.lout)" "$(md5sum </tmp/jw-remote.out)" "stdout over -H"
assert_contains "$(cat /tmp/jw-remote.err)" "to-stderr"


info "run over -H gives /dev/null as stdin"
out="$(echo from-client | "${R[@]}" run -- sh -c 'readlink /proc/self/fd/0; cat')"
assert_eq /dev/null "$out" "stdin of a remote run"
out="$("${R[@]}" run --stdin=/etc/hostname -- cat 2>&1)" && fail "--stdin over -H was accepted"
assert_contains "$out" "needs the local bus"

info "start, status, list, wait, logs, logs -f"
id="$("${R[@]}" start -- sh -c 'for i in $(seq 1 50); do echo line $i; echo err $i >&2; sleep 0.1; done; exit 3')"
[[ "$id" =~ ^[0-9a-f]{12}$ ]] || fail "start over -H printed '$id'"
assert_contains "$("${R[@]}" list)" "$id"
assert_eq "$U" "$(id -un "$("${R[@]}" status --json "$id" | jq -r .owner_uid)")" "the owner is the ssh user"
"${R[@]}" logs -f "$id" >/tmp/jw-remote.follow 2>/tmp/jw-remote.follow-err
rc=0; "${R[@]}" wait "$id" || rc=$?
assert_eq 3 "$rc" "wait over -H"
assert_eq "$(jobworkerctl logs --stdout "$id" | md5sum)" "$(md5sum </tmp/jw-remote.follow)" "logs -f stdout over -H"
assert_eq "$(jobworkerctl logs --stderr "$id" 2>&1 >/dev/null | md5sum)" "$(md5sum </tmp/jw-remote.follow-err)" \
    "logs -f stderr over -H"
assert_eq 50 "$(grep -c '^line' /tmp/jw-remote.follow)" "lines followed"
"${R[@]}" logs "$id" >/tmp/jw-remote.logs 2>/dev/null
assert_eq "$(jobworkerctl logs --stdout "$id" | md5sum)" "$(md5sum </tmp/jw-remote.logs)" "logs over -H"
assert_eq finished "$("${R[@]}" status --json "$id" | jq -r .state)" "status over -H"

info "a large output through logs, several replies"
id="$(jctl "$U" start -- sh -c 'head -c 6000000 /dev/urandom | base64')"
jctl "$U" wait "$id"
assert_eq "$(jobworkerctl logs "$id" | md5sum)" "$("${R[@]}" logs "$id" | md5sum)" "6 MB of logs over -H"

info "stop over -H"
id="$("${R[@]}" start -- sleep 300)"
"${R[@]}" stop "$id"
assert_eq stopped "$(job_field root "$id" result)" "result after a remote stop"

info "ReadOutput: refusals and privacy"
id="$(jctl "$U" start -- echo private)"
jctl "$U" wait "$id"
out="$(bus_error "$TEST_USER2" call org.jobworker1 "/org/jobworker1/job/$id" org.jobworker1.Job ReadOutput \
    ttsut 0 0 "" 1000 0)"
assert_contains "$out" "org.freedesktop.DBus.Error.UnknownObject"
out="$(bus_error "$U" call org.jobworker1 "/org/jobworker1/job/$id" org.jobworker1.Job ReadOutput ttsut 0 0 "" 0 0)"
assert_contains "$out" "org.jobworker1.Error.InvalidArgument"
out="$(bus_error "$U" call org.jobworker1 "/org/jobworker1/job/$id" org.jobworker1.Job ReadOutput \
    ttsut 0 0 "not a cursor" 100 0)"
assert_contains "$out" "org.jobworker1.Error.InvalidArgument"
out="$(bus "$U" call --json=short org.jobworker1 "/org/jobworker1/job/$id" org.jobworker1.Job ReadOutput \
    ttsut 0 0 "" 3 0)"
assert_eq '[[112,114,105],[],3,0]' "$(jq -c '.data[0:4]' <<<"$out")" "a reply cut at max_bytes"
assert_eq '[true,false]' "$(jq -c '.data[5:7]' <<<"$out")" "more, not the end"
cursor="$(jq -r '.data[4]' <<<"$out")"
out="$(bus "$U" call --json=short org.jobworker1 "/org/jobworker1/job/$id" org.jobworker1.Job ReadOutput \
    ttsut 3 0 "$cursor" 100 0)"
assert_eq '[[118,97,116,101,10],[],8,0]' "$(jq -c '.data[0:4]' <<<"$out")" "the rest, resumed"
assert_eq true "$(jq -c '.data[6]' <<<"$out")" "the end of a finished job's output"
assert_no_failed_job_units
