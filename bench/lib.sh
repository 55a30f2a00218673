# bench/lib.sh: helpers for the guest benchmarks (sourced; bash 5).
# Times are microseconds from $EPOCHREALTIME (no fork, so the clock itself
# costs nothing on either side of a comparison).

now_us() { local t="${EPOCHREALTIME//[.,]/}"; echo "$((10#$t))"; }

# stats FILE: "median p90" in ms (nearest-rank p90) of the µs values in FILE.
stats() {
    sort -n "$1" | awk '{ a[NR] = $1 }
        END { if (NR == 0) { print "nan nan"; exit }
              m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
              k = int(0.9 * NR); if (k < 0.9 * NR) k++
              printf "%.1f %.1f\n", m / 1000, a[k] / 1000 }'
}

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }

# warm: make sure jobworkerd runs (it exits after 30 s without calls).
warm() { timeout 60 jobworkerctl version >/dev/null; }

main_pid() { systemctl show -p MainPID --value jobworkerd.service; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# result KEY VALUE: record one figure for the RATIOS line that
# bench/run-in-vm.sh prints at the end ($BENCH_RESULTS, one KEY=VALUE per
# line; a later value for a key wins).
result() { [[ -z "${BENCH_RESULTS:-}" ]] || echo "$1=$2" >>"$BENCH_RESULTS"; }

# spread FILE: "median min max" of the µs values in FILE, in seconds.
spread() {
    sort -n "$1" | awk '{ a[NR] = $1 }
        END { if (NR == 0) { print "nan nan nan"; exit }
              m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
              printf "%.3f %.3f %.3f\n", m / 1e6, a[1] / 1e6, a[NR] / 1e6 }'
}

# p99 FILE: nearest-rank 99th percentile of the µs values in FILE, in ms.
p99() {
    sort -n "$1" | awk '{ a[NR] = $1 }
        END { if (NR == 0) { print "nan"; exit }
              k = int(0.99 * NR); if (k < 0.99 * NR) k++
              printf "%.1f\n", a[k] / 1000 }'
}
