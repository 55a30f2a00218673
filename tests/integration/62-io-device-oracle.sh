#!/bin/bash
# IODevice names a path, which the daemon resolves to a block device. A user
# must learn nothing from it about paths they cannot reach: the answer is the
# same whether /root/X exists or not, and what systemd gets is the device as
# the caller resolved it, not a path for root to look up. (Before, the path
# was stat()ed as root: an existing file in /root was accepted and a missing
# one refused with "No such file or directory".)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

U1="$TEST_USER1"
chmod 700 /root
touch /root/io-device-oracle
mkdir -p /root/io-device-dir
running=""
cleanup() {
    rm -rf /root/io-device-oracle /root/io-device-dir
    [[ -n "$running" ]] && jobworkerctl stop --timeout=5 "$running" >/dev/null 2>&1
    return 0
}
trap cleanup EXIT

# start_answer USER PATH: how a start with IODevice=PATH is answered, the
# path replaced by "PATH".
start_answer() {
    local user="$1" path="$2" rc=0 out
    out="$(jctl "$user" run --io-device="$path" --io-read=1M -- true 2>&1)" || rc=$?
    printf 'rc=%s %s\n' "$rc" "${out//"$path"/PATH}"
}

exists="$(start_answer "$U1" /root/io-device-oracle)"
dir="$(start_answer "$U1" /root/io-device-dir)"
missing="$(start_answer "$U1" /root/no-such-file)"
info "existing file: $exists"
info "existing directory: $dir"
info "missing file: $missing"
[[ "$exists" != rc=0* ]] || fail "$U1 got an IODevice in /root, which they cannot reach"
assert_eq "$missing" "$exists" "answer for an existing vs a missing file in /root"
assert_eq "$missing" "$dir" "answer for an existing directory vs a missing file in /root"
assert_contains "$missing" "IODevice PATH is not a block device"
assert_contains "$(start_answer "$U1" /dev/null)" "IODevice PATH is not a block device" "a character device"

info "root reaches /root"
[[ "$(start_answer root /root/io-device-oracle)" == rc=0* ]] || fail "root cannot use IODevice=/root/io-device-oracle"

info "systemd gets the device the caller resolved; the job shows the caller's path"
running="$(jctl "$U1" start --io-device=/usr --io-read=1M -- sleep 100)"
unit="jobworker-$running.scope"
wait_until 30 unit_is "$unit" active || fail "$unit is not active"
d="$(stat -c %d /usr)"
dev="$(( (d >> 8) & 0xfff | (d >> 32) & ~0xfff )):$(( d & 0xff | (d >> 12) & ~0xff ))"
prop="$(systemctl show -P IOReadBandwidthMax "$unit")"
info "IOReadBandwidthMax of $unit: $prop"
assert_contains "$prop" "/dev/block/$dev 1048576" "the scope's IOReadBandwidthMax"
assert_eq /usr "$(job_field "$U1" "$running" limits.io_device)" "IODevice of the job"
