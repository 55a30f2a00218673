#!/bin/bash
# Where the time of one `jobworkerctl run` goes: every D-Bus message of it
# (client, jobworkerd, systemd, polkit) with its time since the StartJob
# call, from `busctl monitor`, plus the journal's timestamps of the job's
# entries. In the guest, as root:   bash trace-run.sh [CMD...]  (default: true)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
tmp="$(mktemp -d)"
trap 'kill "$mon" 2>/dev/null || true; rm -rf "$tmp"' EXIT
(($#)) || set -- true
warm
busctl monitor --system --json=short >"$tmp/mon" 2>/dev/null &
mon=$!
sleep 1
t0="$(now_us)"
jobworkerctl run -- "$@" >/dev/null
t1="$(now_us)"
sleep 1
kill "$mon"; wait "$mon" 2>/dev/null || true
echo "== jobworkerctl run -- $*: $(((t1 - t0) / 1000)) ms wall =="
jq -r --argjson t0 "$t0" '
    select(.timestamp_realtime? // ."timestamp-realtime"? != null) |
    (.timestamp_realtime // ."timestamp-realtime") as $t |
    select($t >= $t0 - 1000) |
    "\((($t - $t0) / 1000) | floor | tostring | (" " * (6 - length)) + .) ms  \(.type | .[0:6])  \(.sender // "-") -> \(.destination // "*")  \(.interface // "" | sub("org.freedesktop."; "") | sub("org.jobworker1."; "jw.")).\(.member // (if .type == "method_return" then "return" else .type end))\(if .path then "  " + .path else "" end)"
' "$tmp/mon" | grep -v 'DBus.Properties.GetAll  /org/freedesktop/DBus' || true
