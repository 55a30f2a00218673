#!/bin/bash
# Runs INSIDE the test VM (started by jobworker-test.service from the 9p share
# /mnt/host).  Installs the staged build, creates the test users, then, by
# mode: runs the integration tests (TAP into out/), runs one command, or stops
# so the developer can use the serial shell.
set -euo pipefail

share=/mnt/host
out="$share/out"
# shellcheck source=/dev/null
source "$share/env"     # MODE, CMD, TESTS_GLOB, PER_TEST_TIMEOUT, JOBWORKER_SOAK_*
export JOBWORKER_TEST_USERS="jwtest1 jwtest2"
# The soak test's settings (90-soak.sh); unset ones keep its defaults.
for v in JOBWORKER_SOAK_SEC JOBWORKER_SOAK_SEED JOBWORKER_SOAK_WORKERS; do
    if [[ -n "${!v:-}" ]]; then export "${v?}"; else unset "$v"; fi
done

# Always power off in the non-interactive modes, even if this script dies, so
# the host never waits for its overall timeout because of a script bug.
if [[ "$MODE" != shell ]]; then
    trap 'sync; systemctl --no-block poweroff' EXIT
fi

echo "guest: script started at uptime $(cut -d' ' -f1 /proc/uptime) s" \
    | tee "$out/boot-time"

setup() {
    # Install exactly what `meson install` staged, like a user's install.
    # Not `cp -a stage/. /`: that fails when the stage has /lib/... and the
    # guest's /lib is the merged-/usr symlink; tar keeps such symlinks.
    tar -C "$share/stage" -cf - . | tar -C / -xf - --keep-directory-symlink \
        --no-same-owner --no-overwrite-dir
    systemctl daemon-reload
    # dbus-daemon only re-reads policy files on reload.
    systemctl reload dbus
    local u
    for u in $JOBWORKER_TEST_USERS; do
        id "$u" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$u"
    done
}
if ! setup >"$out/setup.log" 2>&1; then
    echo "guest: setup failed" >>"$out/setup.log"
    touch "$out/setup-failed"
    exit 1
fi

case "$MODE" in
shell)
    echo "guest: setup done. Root shell on the serial console; 'poweroff' to leave."
    exit 0
    ;;
cmd)
    rc=0
    (cd /root && bash -c "$CMD") >"$out/cmd.stdout" 2>"$out/cmd.stderr" </dev/null || rc=$?
    echo "$rc" >"$out/cmd.rc"
    touch "$out/done"
    exit 0
    ;;
test) ;;
*) echo "guest: unknown mode $MODE" >&2; exit 1 ;;
esac

# --- test mode -------------------------------------------------------------
tests=()
for t in "$share"/integration/*.sh; do
    name="$(basename "$t" .sh)"
    [[ "$name" == lib* ]] && continue    # helpers (lib.sh, lib-jobs.sh)
    # shellcheck disable=SC2053  # glob match is intended
    [[ "$name" == $TESTS_GLOB ]] && tests+=("$t")
done
tap="$out/results.tap"
echo "1..${#tests[@]}" >"$tap"
n=0
for t in "${tests[@]}"; do
    n=$((n + 1))
    name="$(basename "$t" .sh)"
    since="$(date +%s)"
    echo "guest: running $name"
    rc=0
    # Each test gets a fresh scratch cwd and a hard time limit.
    scratch="$(mktemp -d)"
    (cd "$scratch" && timeout -k 10 "$PER_TEST_TIMEOUT" bash "$t") \
        >"$out/$name.log" 2>&1 </dev/null || rc=$?
    rm -rf "$scratch"
    if [[ $rc -eq 0 ]]; then
        echo "ok $n - $name" >>"$tap"
        rm -f "$out/$name.log"
    else
        [[ $rc -eq 124 ]] && echo "TIMEOUT after ${PER_TEST_TIMEOUT}s" >>"$out/$name.log"
        echo "not ok $n - $name # exit status $rc" >>"$tap"
        journalctl --no-pager --since="@$since" | tail -n 150 >"$out/$name.journal" || true
    fi
    sync
done
touch "$out/done"
