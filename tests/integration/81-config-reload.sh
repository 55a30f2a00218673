#!/bin/bash
# jobworkerd.conf: each [Jobs] key set, `systemctl reload jobworkerd`, and
# the effect observed; running jobs keep what they started with; a broken
# file (bad value, unknown key, unknown section) makes the reload fail with
# a log line naming file, line and key, and every old setting stays (not
# only those before the bad line); systemd's precedence of directories and
# drop-ins; a daemon started with a broken file runs on built-in settings.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

alice="$TEST_USER1"
ids=()
cleanup() {
    for id in "${ids[@]}"; do jobworkerctl stop "$id" >/dev/null 2>&1 || true; done
    rm -rf /etc/jobworker/jobworkerd.conf /etc/jobworker/jobworkerd.conf.d /run/jobworker/jobworkerd.conf.d \
        /usr/lib/jobworker/jobworkerd.conf /usr/lib/jobworker/jobworkerd.conf.d
    restart_jobworkerd || true
}
trap cleanup EXIT
mkdir -p /etc/jobworker/jobworkerd.conf.d /run/jobworker/jobworkerd.conf.d /usr/lib/jobworker/jobworkerd.conf.d
restart_jobworkerd
main=/etc/jobworker/jobworkerd.conf

default_stop() { busctl get-property "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" DefaultStopTimeoutUSec; }
scope_prop() { systemctl show -P "$2" "jobworker-$1.scope"; }
since() { journalctl --sync; journalctl -u jobworkerd --since "@$1" -o cat; }

info "built-in: stop timeout 10 s, no default memory limit"
assert_eq "t 10000000" "$(default_stop)" "built-in DefaultStopTimeoutUSec"
plain="$(jctl "$alice" start -- sleep 300)"; ids+=("$plain")
assert_eq infinity "$(scope_prop "$plain" MemoryMax)" "MemoryMax of a job with no defaults"

info "[Jobs] defaults: set, reload, observe on a new job; the running one keeps its limits"
cat >"$main" <<'CONF'
# jobworkerd.conf of test 81
[Jobs]
MaxRunningPerUser=3
DefaultStopTimeoutSec=3
DefaultMemoryMax=300M
DefaultCPUQuota=50%
DefaultTasksMax=77
CONF
systemctl reload jobworkerd
assert_eq "t 3000000" "$(default_stop)" "DefaultStopTimeoutUSec after reload"
new="$(jctl "$alice" start -- sleep 300)"; ids+=("$new")
assert_eq 314572800 "$(scope_prop "$new" MemoryMax)" "DefaultMemoryMax on the scope"
assert_eq 500ms "$(scope_prop "$new" CPUQuotaPerSecUSec)" "DefaultCPUQuota on the scope"
assert_eq 77 "$(scope_prop "$new" TasksMax)" "DefaultTasksMax on the scope"
assert_eq 3s "$(scope_prop "$new" TimeoutStopUSec)" "DefaultStopTimeoutSec on the scope"
assert_eq 314572800 "$(job_field "$alice" "$new" limits.memory_max)" "status --json memory_max"
assert_eq 3000000 "$(job_field "$alice" "$new" limits.stop_timeout_usec)" "status --json stop timeout"
assert_eq infinity "$(scope_prop "$plain" MemoryMax)" "the job started before keeps its limits"
asked="$(jctl "$alice" start --memory=100M --tasks-max=5 --stop-timeout=7 -- sleep 300)"; ids+=("$asked")
assert_eq 104857600 "$(scope_prop "$asked" MemoryMax)" "what a job asks wins over DefaultMemoryMax"
assert_eq 5 "$(scope_prop "$asked" TasksMax)" "what a job asks wins over DefaultTasksMax"
assert_eq 7s "$(scope_prop "$asked" TimeoutStopUSec)" "what a job asks wins over DefaultStopTimeoutSec"

info "MaxRunningPerUser=3: alice's fourth job is refused"
err="$(jctl "$alice" start -- sleep 300 2>&1)" && { ids+=("$err"); fail "a fourth job started: $err"; }
assert_contains "$err" "3 running jobs" "refusal past MaxRunningPerUser"
sed -i 's/^MaxRunningPerUser=3/MaxRunningPerUser=4/' "$main"
systemctl reload jobworkerd
fourth="$(jctl "$alice" start -- sleep 300)"; ids+=("$fourth")

info "a broken drop-in: reload fails, names file, line and key, and nothing of it is taken"
t0="$(date +%s)"
printf '[Jobs]\nMaxRunningPerUser=9\nDefaultStopTimeoutSec=5\n\nDefaultMemoryMax=lots\n' \
    >/etc/jobworker/jobworkerd.conf.d/50-broken.conf
systemctl reload jobworkerd && fail "reload succeeded with DefaultMemoryMax=lots"
assert_eq active "$(unit_state jobworkerd.service)" "jobworkerd after a failed reload"
log="$(since "$t0")"
assert_contains "$log" "/etc/jobworker/jobworkerd.conf.d/50-broken.conf:5: DefaultMemoryMax: DefaultMemoryMax=lots is not valid" \
    "log line naming file, line and key"
assert_eq "t 3000000" "$(default_stop)" "DefaultStopTimeoutSec before the bad line is not taken"
err="$(jctl "$alice" start -- sleep 300 2>&1)" && { ids+=("$err"); fail "MaxRunningPerUser=9 of the broken file was taken"; }
assert_contains "$err" "4 running jobs" "MaxRunningPerUser stays 4"
# The busctl call of ExecReload= says why, too.
err="$(busctl call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" Reload 2>&1)" && fail "Reload succeeded"
assert_contains "$err" "50-broken.conf:5" "Reload's error names the file and line"

for bad in 'NoSuchKey=1' '[Nope]' 'MaxRunningPerUser=0' 'MaxRunningPerUser=2 ; comment' 'DefaultCPUQuota=0%'; do
    if [[ "$bad" == '['* ]]; then printf '%s\n' "$bad" >/etc/jobworker/jobworkerd.conf.d/50-broken.conf
    else printf '[Jobs]\n%s\n' "$bad" >/etc/jobworker/jobworkerd.conf.d/50-broken.conf; fi
    systemctl reload jobworkerd 2>/dev/null && fail "reload succeeded with '$bad'"
done
assert_eq "t 3000000" "$(default_stop)" "settings after five broken reloads"
rm /etc/jobworker/jobworkerd.conf.d/50-broken.conf

info "only root may reload"
err="$(as_user "$alice" busctl call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" Reload 2>&1)" &&
    fail "alice reloaded the configuration"
assert_contains "$err" "Only root" "Reload as alice"

info "precedence: drop-ins by name, /etc masks /run masks /usr/lib, /dev/null masks"
printf '[Jobs]\nDefaultStopTimeoutSec=11\n' >/usr/lib/jobworker/jobworkerd.conf.d/20-a.conf
printf '[Jobs]\nDefaultStopTimeoutSec=12\n' >/run/jobworker/jobworkerd.conf.d/30-b.conf
systemctl reload jobworkerd
assert_eq "t 12000000" "$(default_stop)" "30-b.conf applies after 20-a.conf"
printf '[Jobs]\nDefaultStopTimeoutSec=13\n' >/etc/jobworker/jobworkerd.conf.d/20-a.conf
systemctl reload jobworkerd
assert_eq "t 12000000" "$(default_stop)" "/etc's 20-a.conf replaces /usr/lib's, still before 30-b.conf"
ln -s /dev/null /etc/jobworker/jobworkerd.conf.d/30-b.conf
systemctl reload jobworkerd
assert_eq "t 13000000" "$(default_stop)" "/etc's /dev/null masks /run's 30-b.conf"
# A main file only in /usr/lib is used when /etc has none.
mv "$main" /usr/lib/jobworker/jobworkerd.conf
rm /etc/jobworker/jobworkerd.conf.d/* /run/jobworker/jobworkerd.conf.d/* /usr/lib/jobworker/jobworkerd.conf.d/*
systemctl reload jobworkerd
assert_eq "t 3000000" "$(default_stop)" "main file in /usr/lib"
# /etc's main file, even empty... no: an empty one masks /usr/lib's.
: >"$main"
systemctl reload jobworkerd
assert_eq "t 10000000" "$(default_stop)" "an empty /etc main file masks /usr/lib's"
rm "$main" /usr/lib/jobworker/jobworkerd.conf

info "a daemon started with a broken file runs on built-in settings and says why"
for id in "${ids[@]}"; do jobworkerctl stop "$id" >/dev/null 2>&1 || true; done
ids=()
printf '[Jobs]\nDefaultStopTimeoutSec=3\nTypoKey=1\n' >"$main"
t0="$(date +%s)"
restart_jobworkerd
assert_eq "t 10000000" "$(default_stop)" "built-in settings with a broken file"
assert_contains "$(since "$t0")" "$main:3: TypoKey: Unknown key TypoKey= in section [Jobs]" "start-up log line"
rm "$main"
