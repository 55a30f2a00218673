#!/bin/bash
# Start latency of a job vs its peers, in the guest, as root (bench/README.md).
#   N=30 WARMUP=3 CONC=100 bash start-latency.sh
# Each latency sample is one command's wall time, A and B interleaved; no
# per-run `timeout` (it would add a fork+exec to both sides): the caller
# bounds the whole script (bench/run-in-vm.sh uses timeout 1200).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N="${N:-30}" WARMUP="${WARMUP:-3}" CONC="${CONC:-100}"
# ONLY=NAME[,NAME...]: just those series (and no concurrent runs unless named).
ONLY="${ONLY:-}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# sample FILE CMD...: run CMD once, append its wall time (µs) to FILE.
sample() {
    local f="$1" t0 t1 rc=0
    shift
    t0="$(now_us)"
    "$@" >/dev/null 2>>"$tmp/err" || rc=$?
    t1="$(now_us)"
    if [[ $rc -ne 0 ]]; then
        echo "FAILED (exit $rc): $*" >&2; tail -n 5 "$tmp/err" >&2; return 1
    fi
    echo "$((t1 - t0))" >>"$f"
}

# series NAME FUNC_A FUNC_B: warm-up, then N interleaved runs of A and B.
series() {
    local name="$1" a="$2" b="$3" i
    if [[ -n "$ONLY" && ",$ONLY," != *",$name,"* ]]; then return 0; fi
    : >"$tmp/a"; : >"$tmp/b"
    warm
    for ((i = 0; i < WARMUP; i++)); do sample /dev/null "$a"; sample /dev/null "$b"; done
    for ((i = 0; i < N; i++)); do sample "$tmp/a" "$a"; sample "$tmp/b" "$b"; done
    read -r am ap <<<"$(stats "$tmp/a")"
    read -r bm bp <<<"$(stats "$tmp/b")"
    printf '%-8s A %-16s p50 %8.1f ms  p90 %8.1f ms\n' "$name" "$a" "$am" "$ap"
    printf '%-8s B %-16s p50 %8.1f ms  p90 %8.1f ms\n' "" "$b" "$bm" "$bp"
    printf '%-8s   A/B ratio        p50 %8s     p90 %8s\n' "" "$(ratio "$am" "$bm")" "$(ratio "$ap" "$bp")"
    result "$name" "$(ratio "$am" "$bm")"
}

# The commands compared (what each function runs is what is measured).
true_bin() { /bin/true; }
jw_plain() { jobworkerctl run -- true; }
sd_plain() { systemd-run --scope -q true; }
jw_limits() { jobworkerctl run --cpu=0.5 --memory=256M --io-read=10M -- true; }
sd_limits() {
    systemd-run --scope -q -p CPUQuota=50% -p MemoryMax=256M \
        -p "IOReadBandwidthMax=/ 10M" true
}
jw_start() { jobworkerctl start -- true; }
# The namespaces a job gets (PID, mount, network, IPC, UTS), nothing more.
sd_bwrap() {
    systemd-run --scope -q bwrap --unshare-pid --unshare-net --unshare-ipc --unshare-uts \
        --dev-bind / / true
}

# A root of the job's own from the host's system directories
# (--root=EMPTY --host-system) against bwrap building the same: the same
# read-only binds (merged-/usr links as links), a fresh /proc, a small
# /dev, private /tmp and /var/tmp, the same namespaces.
root_dir="$tmp/root"
mkdir "$root_dir"
bwrap_root_args=()
for d in usr bin sbin lib lib32 lib64 libx32 etc; do
    if [[ -L "/$d" ]]; then bwrap_root_args+=(--symlink "$(readlink "/$d")" "/$d")
    elif [[ -d "/$d" ]]; then bwrap_root_args+=(--ro-bind "/$d" "/$d"); fi
done
jw_root() { jobworkerctl run --root="$root_dir" --host-system -- true; }
sd_bwrap_root() {
    systemd-run --scope -q bwrap --unshare-pid --unshare-net --unshare-ipc --unshare-uts \
        "${bwrap_root_args[@]}" --proc /proc --dev /dev --tmpfs /tmp --tmpfs /var/tmp --chdir / true
}

# Bridged networking (issue 10): a job on the built-in network (its veth
# created, moved, addressed, routed, on the bridge, deleted again) against
# a plain job, and against a scope doing the same work with ip(8): a netns,
# a veth pair onto the bridge, address, route, the command inside, the
# netns deleted (which takes the veth with it). The first bridged run
# creates jobworker0, which the ip(8) side then uses.
jw_network() { jobworkerctl run --network=bridge -- true; }
sd_veth() {
    systemd-run --scope -q sh -c 'n=jwbench$$
        ip netns add $n
        ip link add ${n}h type veth peer name eth0 netns $n
        ip link set ${n}h master jobworker0 up
        ip -n $n addr add 10.89.0.250/24 dev eth0
        ip -n $n link set eth0 up
        ip -n $n link set lo up
        ip -n $n route add default via 10.89.0.1
        ip netns exec $n true
        rc=$?
        ip netns del $n
        exit $rc'
}

echo "== start latency (N=$N interleaved, warm-up $WARMUP; ms) =="
series floor true_bin true_bin
series plain jw_plain sd_plain
series limits jw_limits sd_limits
# `start` answers once the job runs; the scope command once it has ended
# (for `true`, a few ms later): the closest pair there is.
series start jw_start sd_plain
# The extra cost of a bridged start, and the same work done by ip(8).
series network jw_network jw_plain
series netns jw_network sd_veth
if command -v bwrap >/dev/null; then
    series bwrap jw_plain sd_bwrap
    series root jw_root sd_bwrap_root
else
    echo "bwrap    skipped: bwrap is not installed in the guest image"
fi

# concurrent KIND: CONC jobs at once, each started and waited for; time
# until all finished. jobworker: one `run` per job, as one `systemd-run
# --scope` per job on the other side (each starts its job and returns when
# it has ended); start-wait: `start` for all at once, then `wait` for all
# at once (two clients per job; shown, not in RATIOS).
concurrent() {
    local kind="$1" i t0 t1 t2 fails=0 pids=()
    warm
    t0="$(now_us)"
    for ((i = 0; i < CONC; i++)); do
        case "$kind" in
        jobworker) timeout 300 jobworkerctl run -- true 2>>"$tmp/err" & ;;
        start-wait) timeout 300 jobworkerctl start -- true >"$tmp/id.$i" 2>>"$tmp/err" & ;;
        *) timeout 300 systemd-run --scope -q true 2>>"$tmp/err" & ;;
        esac
        pids+=("$!")
    done
    for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
    t1="$(now_us)"
    if [[ "$kind" == start-wait ]]; then
        pids=()
        for ((i = 0; i < CONC; i++)); do
            timeout 300 jobworkerctl wait "$(cat "$tmp/id.$i")" 2>>"$tmp/err" &
            pids+=("$!")
        done
        for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
    fi
    t2="$(now_us)"
    printf '%-12s %4d x %-11s all returned %8.1f ms  all finished %8.1f ms  failures %d\n' \
        concurrent "$CONC" "$kind" "$(((t1 - t0) / 1000))" "$(((t2 - t0) / 1000))" "$fails"
    echo "$(((t2 - t0) / 1000))" >"$tmp/conc.$kind"
    echo "$fails" >"$tmp/fails.$kind"
    # Tidy up, not timed.
    if [[ "$kind" == start-wait ]]; then
        for ((i = 0; i < CONC; i++)); do
            timeout 60 jobworkerctl remove "$(cat "$tmp/id.$i")" >/dev/null 2>&1 || true
        done
    elif [[ "$kind" == jobworker ]]; then
        jobworkerctl list --all --json | jq -r '.[] | select(.state == "finished") | .id' |
            xargs -r -n 1 timeout 60 jobworkerctl remove >/dev/null 2>&1 || true
    fi
}
if [[ -n "$ONLY" && ",$ONLY," != *",concurrent,"* ]]; then exit 0; fi
concurrent jobworker
concurrent systemd-run
concurrent start-wait
printf '%-12s ratio all finished %s (start, then wait: %s)\n' "" \
    "$(ratio "$(cat "$tmp/conc.jobworker")" "$(cat "$tmp/conc.systemd-run")")" \
    "$(ratio "$(cat "$tmp/conc.start-wait")" "$(cat "$tmp/conc.systemd-run")")"
result concurrent "$(ratio "$(cat "$tmp/conc.jobworker")" "$(cat "$tmp/conc.systemd-run")")"
result concurrent_failures "$(($(cat "$tmp/fails.jobworker") + $(cat "$tmp/fails.start-wait")))"
result concurrent_start_wait "$(ratio "$(cat "$tmp/conc.start-wait")" "$(cat "$tmp/conc.systemd-run")")"
