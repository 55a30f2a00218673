/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "parse-util.h"

#define K UINT64_C(1024)
#define M (K * K)
#define G (M * K)
#define T (G * K)

static void assert_size(const char *s, uint64_t expected) {
        uint64_t v = 0xdeadbeef;

        print_message("parse_size(\"%s\")\n", s);
        assert_int_equal(parse_size(s, &v), 0);
        assert_true(v == expected);
}

static void assert_size_fails(const char *s, int error) {
        uint64_t v = 4242;

        print_message("parse_size(\"%s\") must fail\n", s);
        assert_int_equal(parse_size(s, &v), error);
        assert_true(v == 4242); /* untouched on error */
}

static void test_parse_size(void **state) {
        assert_size("0", 0);
        assert_size("1", 1);
        assert_size("123", 123);
        assert_size("1B", 1);
        assert_size("1K", K);
        assert_size("1KiB", K);
        assert_size("64M", 64 * M);
        assert_size("64MiB", 64 * M);
        assert_size("2G", 2 * G);
        assert_size("2GiB", 2 * G);
        assert_size("3T", 3 * T);
        assert_size("3TiB", 3 * T);
        assert_size("1.5G", G + G / 2);
        assert_size("1.5K", 1536);
        assert_size("0.5K", 512);
        /* Rounded down to whole bytes. */
        assert_size("0.001K", 1);        /* 1.024 */
        assert_size("0.0009K", 0);       /* 0.9216 */
        assert_size("1.1K", 1126);       /* 1126.4 */
        assert_size("1.9999999999999999999999K", 2047); /* just below 2048, exact */
        assert_size("2.5", 2);
        assert_size("18446744073709551615", UINT64_MAX);
        assert_size("16777215T", 16777215 * T);

        assert_size_fails("", -EINVAL);
        assert_size_fails("K", -EINVAL);
        assert_size_fails("-1", -EINVAL);
        assert_size_fails("-1K", -EINVAL);
        assert_size_fails("+1", -EINVAL);
        assert_size_fails(" 1", -EINVAL);
        assert_size_fails("1 ", -EINVAL);
        assert_size_fails("1k", -EINVAL);  /* systemd's suffixes are uppercase */
        assert_size_fails("1kib", -EINVAL);
        assert_size_fails("1KB", -EINVAL);
        assert_size_fails("1X", -EINVAL);
        assert_size_fails("abc", -EINVAL);
        assert_size_fails("1.", -EINVAL);
        assert_size_fails(".5K", -EINVAL);
        assert_size_fails("1.5.3K", -EINVAL);
        assert_size_fails("0x10", -EINVAL);
        assert_size_fails("1e3", -EINVAL);
        assert_size_fails("1GG", -EINVAL);
        assert_size_fails("1/s", -EINVAL);
        assert_size_fails("18446744073709551616", -ERANGE);
        assert_size_fails("99999999999999999999999", -ERANGE);
        assert_size_fails("16777216T", -ERANGE);
        assert_size_fails("17179869184G", -ERANGE);
        assert_size_fails("18446744073709551615.5K", -ERANGE);
        assert_int_equal(parse_size(NULL, &(uint64_t) {0}), -EINVAL);
}

static void test_parse_rate(void **state) {
        uint64_t v;

        assert_int_equal(parse_rate("10M", &v), 0);
        assert_true(v == 10 * M);
        assert_int_equal(parse_rate("10M/s", &v), 0);
        assert_true(v == 10 * M);
        assert_int_equal(parse_rate("1.5K/s", &v), 0);
        assert_true(v == 1536);
        assert_int_equal(parse_rate("100/s", &v), 0);
        assert_true(v == 100);
        assert_int_equal(parse_rate("1GiB/s", &v), 0);
        assert_true(v == G);

        assert_int_equal(parse_rate("/s", &v), -EINVAL);
        assert_int_equal(parse_rate("", &v), -EINVAL);
        assert_int_equal(parse_rate("10M/", &v), -EINVAL);
        assert_int_equal(parse_rate("10M/s/s", &v), -EINVAL);
        assert_int_equal(parse_rate("10M/sec", &v), -EINVAL);
        assert_int_equal(parse_rate("10M /s", &v), -EINVAL);
        assert_int_equal(parse_rate("-1/s", &v), -EINVAL);
        assert_int_equal(parse_rate("16777216T/s", &v), -ERANGE);
}

static void test_parse_cpu_fraction(void **state) {
        double d;

        assert_int_equal(parse_cpu_fraction("0.5", &d), 0);
        assert_true(d == 0.5);
        assert_int_equal(parse_cpu_fraction("2", &d), 0);
        assert_true(d == 2.0);
        assert_int_equal(parse_cpu_fraction("50%", &d), 0);
        assert_true(d == 0.5);
        assert_int_equal(parse_cpu_fraction("150%", &d), 0);
        assert_true(d == 1.5);
        assert_int_equal(parse_cpu_fraction("12.5%", &d), 0);
        assert_true(d == 0.125);
        assert_int_equal(parse_cpu_fraction("0.123", &d), 0);
        assert_true(d == 0.123);
        assert_int_equal(parse_cpu_fraction("0.001", &d), 0);
        assert_true(d == 0.001);
        assert_int_equal(parse_cpu_fraction("007.25", &d), 0);
        assert_true(d == 7.25);

        assert_int_equal(parse_cpu_fraction("0", &d), -ERANGE);
        assert_int_equal(parse_cpu_fraction("0.000", &d), -ERANGE);
        assert_int_equal(parse_cpu_fraction("0%", &d), -ERANGE);
        assert_int_equal(parse_cpu_fraction("", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("%", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("-0.5", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("+0.5", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction(".5", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("1.", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("0,5", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("nan", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("inf", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("1e3", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("0x1", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction(" 1", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("1 ", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("50%%", &d), -EINVAL);
        assert_int_equal(parse_cpu_fraction("50 %", &d), -EINVAL);

        /* 400 digits: does not fit in a double. */
        {
                char big[401];
                memset(big, '9', 400);
                big[400] = '\0';
                assert_int_equal(parse_cpu_fraction(big, &d), -ERANGE);
        }
}

static void test_cpu_fraction_to_quota_usec(void **state) {
        assert_true(cpu_fraction_to_quota_usec(0.2) == 200000);
        assert_true(cpu_fraction_to_quota_usec(0.001) == 10000);
        assert_true(cpu_fraction_to_quota_usec(0.123) == 130000);
        assert_true(cpu_fraction_to_quota_usec(0.5) == 500000);
        assert_true(cpu_fraction_to_quota_usec(1.0) == 1000000);
        assert_true(cpu_fraction_to_quota_usec(2.0) == 2000000);
        assert_true(cpu_fraction_to_quota_usec(0.01) == 10000);
        assert_true(cpu_fraction_to_quota_usec(0.011) == 20000);
        assert_true(cpu_fraction_to_quota_usec(0.1) == 100000);
        assert_true(cpu_fraction_to_quota_usec(0.3) == 300000);
        assert_true(cpu_fraction_to_quota_usec(0.7) == 700000);
        assert_true(cpu_fraction_to_quota_usec(1.01) == 1010000);
        assert_true(cpu_fraction_to_quota_usec(0.105) == 110000);
        assert_true(cpu_fraction_to_quota_usec(1e-12) == 10000);
        assert_true(cpu_fraction_to_quota_usec(1024.0) == 1024000000);
        /* Every whole percent maps to itself. */
        for (int pct = 1; pct <= 1000; pct++)
                assert_true(cpu_fraction_to_quota_usec(pct / 100.0) == (uint64_t) pct * 10000);

        assert_true(cpu_fraction_to_quota_usec(0) == 0);
        assert_true(cpu_fraction_to_quota_usec(-1) == 0);
        assert_true(cpu_fraction_to_quota_usec(NAN) == 0);
        assert_true(cpu_fraction_to_quota_usec(INFINITY) == UINT64_MAX);
        assert_true(cpu_fraction_to_quota_usec(1e300) == UINT64_MAX);
}

static void assert_cpu_list(const char *s, const uint8_t *expected, size_t expected_size) {
        _cleanup_free_ uint8_t *mask = NULL;
        size_t size = 0;

        print_message("parse_cpu_list(\"%s\")\n", s);
        assert_int_equal(parse_cpu_list(s, &mask, &size), 0);
        assert_int_equal(size, expected_size);
        assert_memory_equal(mask, expected, size);
}

static void assert_cpu_list_fails(const char *s, int error) {
        uint8_t *mask = NULL;
        size_t size = 77;

        print_message("parse_cpu_list(\"%s\") must fail\n", s);
        assert_int_equal(parse_cpu_list(s, &mask, &size), error);
        assert_null(mask);
        assert_int_equal(size, 77);
}

static void test_parse_cpu_list(void **state) {
        assert_cpu_list("0,2-3", (const uint8_t[]) { 0x0d }, 1);
        assert_cpu_list("9", (const uint8_t[]) { 0x00, 0x02 }, 2);
        assert_cpu_list("0", (const uint8_t[]) { 0x01 }, 1);
        assert_cpu_list("7", (const uint8_t[]) { 0x80 }, 1);
        assert_cpu_list("8", (const uint8_t[]) { 0x00, 0x01 }, 2);
        assert_cpu_list("0-7", (const uint8_t[]) { 0xff }, 1);
        assert_cpu_list("0-8", (const uint8_t[]) { 0xff, 0x01 }, 2);
        assert_cpu_list("3-3", (const uint8_t[]) { 0x08 }, 1);
        assert_cpu_list("1,1,1-2", (const uint8_t[]) { 0x06 }, 1);
        assert_cpu_list("3,0", (const uint8_t[]) { 0x09 }, 1);
        assert_cpu_list(" 0 , 2-3 ", (const uint8_t[]) { 0x0d }, 1);
        assert_cpu_list("0 2-3", (const uint8_t[]) { 0x0d }, 1);
        assert_cpu_list("0\t2-3\n", (const uint8_t[]) { 0x0d }, 1);
        assert_cpu_list("16,17", (const uint8_t[]) { 0x00, 0x00, 0x03 }, 3);
        {
                uint8_t last[1024] = {};
                last[1023] = 0x80;
                assert_cpu_list("8191", last, sizeof(last));
        }

        assert_cpu_list_fails("", -EINVAL);
        assert_cpu_list_fails("   ", -EINVAL);
        assert_cpu_list_fails(",", -EINVAL);
        assert_cpu_list_fails("0,", -EINVAL);
        assert_cpu_list_fails(",0", -EINVAL);
        assert_cpu_list_fails("0,,1", -EINVAL);
        assert_cpu_list_fails("0, ,1", -EINVAL);
        assert_cpu_list_fails("3-2", -EINVAL);
        assert_cpu_list_fails("1-", -EINVAL);
        assert_cpu_list_fails("-1", -EINVAL);
        assert_cpu_list_fails("1-2-3", -EINVAL);
        assert_cpu_list_fails("1 - 2", -EINVAL);
        assert_cpu_list_fails("a", -EINVAL);
        assert_cpu_list_fails("1a", -EINVAL);
        assert_cpu_list_fails("0x1", -EINVAL);
        assert_cpu_list_fails("1;2", -EINVAL);
        assert_cpu_list_fails("8192", -ERANGE);
        assert_cpu_list_fails("0-8192", -ERANGE);
        assert_cpu_list_fails("99999999999999999999999", -ERANGE);
}

static void assert_format(const uint8_t *mask, size_t size, const char *expected) {
        _cleanup_free_ char *s = NULL;

        assert_int_equal(cpu_list_format(mask, size, &s), 0);
        assert_string_equal(s, expected);
}

static void test_cpu_list_format(void **state) {
        static const char *const canonical[] = {
                "0", "0,2-3", "9", "0-7", "0-8", "1,3,5,7", "0-1,8191", "5-6,8-15,17",
        };

        assert_format((const uint8_t[]) { 0x0d }, 1, "0,2-3");
        assert_format((const uint8_t[]) { 0x00, 0x02 }, 2, "9");
        assert_format((const uint8_t[]) { 0xff, 0xff }, 2, "0-15");
        assert_format((const uint8_t[]) { 0x80, 0x01 }, 2, "7-8");
        assert_format((const uint8_t[]) { 0x00, 0x00, 0x00 }, 3, "");
        assert_format(NULL, 0, "");

        /* Round trips: canonical text → mask → same text. */
        for (size_t i = 0; i < ELEMENTSOF(canonical); i++) {
                _cleanup_free_ uint8_t *mask = NULL;
                size_t size;

                assert_int_equal(parse_cpu_list(canonical[i], &mask, &size), 0);
                assert_format(mask, size, canonical[i]);
        }

        /* Non-canonical input formats canonically. */
        {
                _cleanup_free_ uint8_t *mask = NULL;
                size_t size;

                assert_int_equal(parse_cpu_list(" 3 2,1 0-1 ", &mask, &size), 0);
                assert_format(mask, size, "0-3");
        }
}

static void test_cpu_mask_max_cpu(void **state) {
        assert_int_equal(cpu_mask_max_cpu((const uint8_t[]) { 0x0d }, 1), 3);
        assert_int_equal(cpu_mask_max_cpu((const uint8_t[]) { 0x00, 0x02 }, 2), 9);
        assert_int_equal(cpu_mask_max_cpu((const uint8_t[]) { 0x01 }, 1), 0);
        assert_int_equal(cpu_mask_max_cpu((const uint8_t[]) { 0xff, 0x80, 0x00 }, 3), 15);
        assert_int_equal(cpu_mask_max_cpu((const uint8_t[]) { 0x00, 0x00 }, 2), -ENOENT);
        assert_int_equal(cpu_mask_max_cpu(NULL, 0), -ENOENT);
}

static void test_parse_seconds(void **state) {
        uint64_t v;

        assert_int_equal(parse_seconds("1", &v), 0);
        assert_true(v == 1000000);
        assert_int_equal(parse_seconds("1.5", &v), 0);
        assert_true(v == 1500000);
        assert_int_equal(parse_seconds("0", &v), 0);
        assert_true(v == 0);
        assert_int_equal(parse_seconds("10s", &v), 0);
        assert_true(v == 10000000);
        assert_int_equal(parse_seconds("250ms", &v), 0);
        assert_true(v == 250000);
        assert_int_equal(parse_seconds("1.5ms", &v), 0);
        assert_true(v == 1500);
        assert_int_equal(parse_seconds("2min", &v), 0);
        assert_true(v == 120000000);
        assert_int_equal(parse_seconds("1h", &v), 0);
        assert_true(v == UINT64_C(3600000000));
        assert_int_equal(parse_seconds("0.5h", &v), 0);
        assert_true(v == UINT64_C(1800000000));
        assert_int_equal(parse_seconds("0.0000001", &v), 0); /* rounded down */
        assert_true(v == 0);
        assert_int_equal(parse_seconds("0.0000019", &v), 0);
        assert_true(v == 1);
        assert_int_equal(parse_seconds("18446744073709", &v), 0);
        assert_true(v == UINT64_C(18446744073709000000));

        assert_int_equal(parse_seconds("", &v), -EINVAL);
        assert_int_equal(parse_seconds("s", &v), -EINVAL);
        assert_int_equal(parse_seconds("-1", &v), -EINVAL);
        assert_int_equal(parse_seconds("1m", &v), -EINVAL);
        assert_int_equal(parse_seconds("1 s", &v), -EINVAL);
        assert_int_equal(parse_seconds("1sec", &v), -EINVAL);
        assert_int_equal(parse_seconds("1S", &v), -EINVAL);
        assert_int_equal(parse_seconds("1min30s", &v), -EINVAL);
        assert_int_equal(parse_seconds("1e3", &v), -EINVAL);
        assert_int_equal(parse_seconds("18446744073710", &v), -ERANGE);
        assert_int_equal(parse_seconds("5124095577h", &v), -ERANGE);
}

static void test_parse_uint64(void **state) {
        uint64_t v;

        assert_int_equal(parse_uint64("0", &v), 0);
        assert_true(v == 0);
        assert_int_equal(parse_uint64("42", &v), 0);
        assert_true(v == 42);
        assert_int_equal(parse_uint64("007", &v), 0);
        assert_true(v == 7);
        assert_int_equal(parse_uint64("18446744073709551615", &v), 0);
        assert_true(v == UINT64_MAX);

        assert_int_equal(parse_uint64("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_uint64("", &v), -EINVAL);
        assert_int_equal(parse_uint64("-1", &v), -EINVAL);
        assert_int_equal(parse_uint64("+1", &v), -EINVAL);
        assert_int_equal(parse_uint64(" 1", &v), -EINVAL);
        assert_int_equal(parse_uint64("1 ", &v), -EINVAL);
        assert_int_equal(parse_uint64("0x10", &v), -EINVAL);
        assert_int_equal(parse_uint64("1.0", &v), -EINVAL);
        assert_int_equal(parse_uint64("1K", &v), -EINVAL);
        assert_int_equal(parse_uint64(NULL, &v), -EINVAL);
}

static void test_parse_int(void **state) {
        int v;

        assert_int_equal(parse_int("0", &v), 0);
        assert_int_equal(v, 0);
        assert_int_equal(parse_int("-1", &v), 0);
        assert_int_equal(v, -1);
        assert_int_equal(parse_int("2147483647", &v), 0);
        assert_int_equal(v, INT_MAX);
        assert_int_equal(parse_int("-2147483648", &v), 0);
        assert_int_equal(v, INT_MIN);

        v = 42;
        assert_int_equal(parse_int("2147483648", &v), -ERANGE);
        assert_int_equal(parse_int("-2147483649", &v), -ERANGE);
        assert_int_equal(parse_int("18446744073709551616", &v), -ERANGE);
        assert_int_equal(parse_int("-0", &v), -EINVAL);
        assert_int_equal(parse_int("-", &v), -EINVAL);
        assert_int_equal(parse_int("--1", &v), -EINVAL);
        assert_int_equal(parse_int("+1", &v), -EINVAL);
        assert_int_equal(parse_int(" 1", &v), -EINVAL);
        assert_int_equal(parse_int("- 1", &v), -EINVAL);
        assert_int_equal(parse_int("1 ", &v), -EINVAL);
        assert_int_equal(parse_int("", &v), -EINVAL);
        assert_int_equal(parse_int(NULL, &v), -EINVAL);
        assert_int_equal(v, 42);
}

#define ENV_VALID(s) parse_env_assignment_valid(s, strlen(s))

static void test_parse_env_assignment_valid(void **state) {
        assert_true(ENV_VALID("A=1"));
        assert_true(ENV_VALID("A="));
        assert_true(ENV_VALID("_=x"));
        assert_true(ENV_VALID("PATH=/usr/bin:/bin"));
        assert_true(ENV_VALID("lower_case9=a=b"));
        assert_true(ENV_VALID("X=with spaces and \xc3\xa9"));
        /* Not NUL-terminated: only len bytes count. */
        assert_true(parse_env_assignment_valid("A=1garbage", 3));

        assert_false(ENV_VALID(""));
        assert_false(ENV_VALID("="));
        assert_false(ENV_VALID("=1"));
        assert_false(ENV_VALID("A"));
        assert_false(ENV_VALID("9A=1"));
        assert_false(ENV_VALID("A-B=1"));
        assert_false(ENV_VALID("A B=1"));
        assert_false(ENV_VALID(" A=1"));
        assert_false(ENV_VALID("A.B=1"));
        assert_false(ENV_VALID("\xc3\xa9=1"));
        assert_false(parse_env_assignment_valid("A=1\0x", 5));
        assert_false(parse_env_assignment_valid("A\0=1", 4));
        assert_false(parse_env_assignment_valid("A=1", 1));
        assert_false(parse_env_assignment_valid(NULL, 0));
}

static void test_job_id(void **state) {
        char id[JOB_ID_LENGTH + 1], other[JOB_ID_LENGTH + 1];

        assert_true(job_id_valid("0123456789ab"));
        assert_true(job_id_valid("cdefcdefcdef"));

        assert_false(job_id_valid(""));
        assert_false(job_id_valid("0123456789a"));
        assert_false(job_id_valid("0123456789abc"));
        assert_false(job_id_valid("0123456789AB"));
        assert_false(job_id_valid("0123456789ag"));
        assert_false(job_id_valid("01234567-9ab"));
        assert_false(job_id_valid("../../etc/pa"));
        assert_false(job_id_valid(NULL));

        assert_int_equal(job_id_generate(id), 0);
        assert_int_equal(strlen(id), JOB_ID_LENGTH);
        assert_true(job_id_valid(id));
        assert_int_equal(job_id_generate(other), 0);
        assert_true(job_id_valid(other));
        assert_string_not_equal(id, other); /* 48 random bits */
}

static void test_bus_unique_name(void **state) {
        char longest[257];

        assert_true(bus_unique_name_valid(":1.42"));
        assert_true(bus_unique_name_valid(":x-y_z"));
        assert_false(bus_unique_name_valid(NULL));
        assert_false(bus_unique_name_valid(""));
        assert_false(bus_unique_name_valid(":"));
        assert_false(bus_unique_name_valid("1.42"));
        assert_false(bus_unique_name_valid("org.jobworker1"));
        assert_false(bus_unique_name_valid(":1.4 2"));
        assert_false(bus_unique_name_valid(":1.4\n"));
        longest[0] = ':';
        memset(longest + 1, 'a', 254);
        longest[255] = '\0';
        assert_true(bus_unique_name_valid(longest));
        longest[255] = 'a';
        longest[256] = '\0';
        assert_false(bus_unique_name_valid(longest));
}

static void test_job_name(void **state) {
        char longest[JOB_NAME_LENGTH_MAX + 2];

        assert_true(job_name_valid("build"));
        assert_true(job_name_valid("nightly-2026.12.02_x86"));
        assert_true(job_name_valid("A"));
        assert_true(job_name_valid("9"));
        assert_true(job_name_valid("0123456789a"));    /* 11 hex: no id */
        assert_true(job_name_valid("0123456789abc"));  /* 13 hex: no id */
        assert_true(job_name_valid("0123456789ag"));   /* 12, not all hex */
        memset(longest, 'x', JOB_NAME_LENGTH_MAX);
        longest[JOB_NAME_LENGTH_MAX] = '\0';
        assert_true(job_name_valid(longest));

        longest[JOB_NAME_LENGTH_MAX] = 'x';
        longest[JOB_NAME_LENGTH_MAX + 1] = '\0';
        assert_false(job_name_valid(longest));
        assert_false(job_name_valid(NULL));
        assert_false(job_name_valid(""));
        assert_false(job_name_valid("0123456789ab"));  /* reads as a job id */
        assert_false(job_name_valid("0123456789AB"));
        assert_false(job_name_valid("DEADBEEFcafe"));
        assert_false(job_name_valid("-rf"));
        assert_false(job_name_valid("."));
        assert_false(job_name_valid(".."));
        assert_false(job_name_valid(".hidden"));
        assert_false(job_name_valid("_x"));
        assert_false(job_name_valid("a b"));
        assert_false(job_name_valid("a/b"));
        assert_false(job_name_valid("a:b"));
        assert_false(job_name_valid("caf\xc3\xa9"));
        assert_false(job_name_valid("a\n"));
}

static void test_parse_user_or_id(void **state) {
        uint32_t id = 7;

        assert_int_equal(parse_user_or_id("nobody", &id), 0);
        assert_int_equal(id, 7);
        assert_int_equal(parse_user_or_id("Alice.B-c_d", NULL), 0);
        assert_int_equal(parse_user_or_id("host$", NULL), 0);
        assert_int_equal(parse_user_or_id("4u", NULL), 0);
        assert_int_equal(parse_user_or_id("4242", &id), 1);
        assert_int_equal(id, 4242);
        assert_int_equal(parse_user_or_id("0", &id), 1);
        assert_int_equal(id, 0);
        assert_int_equal(parse_user_or_id("4294967294", &id), 1);
        assert_int_equal(id, 4294967294U);

        assert_int_equal(parse_user_or_id("4294967295", NULL), -ERANGE);
        assert_int_equal(parse_user_or_id("99999999999999999999999", NULL), -ERANGE);
        assert_int_equal(parse_user_or_id(NULL, NULL), -EINVAL);
        assert_int_equal(parse_user_or_id("", NULL), -EINVAL);
        assert_int_equal(parse_user_or_id("-1", NULL), -EINVAL);
        assert_int_equal(parse_user_or_id("+1", NULL), -EINVAL);
        assert_int_equal(parse_user_or_id(" 1", NULL), -EINVAL);
        assert_int_equal(parse_user_or_id("a b", NULL), -EINVAL);
        assert_int_equal(parse_user_or_id("a:b", NULL), -EINVAL);
        assert_int_equal(parse_user_or_id("a$b", NULL), -EINVAL);
        assert_int_equal(parse_user_or_id("a/b", NULL), -EINVAL);
        assert_int_equal(parse_user_or_id("caf\xc3\xa9", NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_size),
                cmocka_unit_test(test_parse_rate),
                cmocka_unit_test(test_parse_cpu_fraction),
                cmocka_unit_test(test_cpu_fraction_to_quota_usec),
                cmocka_unit_test(test_parse_cpu_list),
                cmocka_unit_test(test_cpu_list_format),
                cmocka_unit_test(test_cpu_mask_max_cpu),
                cmocka_unit_test(test_parse_seconds),
                cmocka_unit_test(test_parse_uint64),
                cmocka_unit_test(test_parse_int),
                cmocka_unit_test(test_parse_env_assignment_valid),
                cmocka_unit_test(test_job_id),
                cmocka_unit_test(test_job_name),
                cmocka_unit_test(test_bus_unique_name),
                cmocka_unit_test(test_parse_user_or_id),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
