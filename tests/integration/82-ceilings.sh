#!/bin/bash
# [Ceilings]: a job that asks for more than a ceiling is refused with
# LimitExceeded naming the ceiling, for each limit a ceiling bounds, unless
# the caller may use privileged-options (root); at the ceiling is fine; a
# job that asks nothing gets the default capped by the ceiling, or the
# ceiling itself where there is no default (no way around a ceiling by
# asking for nothing).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

alice="$TEST_USER1"
conf=/etc/jobworker/jobworkerd.conf.d
mkdir -p "$conf"
ids=()
cleanup() {
    for id in "${ids[@]}"; do jobworkerctl stop "$id" >/dev/null 2>&1 || true; done
    rm -f "$conf/82-ceilings.conf"
    restart_jobworkerd || true
}
trap cleanup EXIT
cat >"$conf/82-ceilings.conf" <<'CONF'
[Jobs]
DefaultMemoryMax=500M
DefaultTasksMax=40
[Ceilings]
MemoryMax=200M
CPUQuota=100%
TasksMax=50
RuntimeMaxSec=1h
IOReadBandwidthMax=100M
IOWriteBandwidthMax=50M
CONF
restart_jobworkerd
scope_prop() { systemctl show -P "$2" "jobworker-$1.scope"; }

refused() {  # refused OPTION CEILING-TEXT
    local out rc=0
    out="$(as_user "$alice" busctl call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' \
        1 5 0x73 0x6c 0x65 0x65 0x70 0 0 1 $1 2>&1)" || rc=$?
    assert_ne 0 "$rc" "alice started a job with $1 ${*:2}"
    assert_contains "$out" "$2" "refusal of ${*:2}"
}
# CLI form too, with the D-Bus error name.
err="$(jctl "$alice" start --memory=300M -- sleep 300 2>&1)" && { ids+=("$err"); fail "alice got --memory=300M"; }
assert_contains "$err" "[Ceilings] MemoryMax=209715200" "CLI refusal names the ceiling"
err="$(bus_error "$alice" call "$BUS_NAME" "$BUS_PATH" "$MANAGER_IFACE" StartJob 'aayaayaya{sv}' \
    1 5 0x73 0x6c 0x65 0x65 0x70 0 0 1 MemoryMax t 314572800)"
assert_contains "$err" "org.jobworker1.Error.LimitExceeded: MemoryMax=314572800 is above the ceiling" "the error name"

refused "MemoryMax t 209715201" "[Ceilings] MemoryMax=209715200"
refused "CPUQuota d 1.5" "[Ceilings] CPUQuota=100%"
refused "TasksMax t 51" "[Ceilings] TasksMax=50"
refused "RuntimeMaxUSec t 3600000001" "[Ceilings] RuntimeMaxSec=3600"
refused "IOReadBandwidthMax t 104857601" "[Ceilings] IOReadBandwidthMax=104857600"
refused "IOWriteBandwidthMax t 52428801" "[Ceilings] IOWriteBandwidthMax=52428800"
assert_eq "" "$(systemctl list-units --no-legend --plain 'jobworker-*.scope' | grep -v '^$' || true)" \
    "no scope was created for a refused job"

info "at the ceilings: allowed"
at="$(jctl "$alice" start --memory=200M --cpu=1 --tasks-max=50 --runtime-max=1h --io-read=100M -- sleep 300)"
ids+=("$at")
assert_eq 209715200 "$(scope_prop "$at" MemoryMax)" "MemoryMax at the ceiling"

info "asking nothing: default capped by the ceiling, or the ceiling"
none="$(jctl "$alice" start -- sleep 300)"; ids+=("$none")
assert_eq 209715200 "$(scope_prop "$none" MemoryMax)" "DefaultMemoryMax=500M capped to the ceiling"
assert_eq 40 "$(scope_prop "$none" TasksMax)" "DefaultTasksMax under the ceiling"
assert_eq 1s "$(scope_prop "$none" CPUQuotaPerSecUSec)" "the CPU ceiling as the limit"
assert_eq 1h "$(scope_prop "$none" RuntimeMaxUSec)" "the run-time ceiling as the limit"
assert_contains "$(scope_prop "$none" IOReadBandwidthMax)" "104857600" "the IO ceiling as the limit"

info "root may pass the ceilings (privileged-options)"
big="$(jctl root start --memory=300M --tasks-max=100 --cpu=2 -- sleep 300)"; ids+=("$big")
assert_eq 314572800 "$(scope_prop "$big" MemoryMax)" "root's MemoryMax above the ceiling"
assert_eq 100 "$(scope_prop "$big" TasksMax)" "root's TasksMax above the ceiling"
assert_eq 2s "$(scope_prop "$big" CPUQuotaPerSecUSec)" "root's CPUQuota above the ceiling"

info "a reload that lowers a ceiling: running jobs keep theirs, new ones get the new one"
sed -i 's/^MemoryMax=200M/MemoryMax=100M/' "$conf/82-ceilings.conf"
systemctl reload jobworkerd
assert_eq 209715200 "$(scope_prop "$at" MemoryMax)" "a running job keeps its MemoryMax"
err="$(jctl "$alice" start --memory=200M -- sleep 300 2>&1)" && { ids+=("$err"); fail "alice got 200M past the new ceiling"; }
assert_contains "$err" "[Ceilings] MemoryMax=104857600" "the new ceiling"
