#!/bin/bash
# Meta-test: the VM harness must report a failing guest test.  Runs run.sh
# with JOBWORKER_VM_INJECT_FAIL=1 and only the injected test selected; passes
# iff run.sh exits non-zero AND its output names the failing test and shows
# the test's own output.
set -euo pipefail
here="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
builddir="${1:?usage: expect-fail.sh BUILDDIR}"

rc=0
out="$(JOBWORKER_VM_INJECT_FAIL=1 "$here/run.sh" --build "$builddir" --test \
        --tests injected-failure 2>&1)" || rc=$?
printf '%s\n' "$out"
if [[ $rc -eq 0 ]]; then
    echo "expect-fail: run.sh exited 0 although a guest test failed" >&2
    exit 1
fi
for want in "not ok 1 - injected-failure" "FAILED: injected-failure" \
            "deliberate failure (JOBWORKER_VM_INJECT_FAIL=1)"; do
    if [[ "$out" != *"$want"* ]]; then
        echo "expect-fail: run.sh output lacks '$want'" >&2
        exit 1
    fi
done
echo "expect-fail: run.sh failed (status $rc) and named the failing test, as it should"
