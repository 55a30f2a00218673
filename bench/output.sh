#!/bin/bash
# Output throughput of a job to 1 and to 50 readers vs a plain pipe and
# systemd-run --pipe, plus jobworkerd's RSS idle and with 50 followers; in the
# guest, as root (bench/README.md).   REPS=3 READERS=50 bash output.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
REPS="${REPS:-5}" READERS="${READERS:-50}" LIMIT="${LIMIT:-600}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# The two data sets: name, producer command, how much it is (for the rates).
bytes_cmd=(head -c 20M /dev/zero)
lines_cmd=(seq 100000)
want_bytes="$("${bytes_cmd[@]}" | wc -c)"
want_lines="$("${lines_cmd[@]}" | wc -c)"

# One reader; each prints the byte count the reader got.
via_pipe() { "$@" | wc -c; }
via_jw() { timeout "$LIMIT" jobworkerctl run -- "$@" | wc -c; }
via_sd() { timeout "$LIMIT" systemd-run --wait --pipe -q "$@" | wc -c; }

# READERS readers; each prints "total_bytes complete_readers".
fan_pipe() {   # the same data fanned out with tee to READERS wc's
    local i fifos=()
    for ((i = 0; i < READERS; i++)); do
        mkfifo "$tmp/f$i"; fifos+=("$tmp/f$i")
        timeout "$LIMIT" wc -c <"$tmp/f$i" >"$tmp/c$i" &
    done
    "$@" | timeout "$LIMIT" tee "${fifos[@]}" >/dev/null
    wait
    rm -f "${fifos[@]}"
    tally
}
fan_jw() {     # one job, READERS followers attached right after the start
    local i id
    id="$(timeout "$LIMIT" jobworkerctl start -- "$@")"
    for ((i = 0; i < READERS; i++)); do
        timeout "$LIMIT" jobworkerctl logs -f "$id" | wc -c >"$tmp/c$i" &
    done
    wait
    tally
    timeout 60 jobworkerctl remove "$id" >/dev/null 2>&1 || true
}
tally() {
    cat "$tmp"/c* | awk -v w="$want" '{ s += $1; if ($1 == w) ok++ } END { print s + 0, ok + 0 }'
    rm -f "$tmp"/c*
}

# measure FUNC DATASET: "median min max" seconds over REPS; warns on short
# output.
measure() {
    local fn="$1" set="$2" r t0 t1 got cmd
    if [[ "$set" == bytes ]]; then cmd=("${bytes_cmd[@]}"); want="$want_bytes"
    else cmd=("${lines_cmd[@]}"); want="$want_lines"; fi
    : >"$tmp/t"
    for ((r = 0; r < REPS; r++)); do
        warm
        t0="$(now_us)"
        got="$("$fn" "${cmd[@]}")" || echo "FAILED: $fn $set (exit $?)" >&2
        t1="$(now_us)"
        echo "$((t1 - t0))" >>"$tmp/t"
        case "$fn" in
        fan_*) [[ "$got" == "$((want * READERS)) $READERS" ]] ||
                   echo "INCOMPLETE: $fn $set: got (bytes, complete readers) $got, want $((want * READERS)) $READERS" >&2 ;;
        *) [[ "$got" == "$want" ]] || echo "INCOMPLETE: $fn $set: got $got bytes, want $want" >&2 ;;
        esac
    done
    spread "$tmp/t"
}

report() {   # report FUNCS...: one line per function and data set, ratios to the first
    local set fn s lo hi base n
    for set in bytes lines; do
        base=""
        for fn in "$@"; do
            read -r s lo hi <<<"$(measure "$fn" "$set")"
            [[ -n "$base" ]] || base="$s"
            echo "$s" >"$tmp/median.$fn.$set"
            n=1; [[ "$fn" == fan_* ]] && n="$READERS"
            if [[ "$set" == bytes ]]; then
                awk -v f="$fn" -v s="$s" -v lo="$lo" -v hi="$hi" -v n="$n" -v b="$base" 'BEGIN {
                    printf "  %-9s 20 MiB       %8.2f s (%.2f-%.2f)  %9.1f MiB/s delivered  %.2fx the time of the first\n",
                        f, s, lo, hi, 20 * n / s, s / b }'
            else
                awk -v f="$fn" -v s="$s" -v lo="$lo" -v hi="$hi" -v n="$n" -v b="$base" 'BEGIN {
                    printf "  %-9s 100000 lines %8.2f s (%.2f-%.2f)  %9.0f lines/s delivered  %.2fx the time of the first\n",
                        f, s, lo, hi, 100000 * n / s, s / b }'
            fi
        done
    done
}

# pair A B SET: the ratio of two medians measured by report.
pair() { ratio "$(cat "$tmp/median.$1.$3")" "$(cat "$tmp/median.$2.$3")"; }

echo "== output throughput (median of $REPS, (min-max); time from start until the reader(s) have everything) =="
echo "-- one reader: pipe = '$(echo "${bytes_cmd[*]}") | wc -c', jw = jobworkerctl run, sd = systemd-run --wait --pipe"
report via_pipe via_jw via_sd
result bytes "$(pair via_jw via_sd bytes)"
result lines "$(pair via_jw via_sd lines)"
echo "  jobworker / systemd-run --pipe: 20 MiB $(pair via_jw via_sd bytes), 100000 lines $(pair via_jw via_sd lines)"
echo "-- $READERS readers: pipe = tee to $READERS wc, jw = jobworkerctl start + $READERS 'logs -f ID | wc -c'"
report fan_pipe fan_jw
fb="$(pair fan_jw fan_pipe bytes)" fl="$(pair fan_jw fan_pipe lines)"
echo "  jobworker / tee: 20 MiB $fb, 100000 lines $fl"
# One figure for the RATIOS line: the worse of the two.
result fanout "$(awk -v a="$fb" -v b="$fl" 'BEGIN { print (a + 0 > b + 0) ? a : b }')"

# How long a line a job prints takes to reach a follower: the job prints its
# own $EPOCHREALTIME every 50 ms, the follower subtracts it from its own on
# arrival (one clock: the guest's).
echo "== follow latency (job print -> follower read, ${FOLLOW_LINES:-200} lines, 50 ms apart) =="
warm
id="$(timeout 60 jobworkerctl start -- bash -c \
    'for ((i = 0; i < '"${FOLLOW_LINES:-200}"'; i++)); do t="${EPOCHREALTIME//[.,]/}"; echo "$t"; sleep 0.05; done')"
timeout "$LIMIT" jobworkerctl logs -f "$id" | while read -r t; do
    n="${EPOCHREALTIME//[.,]/}"; echo "$((10#$n - 10#$t))"
done >"$tmp/lat"
got="$(wc -l <"$tmp/lat")"
echo "  lines received: $got/${FOLLOW_LINES:-200}; p50 $(stats "$tmp/lat" | cut -d' ' -f1) ms, p99 $(p99 "$tmp/lat") ms"
if [[ "$got" == "${FOLLOW_LINES:-200}" ]]; then result follow_p99_ms "$(p99 "$tmp/lat")"; fi
timeout 60 jobworkerctl remove "$id" >/dev/null 2>&1 || true

echo "== jobworkerd memory =="
warm
# jobworkerd keeps its journal watch 5 s after the last follower left
# (WATCH_LINGER_USEC, src/daemon/output.c): idle is measured without it.
sleep 6
pid="$(main_pid)"
idle_rss="$(rss_kb "$pid")" idle_fds="$(ls "/proc/$pid/fd" | wc -l)"
echo "  idle:                VmRSS $idle_rss kB, $idle_fds fds (pid $pid)"
id="$(timeout 60 jobworkerctl start -- sh -c 'sleep 40; seq 1000')"
# The baseline includes the job itself (its shim's go socket): what the
# followers add is theirs, plus the job's one journal handle, shared by all.
sleep 1
base_rss="$(rss_kb "$pid")" base_fds="$(ls "/proc/$pid/fd" | wc -l)"
pipes() { find "/proc/$1/fd" -mindepth 1 -lname 'pipe:*' 2>/dev/null | wc -l; }
base_pipes="$(pipes "$pid")"
for ((i = 0; i < READERS; i++)); do
    timeout 120 jobworkerctl logs -f "$id" | wc -c >"$tmp/c$i" &
done
max=0 fds=0 npipes=0
for ((i = 0; i < 30; i++)); do   # sample while the followers attach and wait
    sleep 1
    r="$(rss_kb "$pid")"; if ((r > max)); then max="$r"; fi
    f="$(ls "/proc/$pid/fd" | wc -l)"; if ((f > fds)); then fds="$f"; npipes="$(pipes "$pid")"; fi
done
echo "  job started:         VmRSS $base_rss kB, $base_fds fds"
echo "  with $READERS followers: VmRSS max $max kB, max $fds fds (sampled 30 s while the job sleeps)"
kbf="$(awk -v m="$max" -v i="$base_rss" -v n="$READERS" 'BEGIN { printf "%.0f", (m - i) / n }')"
fdf="$(awk -v m="$fds" -v i="$base_fds" -v n="$READERS" 'BEGIN { printf "%.2f", (m - i) / n }')"
pf="$(awk -v m="$npipes" -v i="$base_pipes" -v n="$READERS" 'BEGIN { printf "%.2f", (m - i) / n }')"
shared="$((fds - base_fds - npipes + base_pipes))"
echo "  per follower:        $kbf kB, $fdf fds: $pf pipe ends each, and $shared fds shared by all (the job's journal handle)"
wait
want="$(seq 1000 | wc -c)"
complete="$(tally | cut -d' ' -f2)"
echo "  followers complete:  $complete/$READERS"
if [[ "$complete" == "$READERS" ]]; then result kb_per_follower "$kbf"; result fds_per_follower "$pf"; result fds_shared "$shared"; fi
timeout 60 jobworkerctl remove "$id" >/dev/null 2>&1 || true
echo "  after they ended:    VmRSS $(rss_kb "$(main_pid)") kB (pid $(main_pid))"

# jobworkerd's memory with FINISHED finished jobs known. Root's finished jobs
# are bounded like everyone's (100 by default): raised for this measurement by
# a runtime drop-in, removed afterwards.
FINISHED="${FINISHED:-1000}"
dropin=/run/systemd/system/jobworkerd.service.d/bench-finished.conf
mkdir -p "${dropin%/*}"
printf '[Service]\nEnvironment=JOBWORKERD_MAX_FINISHED_JOBS_PER_USER=%s JOBWORKERD_MAX_FINISHED_JOBS=%s\n' \
    "$FINISHED" "$FINISHED" >"$dropin"
systemctl daemon-reload
systemctl stop jobworkerd.service
warm
for ((i = 0; i < FINISHED; i += 20)); do
    for ((k = 0; k < 20 && i + k < FINISHED; k++)); do
        timeout 300 jobworkerctl run -- true >/dev/null 2>&1 &
    done
    wait
done
known="$(timeout 120 jobworkerctl list --all --json 2>/dev/null | jq length || echo "?")"
pid="$(main_pid)"
echo "  with $FINISHED finished jobs (list --all shows $known): VmRSS $(rss_kb "$pid") kB, $(ls "/proc/$pid/fd" | wc -l) fds"
result rss_idle_kb "$idle_rss"
result rss_finished_kb "$(rss_kb "$pid")"
rm -f "$dropin"
systemctl daemon-reload
