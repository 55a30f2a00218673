/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "format.h"
#include "job-info.h"
#include "macro.h"

static void test_format_bytes(void **state) {
        char b[FORMAT_BYTES_MAX];

        assert_string_equal(format_bytes(b, 0), "0B");
        assert_string_equal(format_bytes(b, 1023), "1023B");
        assert_string_equal(format_bytes(b, 1024), "1.0K");
        assert_string_equal(format_bytes(b, 1536), "1.5K");
        assert_string_equal(format_bytes(b, 2047), "1.9K");  /* rounds down */
        assert_string_equal(format_bytes(b, 64 * 1024 * 1024), "64.0M");
        assert_string_equal(format_bytes(b, 3565159), "3.4M");
        assert_string_equal(format_bytes(b, UINT64_C(1) << 62), "4.0E");
        assert_string_equal(format_bytes(b, UINT64_MAX - 1), "15.9E");
        assert_string_equal(format_bytes(b, UINT64_MAX), "infinity");
}

static void test_format_timespan(void **state) {
        char b[FORMAT_TIMESPAN_MAX];

        assert_string_equal(format_timespan(b, 0, 1), "0");
        assert_string_equal(format_timespan(b, 1, 1), "1us");
        assert_string_equal(format_timespan(b, 250 * USEC_PER_MSEC, 1), "250ms");
        assert_string_equal(format_timespan(b, 1200 * USEC_PER_MSEC, 1), "1.2s");
        assert_string_equal(format_timespan(b, 1234567, 100 * USEC_PER_MSEC), "1.2s");
        assert_string_equal(format_timespan(b, 1234567, 1), "1.234567s");
        assert_string_equal(format_timespan(b, 4 * USEC_PER_SEC + 999999, USEC_PER_SEC), "4s");
        assert_string_equal(format_timespan(b, 64 * USEC_PER_SEC, USEC_PER_SEC), "1min 4s");
        assert_string_equal(format_timespan(b, (2 * 3600 + 3 * 60 + 7) * USEC_PER_SEC, USEC_PER_SEC), "2h 3min");
        assert_string_equal(format_timespan(b, (3600 + 5) * USEC_PER_SEC, USEC_PER_SEC), "1h 5s");
        assert_string_equal(format_timespan(b, (3 * 86400 + 4 * 3600) * USEC_PER_SEC, USEC_PER_SEC), "3d 4h");
        assert_string_equal(format_timespan(b, 10 * USEC_PER_SEC, USEC_PER_MSEC), "10s");
        assert_string_equal(format_timespan(b, 500, USEC_PER_SEC), "0");
        assert_string_equal(format_timespan(b, UINT64_MAX, 1), "infinity");
}

static void test_format_timestamp(void **state) {
        char b[FORMAT_TIMESTAMP_MAX];

        setenv("TZ", "UTC", 1);
        /* 2026-11-26 05:12:03 UTC */
        assert_string_equal(format_timestamp(b, UINT64_C(1795669923) * USEC_PER_SEC + 5),
                            "Thu 2026-11-26 05:12:03 UTC");
        assert_string_equal(format_timestamp(b, 0), "n/a");
        assert_string_equal(format_timestamp(b, UINT64_MAX), "n/a");
}

static void check_json(const char *in, size_t n, const char *expected) {
        _cleanup_free_ char *s = json_escape(in, n);
        assert_non_null(s);
        assert_string_equal(s, expected);
}

static void test_json_escape(void **state) {
        check_json("", 0, "\"\"");
        check_json("sleep", 5, "\"sleep\"");
        check_json("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
        check_json("\n\t\r\b\f", 5, "\"\\n\\t\\r\\b\\f\"");
        check_json("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"");
        check_json("a\0b", 3, "\"a\\u0000b\"");
        /* Valid UTF-8 passes through. */
        check_json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
        /* Invalid bytes, one escape each: a lone byte, a truncated sequence,
         * an overlong '/', a surrogate, beyond U+10FFFF. */
        check_json("\xff", 1, "\"\\u00ff\"");
        check_json("x\xe2\x82", 3, "\"x\\u00e2\\u0082\"");
        check_json("\xc0\xaf", 2, "\"\\u00c0\\u00af\"");
        check_json("\xed\xa0\x80", 3, "\"\\u00ed\\u00a0\\u0080\"");
        check_json("\xf4\x90\x80\x80", 4, "\"\\u00f4\\u0090\\u0080\\u0080\"");
        /* A valid sequence right after an invalid byte is kept whole. */
        check_json("\xfe\xc3\xa9", 3, "\"\\u00fe\xc3\xa9\"");
}

static void check_shell(const char *in, size_t n, const char *expected) {
        _cleanup_free_ char *s = shell_escape(in, n);
        assert_non_null(s);
        assert_string_equal(s, expected);
}

static void test_shell_escape(void **state) {
        check_shell("ls", 2, "ls");
        check_shell("/usr/bin/x-y_z.1=2:3,4+5@%^", 27, "/usr/bin/x-y_z.1=2:3,4+5@%^");
        check_shell("", 0, "''");
        check_shell("a b", 3, "'a b'");
        check_shell("it's", 4, "'it'\\''s'");
        check_shell("$HOME", 5, "'$HOME'");
        check_shell("caf\xc3\xa9", 5, "'caf\xc3\xa9'");
        check_shell("a\nb", 3, "$'a\\nb'");
        check_shell("\xff'x", 3, "$'\\xff\\'x'");
        check_shell("a\0b", 3, "$'a\\x00b'");
        check_shell("\xc2\x85", 2, "$'\\xc2\\x85'");  /* U+0085, a C1 control */
}

static void test_limits_text(void **state) {
        JobInfo info = JOB_INFO_INIT;
        _cleanup_free_ char *none = NULL, *text = NULL;

        none = job_info_limits_text(&info);
        assert_string_equal(none, "none");

        info.cpu_quota_per_sec_usec = 500000;
        info.memory_max = 64 * 1024 * 1024;
        info.memory_swap_max = 0;
        info.tasks_max = 100;
        info.io_read_bandwidth_max = 10 * 1024 * 1024;
        info.stop_timeout_usec = 10 * USEC_PER_SEC;
        text = job_info_limits_text(&info);
        assert_string_equal(text, "CPU 50%, memory 64.0M, swap 0B, tasks 100, IO read 10.0M/s on /, stop timeout 10s");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format_bytes),
                cmocka_unit_test(test_format_timespan),
                cmocka_unit_test(test_format_timestamp),
                cmocka_unit_test(test_json_escape),
                cmocka_unit_test(test_shell_escape),
                cmocka_unit_test(test_limits_text),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
