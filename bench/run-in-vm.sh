#!/bin/bash
# Host side: boot the build in the test VM (tests/vm/run.sh) and run the
# benchmarks there; the report goes to stdout.
#   bench/run-in-vm.sh [BUILDDIR]        (default: build; run as root)
# Guest settings pass through: N, WARMUP, CONC (start-latency.sh), REPS,
# READERS (output.sh), e.g. `N=5 REPS=1 bench/run-in-vm.sh` for a smoke run.
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
build="${1:-build}"
vars=""
for v in N WARMUP CONC REPS READERS FINISHED FOLLOW_LINES ONLY; do
    if [[ -n "${!v:-}" ]]; then vars+="$v=$(printf %q "${!v}") "; fi
done
# Each script is bounded in the guest; the VM as a whole by --timeout.
cmd="export $vars PATH=\$PATH BENCH_RESULTS=/tmp/bench.results; cd /tmp; rc=0; : >/tmp/bench.results;
echo \"== guest: \$(uname -r), systemd \$(systemctl --version | head -n1 | cut -d' ' -f2), \$(nproc) vCPU, \$(date -u +%F) ==\";
timeout -k 10 1500 bash /mnt/host/bench/start-latency.sh 2>&1 || rc=\$?;
timeout -k 10 3000 bash /mnt/host/bench/output.sh 2>&1 || rc=\$?;
bash /mnt/host/bench/ratios.sh /tmp/bench.results;
exit \$rc"
exec "$here/../tests/vm/run.sh" --build "$build" --timeout 5400 --cmd "$cmd"
