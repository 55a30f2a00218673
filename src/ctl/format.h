/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text forms jobworkerctl prints: sizes, durations, timestamps, JSON strings
 * and shell-quoted words. Pure functions over plain data. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FORMAT_BYTES_MAX     48
#define FORMAT_TIMESPAN_MAX  64
#define FORMAT_TIMESTAMP_MAX 64

/* 1024-based with one decimal, as systemd prints sizes: "0B", "512B",
 * "64.0M", "1.5G". Rounds down. UINT64_MAX gives "infinity". */
char *format_bytes(char buf[static FORMAT_BYTES_MAX], uint64_t bytes);

/* A duration in at most two units, largest first: "0", "250ms", "1.2s",
 * "4s", "1min 4s", "2h 3min", "3d 4h". accuracy_usec drops finer parts
 * (USEC_PER_SEC for "4s ago"); 1 keeps everything down to µs. */
char *format_timespan(char buf[static FORMAT_TIMESPAN_MAX], uint64_t usec, uint64_t accuracy_usec);

/* CLOCK_REALTIME µs in local time, like systemctl: "Thu 2026-11-26 05:12:03 UTC".
 * 0 or UINT64_MAX gives "n/a". */
char *format_timestamp(char buf[static FORMAT_TIMESTAMP_MAX], uint64_t usec);

/* A JSON string literal (with its quotes) for n bytes. Valid UTF-8 passes
 * through; control characters, '"' and '\' are escaped; every byte that is
 * not part of a valid UTF-8 sequence becomes "\u00XX" (its Latin-1 reading),
 * so the result is always valid JSON. NULL on ENOMEM. */
char *json_escape(const void *p, size_t n);

/* A word as a POSIX shell would need it: bare when it only holds safe
 * characters, '...' when it is printable UTF-8, else $'...' with \xHH
 * escapes for unprintable and invalid bytes. NULL on ENOMEM. */
char *shell_escape(const void *p, size_t n);

