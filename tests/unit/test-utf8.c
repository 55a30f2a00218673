/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "utf8.h"

static const struct {
        const char *bytes;
        size_t n;             /* bytes available (0: strlen) */
        size_t len;           /* expected length, 0 = invalid */
        uint32_t codepoint;
} cases[] = {
        { "A", 0, 1, 'A' },
        { "\x7f", 0, 1, 0x7f },
        { "\xc2\x80", 0, 2, 0x80 },
        { "\xc3\xa9z", 0, 2, 0xe9 },
        { "\xdf\xbf", 0, 2, 0x7ff },
        { "\xe0\xa0\x80", 0, 3, 0x800 },
        { "\xe2\x82\xac", 0, 3, 0x20ac },
        { "\xed\x9f\xbf", 0, 3, 0xd7ff },
        { "\xee\x80\x80", 0, 3, 0xe000 },
        { "\xef\xbf\xbf", 0, 3, 0xffff },
        { "\xf0\x90\x80\x80", 0, 4, 0x10000 },
        { "\xf4\x8f\xbf\xbf", 0, 4, 0x10ffff },
        /* Invalid: */
        { "\x80", 0, 0, 0 },              /* lone continuation byte */
        { "\xbf", 0, 0, 0 },
        { "\xc0\x80", 0, 0, 0 },          /* overlong NUL */
        { "\xc1\xbf", 0, 0, 0 },          /* overlong */
        { "\xe0\x9f\xbf", 0, 0, 0 },      /* overlong */
        { "\xf0\x8f\xbf\xbf", 0, 0, 0 },  /* overlong */
        { "\xed\xa0\x80", 0, 0, 0 },      /* surrogate D800 */
        { "\xed\xbf\xbf", 0, 0, 0 },      /* surrogate DFFF */
        { "\xf4\x90\x80\x80", 0, 0, 0 },  /* above U+10FFFF */
        { "\xf5\x80\x80\x80", 0, 0, 0 },
        { "\xf8\x88\x80\x80\x80", 0, 0, 0 },
        { "\xff", 0, 0, 0 },
        { "\xc3", 0, 0, 0 },              /* truncated by the NUL after it */
        { "\xc3z", 0, 0, 0 },             /* bad continuation */
        { "\xe2\x82z", 0, 0, 0 },
        { "\xe2\x82\xac", 2, 0, 0 },      /* truncated by n */
        { "\xf0\x90\x80\x80", 3, 0, 0 },
        { "A", 1, 1, 'A' },
};

static void test_utf8_sequence_length(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const uint8_t *p = (const uint8_t *) cases[i].bytes;
                size_t n = cases[i].n ?: strlen(cases[i].bytes);
                uint32_t c = 0xdeadbeef;

                print_message("case %zu\n", i);
                assert_int_equal(utf8_sequence_length(p, n, &c), cases[i].len);
                if (cases[i].len > 0)
                        assert_int_equal(c, cases[i].codepoint);
                else
                        assert_int_equal(c, 0xdeadbeef);
                assert_int_equal(utf8_sequence_length(p, n, NULL), cases[i].len);
        }
        assert_int_equal(utf8_sequence_length((const uint8_t *) "A", 0, NULL), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_utf8_sequence_length),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
