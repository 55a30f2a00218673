/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The keystroke side of a terminal client, as pure logic: spotting the
 * escape (Ctrl-] three times within a second, as machinectl shell and
 * systemd-run --pty do) across reads, and holding back the Ctrl-]s that
 * may be part of it, so that leaving sends the job none of them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TERMINAL_ESCAPE_CHAR   0x1d                    /* Ctrl-] */
#define TERMINAL_ESCAPE_COUNT  3
#define TERMINAL_ESCAPE_WINDOW_USEC (1000 * 1000ULL)   /* from the first to the last */

typedef struct TerminalEscape {
        unsigned held;          /* Ctrl-]s seen in a row, not forwarded yet */
        uint64_t first_usec;    /* when the first of them came */
} TerminalEscape;

/* Feeds n bytes typed at now_usec. Writes what to forward to the job to
 * out (room for n + TERMINAL_ESCAPE_COUNT bytes), its length to
 * *ret_out_len, and returns true when the escape is complete (then out
 * holds what came before it; what follows it in in is dropped). */
bool terminal_escape_feed(TerminalEscape *e, const uint8_t *in, size_t n, uint64_t now_usec,
                          uint8_t *out, size_t *ret_out_len);

/* When held Ctrl-]s must go out if nothing else comes (they are then just
 * keystrokes): UINT64_MAX if none are held. */
uint64_t terminal_escape_deadline(const TerminalEscape *e);

/* At or after the deadline: writes the held Ctrl-]s to out (room for
 * TERMINAL_ESCAPE_COUNT bytes), returns their number and forgets them. */
size_t terminal_escape_flush(TerminalEscape *e, uint64_t now_usec, uint8_t *out);
