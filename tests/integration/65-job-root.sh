#!/bin/bash
# --root=DIR (RootDirectory): a user's own directory with a static busybox
# becomes the job's "/". The job sees exactly DIR's entries plus its own
# /proc and /dev, cannot climb out (cd /../..), sees only its processes, has
# working /dev/null and /dev/urandom, its --workdir inside the root, its exit
# code and output as without a root; nothing is written into DIR as root,
# nothing of it shows on the host's mount table; a symlink in DIR resolves
# inside the root; setuid bits give nothing (nosuid, no_new_privs). The
# same for root with a root-owned tree.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

busybox=/bin/busybox
[[ -x "$busybox" ]] || fail "no $busybox in the test image (busybox-static)"

u="$TEST_USER1"
home="$(getent passwd "$u" | cut -d: -f6)"
dir="$(as_user "$u" mktemp -d "$home/jw65.XXXXXX")"
rootdir="$(mktemp -d /srv/jw65root.XXXXXX)"
cleanup() { rm -rf "$dir" "$rootdir"; }
trap cleanup EXIT

# DIR, made by its user: a busybox, a data dir, a file, a symlink to
# /root/... (which means the root's /root, not the host's), a dangling one.
make_tree() {
    local d="$1"
    mkdir "$d/bin" "$d/data"
    cp "$busybox" "$d/bin/busybox"
    for a in sh ls cat echo pwd head wc grep id sort tr stat touch; do ln -s busybox "$d/bin/$a"; done
    echo inside >"$d/file.txt"
    ln -s /root/secret "$d/link"
    ln -s /etc "$d/etc-link"
}
as_user "$u" bash -c "$(declare -f make_tree); busybox=$busybox; make_tree $dir"
make_tree "$rootdir"
mkdir -p /root/secret && echo host-secret >/root/secret/file

check_root() {
    local user="$1" d="$2" out
    info "as $user with --root=$d"
    out="$(run_capture "$user" --root="$d" 'ls -A / | tr "\n" " "; echo
        cd /../../..; pwd; ls -A | tr "\n" " "; echo
        ls /proc | grep -c "^[0-9]"
        ls -A /dev | tr "\n" " "; echo
        head -c 16 /dev/urandom | wc -c; echo x >/dev/null && echo null-ok
        cat /file.txt
        cat /link/file 2>&1 || echo no-link
        ls /etc-link 2>&1 || echo no-etc
        id -u
        grep NoNewPrivs /proc/self/status | tr -d "\t "
        grep -c " /bin [^ ]*nosuid" /proc/self/mountinfo || grep " /bin " /proc/self/mountinfo
        for n in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$n; done | tr "\n" ";"; echo')"
    info "$out"
    mapfile -t l <<<"$out"
    assert_eq "bin data dev etc-link file.txt link proc " "${l[0]}" "the job's / with --root"
    assert_eq "/" "${l[1]}" "pwd after cd /../../.."
    assert_eq "bin data dev etc-link file.txt link proc " "${l[2]}" "/ after cd /../../.."
    # init, sh, ls, grep: the job's PID namespace only.
    (( l[3] >= 1 && l[3] <= 5 )) || fail "the job's /proc shows ${l[3]} processes"
    assert_eq "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " "${l[4]}" "the job's /dev"
    assert_eq 16 "${l[5]// /}" "bytes from /dev/urandom"
    assert_eq null-ok "${l[6]}" "/dev/null"
    assert_eq inside "${l[7]}" "/file.txt"
    assert_contains "${l[8]}" "No such file" "/link (-> /root/secret) resolves inside the root"
    assert_eq no-link "${l[9]}" "/link is not the host's /root/secret"
    assert_contains "${l[10]}" "No such file" "/etc-link (-> /etc) resolves inside the root"
    assert_eq "$(id -u "$user")" "${l[12]}" "the job's uid"
    assert_eq "NoNewPrivs:1" "${l[13]}" "no_new_privs"
    assert_eq 1 "${l[14]}" "/bin in the root is mounted nosuid"
    # The same devices as the host's (made, not bound), usable by anyone.
    assert_eq "/dev/null character special file 1:3 666;/dev/zero character special file 1:5 666;/dev/full character special file 1:7 666;/dev/random character special file 1:8 666;/dev/urandom character special file 1:9 666;/dev/tty character special file 5:0 666;" \
        "${l[15]}" "the job's /dev nodes"

    # --workdir is inside the root; exit codes and stderr as without a root.
    out="$(run_capture "$user" --root="$d" --workdir=/data 'pwd; echo err >&2; exit 7')" && rc=0 || rc=$?
    assert_eq 7 "$rc" "exit code in a root"
    assert_eq /data "$out" "--workdir inside the root"
    id="$(jctl "$user" start --root="$d" --workdir=/data -- sh -c 'echo to-stderr >&2; exit 3')"
    rc=0; jctl "$user" wait "$id" || rc=$?
    assert_eq 3 "$rc" "exit code of a started job in a root"
    assert_eq to-stderr "$(journalctl -q -o cat JOB_ID="$id" JOB_STREAM=stderr)" "stderr in a root"
    assert_eq "$d" "$(job_field "$user" "$id" root_directory)" "status --json root_directory"
    assert_contains "$(jctl "$user" status "$id")" "$d" "status shows the root"
    assert_eq "s \"$d\"" "$(bus "$user" get-property "$BUS_NAME" "$BUS_PATH/job/$id" org.jobworker1.Job RootDirectory)" \
        "RootDirectory property"

    # A workdir the root lacks (the symlink leads nowhere inside it): the
    # start fails, naming the directory.
    rc=0; out="$(jctl "$user" run --root="$d" --workdir=/link -- true 2>&1)" || rc=$?
    assert_ne 0 "$rc" "--workdir=/link (-> /root/secret) in a root"
    assert_contains "$out" "/link" "the error names the workdir"

    # Nothing made in DIR, nothing left on the host.
    assert_eq "bin data etc-link file.txt link " "$(ls -A "$d" | tr '\n' ' ')" "$d after the jobs"
    assert_eq "" "$(findmnt -rn -o SOURCE,TARGET | grep -e jw65 -e jobworker-root || true)" "mounts of the job on the host"
}

check_root "$u" "$dir"
[[ -z "$(find "$dir" -user root)" ]] || fail "root-owned files in $u's root: $(find "$dir" -user root)"
check_root root "$rootdir"
assert_no_failed_job_units
