#!/bin/bash
# Build (once) the cached Debian 12 base image for the VM integration tests.
#
# Usage: image.sh            -> builds if needed, prints the image path on stdout
#
# The image is keyed by a sha256 of this recipe (script text + package list +
# mirror), so changing anything here produces a new image instead of silently
# reusing a stale one.  Output (all in $JOBWORKER_VM_CACHE):
#   base-<hash>.raw      ext4 root file system (never modified after build;
#                        every run uses a throw-away qcow2 overlay on top)
#   base-<hash>.vmlinuz  kernel, base-<hash>.initrd  initramfs (direct boot)
set -euo pipefail

# Everything the guest needs.  Later features add packages HERE (only here):
# the hash below changes and a fresh image is built automatically.
PACKAGES="systemd,systemd-sysv,dbus,libpam-systemd,polkitd,linux-image-amd64,udev,iproute2,procps,man-db,jq,util-linux,kmod,libmnl0,libinih1,libjson-c5,busybox-static,bubblewrap,netcat-openbsd,iputils-ping,openssh-server,openssh-client"
SUITE=bookworm
# Same mirror as the host's apt configuration (deb.debian.org).
MIRROR="${JOBWORKER_VM_MIRROR:-http://deb.debian.org/debian}"
CACHE="${JOBWORKER_VM_CACHE:-/var/cache/jobworker-vm}"
IMAGE_SIZE=3G

self="$(readlink -f "${BASH_SOURCE[0]}")"
hash="$( { cat "$self"; echo "$PACKAGES $SUITE $MIRROR $IMAGE_SIZE"; } \
        | sha256sum | cut -c1-16)"
base="$CACHE/base-$hash"

log() { echo "image.sh: $*" >&2; }

mkdir -p "$CACHE"
# Fast path: the .raw is renamed into place last, so its existence means the
# kernel and initrd are complete too.
if [[ -f "$base.raw" ]]; then
    echo "$base.raw"
    exit 0
fi

# Serialise concurrent builders; the loser finds the finished image.
exec 9>"$base.lock"
flock 9
if [[ -f "$base.raw" ]]; then
    echo "$base.raw"
    exit 0
fi

# Build in a temp dir on the same file system so the final renames are atomic
# and an interrupted build leaves only a temp dir (removed by the trap).
tmp="$(mktemp -d "$CACHE/.build-$hash.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
root="$tmp/root"
start=$SECONDS

log "building base image $base.raw (takes a few minutes)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" \
    >"$tmp/debootstrap.log" 2>&1 || {
    tail -n 50 "$tmp/debootstrap.log" >&2
    log "debootstrap failed"
    exit 1
}

# --- configure the guest -----------------------------------------------------
echo jobworker-vm >"$root/etc/hostname"
printf '127.0.1.1\tjobworker-vm\n' >>"$root/etc/hosts"
printf '/dev/vda\t/\text4\trw,errors=remount-ro\t0\t1\n' >"$root/etc/fstab"
# Root without password: the VM is throw-away and only reachable via the serial
# console of a qemu process owned by the developer.
chroot "$root" passwd -d root >/dev/null

# Serial autologin for `run.sh --shell`.
mkdir -p "$root/etc/systemd/system/serial-getty@ttyS0.service.d"
cat >"$root/etc/systemd/system/serial-getty@ttyS0.service.d/autologin.conf" <<'EOF'
[Service]
ExecStart=
ExecStart=-/sbin/agetty --autologin root --noclear --keep-baud 115200,57600,38400,9600 %I $TERM
EOF

# The test driver: mount the host share and run its guest script.  The script
# lives in the share (not in the image) so editing it needs no image rebuild.
cat >"$root/etc/systemd/system/jobworker-test.service" <<'EOF'
[Unit]
Description=jobworker VM test driver (runs /mnt/host/guest.sh)
After=multi-user.target
ConditionVirtualization=vm

[Service]
# exec, not oneshot: the boot transaction finishes before the tests run, so
# `systemctl is-system-running` says "running" in the guest, not "starting".
Type=exec
StandardOutput=journal+console
StandardError=journal+console
ExecStartPre=/bin/mkdir -p /mnt/host
ExecStartPre=/bin/mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 host0 /mnt/host
ExecStart=/bin/bash /mnt/host/guest.sh

[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/jobworker-test.service \
    "$root/etc/systemd/system/multi-user.target.wants/jobworker-test.service"

# Background jobs that only cost CPU under TCG and make timings noisy.
for u in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer \
         fstrim.timer systemd-tmpfiles-clean.timer getty@tty1.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$u"
done
# The journal is persistent, as on a stock Debian 12 host (systemd's postinst
# creates /var/log/journal): a volatile one is capped at 10 % of /run and
# vacuums a job's output away long before 50 MiB.
mkdir -p "$root/var/log/journal"

# Drop caches that only bloat the image.
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*

cp "$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n1)" "$tmp/vmlinuz"
cp "$(ls "$root"/boot/initrd.img-* | sort -V | tail -n1)" "$tmp/initrd"
# No loop mounts: mkfs.ext4 populates the file system from the directory.
mkfs.ext4 -q -F -L jobworker-root -d "$root" "$tmp/base.raw" "$IMAGE_SIZE" >&2

mv -f "$tmp/vmlinuz" "$base.vmlinuz"
mv -f "$tmp/initrd" "$base.initrd"
mv -f "$tmp/base.raw" "$base.raw"   # last: marks the cache entry complete
log "built in $((SECONDS - start)) s"
echo "$base.raw"
