/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The terminal client's escape: Ctrl-] three times within a second, across
 * reads, never forwarded when it completes; anything else goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "terminal-forward.h"

#define E "\x1d"
#define SEC (1000 * 1000ULL)

/* Feeds a string; checks what is forwarded and whether it escaped. */
static bool feed(TerminalEscape *e, const char *in, uint64_t now, const char *expect) {
        uint8_t out[64];
        size_t len = 12345;
        bool escaped = terminal_escape_feed(e, (const uint8_t *) in, strlen(in), now, out, &len);

        assert_int_equal(len, strlen(expect));
        assert_memory_equal(out, expect, len);
        return escaped;
}

static void test_plain(void **state) {
        TerminalEscape e = {};

        assert_false(feed(&e, "ls -l\r", 0, "ls -l\r"));
        assert_false(feed(&e, "", 1, ""));
        assert_int_equal(terminal_escape_deadline(&e), UINT64_MAX);
        /* Ctrl-C is a keystroke like any other. */
        assert_false(feed(&e, "\x03", 2, "\x03"));
}

static void test_escape_in_one_read(void **state) {
        TerminalEscape e = {};

        assert_true(feed(&e, "ab" E E E "cd", 10, "ab"));
        /* Afterwards it starts afresh. */
        assert_false(feed(&e, "x", 11, "x"));
}

static void test_escape_across_reads(void **state) {
        TerminalEscape e = {};

        assert_false(feed(&e, "a" E, 100, "a"));
        assert_int_equal(terminal_escape_deadline(&e), 100 + SEC);
        assert_false(feed(&e, E, 100 + SEC / 2, ""));
        assert_true(feed(&e, E, 100 + SEC, ""));
}

static void test_too_slow(void **state) {
        TerminalEscape e = {};

        assert_false(feed(&e, E, 0, ""));
        assert_false(feed(&e, E, SEC / 2, ""));
        /* The third one more than a second after the first: the first two
         * were keystrokes; this one may begin a new escape. */
        assert_false(feed(&e, E, SEC + 1, E E));
        assert_int_equal(terminal_escape_deadline(&e), 2 * SEC + 1);
        assert_false(feed(&e, E, SEC + 2, ""));
        assert_true(feed(&e, E, SEC + 3, ""));
}

static void test_interrupted(void **state) {
        TerminalEscape e = {};

        /* Another key between them: all forwarded, in order. */
        assert_false(feed(&e, E E "q" E, 0, E E "q"));
        assert_false(feed(&e, "z", 1, E "z"));
        assert_int_equal(terminal_escape_deadline(&e), UINT64_MAX);
}

static void test_flush(void **state) {
        TerminalEscape e = {};
        uint8_t out[8];

        assert_false(feed(&e, E E, 5, ""));
        assert_int_equal(terminal_escape_flush(&e, 5 + SEC - 1, out), 0);    /* not yet */
        assert_int_equal(terminal_escape_flush(&e, 5 + SEC, out), 2);
        assert_memory_equal(out, E E, 2);
        assert_int_equal(terminal_escape_deadline(&e), UINT64_MAX);
        assert_int_equal(terminal_escape_flush(&e, 10 * SEC, out), 0);
        /* After a flush the count starts again: two more do not escape. */
        assert_false(feed(&e, E E, 11 * SEC, ""));
        assert_true(feed(&e, E, 11 * SEC + 1, ""));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_escape_in_one_read),
                cmocka_unit_test(test_escape_across_reads),
                cmocka_unit_test(test_too_slow),
                cmocka_unit_test(test_interrupted),
                cmocka_unit_test(test_flush),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
