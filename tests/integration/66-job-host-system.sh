#!/bin/bash
# --root=DIR --host-system (HostSystem): an empty directory of the user's is
# enough to run the host's tools. /usr and the rest are read-only, /home is
# not there, /tmp and /var/tmp are writable and the job's own; the user's
# name resolves (from the host's /etc, read by the job as the user, never by
# the root shim); DIR is left as it was. --private-tmp alone gives any job
# an empty /tmp of its own.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

marker="/tmp/jw66-host-$RANDOM$RANDOM"
dirs=()
cleanup() { rm -rf "$marker" "${dirs[@]}"; }
trap cleanup EXIT
echo host >"$marker"

check_host_system() {
    local user="$1" d out expected_ls
    d="$(jctl_mktemp "$user")"
    dirs+=("$d")
    info "as $user with --root=$d --host-system"
    out="$(run_capture "$user" --root="$d" --host-system 'ls -A / | tr "\n" " "; echo
        id -un
        touch /usr/jw66 2>&1 || echo usr-ro
        touch /etc/jw66 2>&1 || echo etc-ro
        ls /home 2>&1 || echo no-home
        ls -A /tmp | tr "\n" " "; echo
        echo job >/tmp/mine && cat /tmp/mine
        echo job >/var/tmp/mine && cat /var/tmp/mine
        stat -c "%a" /tmp
        touch /newfile 2>&1 || echo root-ro
        test -L /bin && echo bin-link || echo bin-dir')"
    info "$out"
    mapfile -t l <<<"$out"
    # Everything --host-system adds, the host's merged-/usr links as links.
    expected_ls="$(for n in bin dev etc lib lib32 lib64 libx32 proc sbin tmp usr var; do
        case "$n" in dev|proc|tmp|var) echo "$n" ;; *) [[ -e "/$n" || -L "/$n" ]] && echo "$n" ;; esac
    done | sort | tr '\n' ' ')"
    assert_eq "$expected_ls" "${l[0]}" "the job's / with --host-system and an empty root"
    assert_eq "$user" "${l[1]}" "id -un in the root"
    assert_contains "${l[2]}" "Read-only file system" "touch /usr/jw66"
    assert_eq usr-ro "${l[3]}" "/usr is read-only"
    assert_contains "${l[4]}" "Read-only file system" "touch /etc/jw66"
    assert_contains "${l[6]}" "No such file" "ls /home"
    assert_eq "" "${l[8]% }" "the job's /tmp is empty (not the host's, which has $marker)"
    assert_eq job "${l[9]}" "/tmp is writable"
    assert_eq job "${l[10]}" "/var/tmp is writable"
    assert_eq 1777 "${l[11]}" "mode of the job's /tmp"
    assert_eq root-ro "${l[13]}" "the root's own / (our skeleton) is read-only"
    if [[ -L /bin ]]; then assert_eq bin-link "${l[14]}" "/bin (a merged-/usr link on the host)"; fi
    [[ ! -e /tmp/mine && ! -e /var/tmp/mine ]] || fail "the job's /tmp/mine reached the host"
    assert_eq "" "$(ls -A "$d")" "$d after the job"
    assert_eq "" "$(find "$d" -user root ! -path "$d")" "root-owned files in $d"
    assert_eq "b true" "$(bus "$user" get-property "$BUS_NAME" "$BUS_PATH/job/$(jctl "$user" start --root="$d" --host-system -- true)" \
        org.jobworker1.Job HostSystem)" "HostSystem property"
}

# An empty directory as each user makes it.
jctl_mktemp() {
    if [[ "$1" == root ]]; then mktemp -d; else as_user "$1" mktemp -d; fi
}

for_each_user check_host_system

# --private-tmp without a root: the host view, but /tmp and /var/tmp empty
# and the job's own.
out="$(run_capture "$TEST_USER1" --private-tmp 'ls -A /tmp | tr "\n" " "; echo; echo j >/tmp/pt && cat /tmp/pt; ls -d /home')"
info "$out"
mapfile -t l <<<"$out"
assert_eq "" "${l[0]% }" "/tmp of a --private-tmp job"
assert_eq j "${l[1]}" "/tmp of a --private-tmp job is writable"
assert_eq /home "${l[2]}" "a --private-tmp job still sees the host"
[[ ! -e /tmp/pt ]] || fail "a --private-tmp job's file reached the host's /tmp"
# Without it, the host's /tmp.
out="$(run_capture "$TEST_USER1" "cat $marker")"
assert_eq host "$out" "a default job sees the host's /tmp"

# HostSystem needs a root.
rc=0; out="$(jctl "$TEST_USER1" run --host-system -- true 2>&1)" || rc=$?
assert_ne 0 "$rc" "--host-system without --root"
assert_contains "$out" "RootDirectory" "the refusal says what is missing"
assert_no_failed_job_units
