/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The escape of a terminal client (terminal-forward.h): a small state
 * machine over the typed bytes and their time. */
#include <assert.h>

#include "terminal-forward.h"

static void release_held(TerminalEscape *e, uint8_t *out, size_t *len) {
        for (unsigned i = 0; i < e->held; i++)
                out[(*len)++] = TERMINAL_ESCAPE_CHAR;
        e->held = 0;
}

bool terminal_escape_feed(TerminalEscape *e, const uint8_t *in, size_t n, uint64_t now_usec,
                          uint8_t *out, size_t *ret_out_len) {
        size_t len = 0;

        assert(e);
        assert(in || n == 0);
        assert(out);
        assert(ret_out_len);

        for (size_t i = 0; i < n; i++) {
                /* Held ones that came too long ago were keystrokes. */
                if (e->held > 0 && now_usec - e->first_usec > TERMINAL_ESCAPE_WINDOW_USEC)
                        release_held(e, out, &len);

                if (in[i] != TERMINAL_ESCAPE_CHAR) {
                        release_held(e, out, &len);
                        out[len++] = in[i];
                        continue;
                }
                if (e->held == 0)
                        e->first_usec = now_usec;
                if (++e->held == TERMINAL_ESCAPE_COUNT) {
                        e->held = 0;
                        *ret_out_len = len;
                        return true;
                }
        }
        *ret_out_len = len;
        return false;
}

uint64_t terminal_escape_deadline(const TerminalEscape *e) {
        assert(e);
        return e->held > 0 ? e->first_usec + TERMINAL_ESCAPE_WINDOW_USEC : UINT64_MAX;
}

size_t terminal_escape_flush(TerminalEscape *e, uint64_t now_usec, uint8_t *out) {
        size_t len = 0;

        assert(e);
        assert(out);
        if (e->held > 0 && now_usec >= terminal_escape_deadline(e))
                release_held(e, out, &len);
        return len;
}
