#!/bin/bash
# ratios.sh RESULTS: the one line that sums up a bench run, from the
# KEY=VALUE figures the scripts recorded (bench/lib.sh result()); NA where a
# series did not run or did not deliver everything.
set -euo pipefail
declare -A v=()
while IFS='=' read -r k val; do
    [[ -n "$k" ]] && v[$k]="$val"
done <"${1:?usage: ratios.sh RESULTS}"
line=RATIOS
# The ten first, then the root series (issue 9), the fds per follower
# and the daemon's RSS idle / with FINISHED finished jobs (kB).
for k in plain limits start bwrap concurrent lines bytes fanout follow_p99_ms kb_per_follower \
         root fds_per_follower rss_idle_kb rss_finished_kb; do
    line+=" $k=${v[$k]:-NA}"
done
echo "$line"
