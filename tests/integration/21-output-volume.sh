#!/bin/bash
# Nothing lost: 100 000 lines as fast as the job can, and 50 MiB.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-jobs.sh"

u="$TEST_USER1"
id="$(jctl "$u" start -- seq 100000)"
jctl "$u" wait "$id"
got="$(jctl "$u" logs "$id" | sha256sum)"
assert_eq "$(seq 100000 | sha256sum)" "$got" "100 000 lines, in order"
assert_eq 100000 "$(jctl "$u" logs "$id" | wc -l)"
# journald suppressed nothing of it.
! journalctl -b -o cat | grep -q "Suppressed.*jobworker-$id" || fail "journald suppressed messages of $id"

# 50 MiB of random bytes; the job reports their checksum on stderr.
id="$(jctl "$u" start -- sh -c '{ head -c 52428800 /dev/urandom | tee /dev/fd/3 | sha256sum >&2; } 3>&1')"
jctl "$u" wait "$id"
want="$(jctl "$u" logs --stderr "$id" 2>&1 | cut -d' ' -f1)"
got="$(jctl "$u" logs --stdout "$id" | sha256sum | cut -d' ' -f1)"
assert_eq "$want" "$got" "50 MiB read back"
