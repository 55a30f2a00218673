#!/bin/bash
# Boot the staged build in a throw-away Debian 12 VM (qemu, TCG) and run the
# integration tests, one command, or an interactive shell there.
#
#   run.sh --build BUILDDIR [--test | --cmd 'COMMAND LINE' | --shell]
#          [--tests GLOB] [--timeout SEC]
#
# --test (default): TAP on stdout, details of failures on stderr; exit status
#   non-zero if a test failed, the guest produced no results or it hung.
# --cmd: run COMMAND LINE as root in the guest, relay its output and status.
# --shell: root shell on the serial console; type 'poweroff' to leave.
# See tests/vm/README.md for the environment variables.
set -euo pipefail
# The whole script is one { ... } block, so bash parses it before running:
# editing run.sh while a (long) VM run is in progress cannot break that run.
{
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
builddir="" mode=test cmd="" glob="*"
soak="${JOBWORKER_SOAK_SEC:-}"
[[ -z "$soak" || "$soak" =~ ^[0-9]+$ ]] || { echo "run.sh: JOBWORKER_SOAK_SEC must be a number" >&2; exit 2; }
# A long soak (tests/integration/90-soak.sh) raises the default limits to
# fit it: its load, twice that for checks and slow starts, plus a margin.
timeout="${JOBWORKER_VM_TIMEOUT:-$((soak > 300 ? 4500 + 3 * soak : 4500))}"
per_test="${JOBWORKER_VM_TEST_TIMEOUT:-$((soak > 100 ? 3 * soak : 300))}"

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "run.sh: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) builddir="${2:?}"; shift 2 ;;
    --test) mode=test; shift ;;
    --cmd) mode=cmd; cmd="${2:?}"; shift 2 ;;
    --shell) mode=shell; shift ;;
    --tests) glob="${2:?}"; shift 2 ;;
    --timeout) timeout="${2:?}"; shift 2 ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown argument $1" >&2; usage ;;
    esac
done
[[ -n "$builddir" ]] || usage
builddir="$(readlink -f "$builddir")"

image="$("$here/image.sh")"
base="${image%.raw}"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/jobworker-vm.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
share="$tmp/share"
mkdir -p "$share/out"

# Stage exactly what a user's install would contain.  With rebuild: `meson
# test` only builds the targets tests depend on, not everything installed.
# Stdout must stay pure TAP, so meson's and ninja's chatter goes to stderr.
# The lock keeps two run.sh on one build dir from running ninja at once.
flock "$builddir/.jobworker-vm.lock" \
    meson install -C "$builddir" --destdir "$share/stage" --quiet >&2 \
    || die "meson install failed"
cp -a "$here/../integration" "$share/integration"
cp -a "$here/../../bench" "$share/bench"     # benchmarks: /mnt/host/bench
cp "$here/guest.sh" "$share/guest.sh"
if [[ "${JOBWORKER_VM_INJECT_FAIL:-0}" == 1 ]]; then
    # A test that must fail: proves failures are detected and reported.
    printf '#!/bin/bash\necho "deliberate failure (JOBWORKER_VM_INJECT_FAIL=1)"\nexit 1\n' \
        >"$share/integration/injected-failure.sh"
fi
{
    printf 'MODE=%q\nCMD=%q\nTESTS_GLOB=%q\n' "$mode" "$cmd" "$glob"
    printf 'PER_TEST_TIMEOUT=%q\n' "$per_test"
    # The soak test's settings (tests/integration/90-soak.sh).
    printf 'JOBWORKER_SOAK_SEC=%q\n' "$soak"
    printf 'JOBWORKER_SOAK_SEED=%q\n' "${JOBWORKER_SOAK_SEED:-}"
    printf 'JOBWORKER_SOAK_WORKERS=%q\n' "${JOBWORKER_SOAK_WORKERS:-}"
} >"$share/env"

# Throw-away copy-on-write overlay: the cached base image is never written.
qemu-img create -q -f qcow2 -b "$image" -F raw "$tmp/overlay.qcow2"

# KVM hangs in nested guests on these machines: always TCG.
qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 2048 -smp 2
      -no-reboot -nic none -device virtio-rng-pci
      -kernel "$base.vmlinuz" -initrd "$base.initrd"
      -append "root=/dev/vda rw console=ttyS0 quiet ${JOBWORKER_VM_APPEND:-}"
      -drive "file=$tmp/overlay.qcow2,if=virtio,format=qcow2"
      -virtfs "local,path=$share,mount_tag=host0,security_model=none")

if [[ "$mode" == shell ]]; then
    echo "run.sh: booting (~40 s); you get a root shell; type 'poweroff' to leave" >&2
    "${qemu[@]}" -nographic
    exit 0
fi

start=$SECONDS
rc=0
# Bounded: a hung guest is killed after $timeout seconds.
timeout -k 10 "$timeout" "${qemu[@]}" -display none -monitor none \
    -serial "file:$tmp/console.log" </dev/null >"$tmp/qemu.log" 2>&1 || rc=$?
echo "run.sh: VM ran $((SECONDS - start)) s ($(cat "$share/out/boot-time" 2>/dev/null || echo 'guest script never started'))" >&2

console_tail() {
    echo "--- qemu output ---" >&2; cat "$tmp/qemu.log" >&2
    echo "--- guest console (last 60 lines) ---" >&2
    tail -n 60 "$tmp/console.log" >&2 || true
}
if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    echo "run.sh: guest HUNG: killed after ${timeout}s" >&2
    console_tail
elif [[ $rc -ne 0 ]]; then
    echo "run.sh: qemu exited with status $rc" >&2
    console_tail
fi
if [[ -e "$share/out/setup-failed" ]]; then
    echo "run.sh: guest setup failed:" >&2
    cat "$share/out/setup.log" >&2
    exit 1
fi

if [[ "$mode" == cmd ]]; then
    [[ -e "$share/out/cmd.rc" ]] || { [[ $rc -ne 0 ]] || console_tail; die "command did not finish"; }
    cat "$share/out/cmd.stdout"
    cat "$share/out/cmd.stderr" >&2
    exit "$(cat "$share/out/cmd.rc")"
fi

tap="$share/out/results.tap"
if [[ ! -s "$tap" ]]; then
    [[ $rc -ne 0 ]] || console_tail
    die "guest produced no test results"
fi
cat "$tap"
status=0
# Details of each failure on stderr (meson keeps stdout for TAP parsing).
while read -r line; do
    name="${line#not ok * - }"; name="${name%% #*}"
    echo "===== FAILED: $name: output =====" >&2
    cat "$share/out/$name.log" >&2 || true
    echo "===== FAILED: $name: guest journal since test start (tail) =====" >&2
    cat "$share/out/$name.journal" >&2 || true
    status=1
done < <(grep '^not ok' "$tap" || true)
[[ "$(head -n1 "$tap")" != "1..0" ]] || die "no test matched '$glob'"
[[ -e "$share/out/done" ]] || die "guest did not finish all tests (crash or hang)"
[[ $rc -eq 0 ]] || die "qemu exited with status $rc"
exit "$status"
}
