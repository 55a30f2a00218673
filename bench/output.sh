#!/bin/bash
# Output throughput of a job to 1 and to 50 readers vs a plain pipe and
# systemd-run --pipe, plus jobworkerd's RSS idle and with 50 followers; in the
# guest, as root (bench/README.md).   REPS=3 READERS=50 bash output.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
REPS="${REPS:-3}" READERS="${READERS:-50}" LIMIT="${LIMIT:-600}"
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

# measure KIND FUNC DATASET: median seconds over REPS; warns on short output.
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
    stats "$tmp/t" | awk '{ printf "%.3f", $1 / 1000 }'
}

report() {   # report FUNCS...: one line per function and data set, ratios to the first
    local set fn s base n
    for set in bytes lines; do
        base=""
        for fn in "$@"; do
            s="$(measure "$fn" "$set")"
            [[ -n "$base" ]] || base="$s"
            n=1; [[ "$fn" == fan_* ]] && n="$READERS"
            if [[ "$set" == bytes ]]; then
                awk -v f="$fn" -v s="$s" -v n="$n" -v b="$base" 'BEGIN {
                    printf "  %-9s 20 MiB       %8.2f s  %9.1f MiB/s delivered  %.2fx the time of the first\n",
                        f, s, 20 * n / s, s / b }'
            else
                awk -v f="$fn" -v s="$s" -v n="$n" -v b="$base" 'BEGIN {
                    printf "  %-9s 100000 lines %8.2f s  %9.0f lines/s delivered  %.2fx the time of the first\n",
                        f, s, 100000 * n / s, s / b }'
            fi
        done
    done
}

echo "== output throughput (median of $REPS; time from start until the reader(s) have everything) =="
echo "-- one reader: pipe = '$(echo "${bytes_cmd[*]}") | wc -c', jw = jobworkerctl run, sd = systemd-run --wait --pipe"
report via_pipe via_jw via_sd
echo "-- $READERS readers: pipe = tee to $READERS wc, jw = jobworkerctl start + $READERS 'logs -f ID | wc -c'"
report fan_pipe fan_jw

echo "== jobworkerd memory =="
warm
pid="$(main_pid)"
echo "  idle:                VmRSS $(rss_kb "$pid") kB, $(ls "/proc/$pid/fd" | wc -l) fds (pid $pid)"
id="$(timeout 60 jobworkerctl start -- sh -c 'sleep 40; seq 1000')"
for ((i = 0; i < READERS; i++)); do
    timeout 120 jobworkerctl logs -f "$id" | wc -c >"$tmp/c$i" &
done
max=0 fds=0
for ((i = 0; i < 30; i++)); do   # sample while the followers attach and wait
    sleep 1
    r="$(rss_kb "$pid")"; if ((r > max)); then max="$r"; fi
    f="$(ls "/proc/$pid/fd" | wc -l)"; if ((f > fds)); then fds="$f"; fi
done
echo "  with $READERS followers: VmRSS max $max kB, max $fds fds (sampled 30 s while the job sleeps)"
wait
want="$(seq 1000 | wc -c)"
echo "  followers complete:  $(tally | cut -d' ' -f2)/$READERS"
timeout 60 jobworkerctl remove "$id" >/dev/null 2>&1 || true
echo "  after they ended:    VmRSS $(rss_kb "$(main_pid)") kB (pid $(main_pid))"
