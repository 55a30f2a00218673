/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The KEY=VALUE record codec (kv-record.c): what is written reads back
 * byte for byte; anything a writer would not have written is refused. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kv-record.h"
#include "macro.h"
#include "parse-util.h"

#define LINES_MAX 16

typedef struct Lines {
        size_t n;
        char *key[LINES_MAX];
        char *value[LINES_MAX];
        int fail_at;            /* the handler fails on this line (1-based), 0 never */
} Lines;

static int collect(const char *key, const char *value, void *userdata) {
        Lines *l = userdata;

        assert_true(l->n < LINES_MAX);
        if (l->fail_at > 0 && (size_t) l->fail_at == l->n + 1)
                return -ENOTRECOVERABLE;
        assert_non_null(l->key[l->n] = strdup(key));
        assert_non_null(l->value[l->n] = strdup(value));
        l->n++;
        return 0;
}

static void lines_done(Lines *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->key[i]);
                free(l->value[i]);
        }
        *l = (Lines) {};
}

static int parse(const char *text, size_t size, Lines *l) {
        lines_done(l);
        return kv_record_parse(text, size, collect, l);
}

static int parse_str(const char *text, Lines *l) {
        return parse(text, strlen(text), l);
}

static void test_write(void **state) {
        _cleanup_(kv_writer_done) KVWriter w = KV_WRITER_INIT;
        _cleanup_free_ char *text = NULL;
        size_t size;

        kv_put_u64(&w, "A", 0);
        kv_put_u64(&w, "B_2", UINT64_MAX);
        kv_put_int(&w, "C", INT_MIN);
        kv_put_int(&w, "D", -1);
        kv_put_int(&w, "E", INT_MAX);
        kv_put_token(&w, "F", "start-failed");
        kv_put_token(&w, "G", ":1.42");
        kv_put_hex(&w, "H", "\0\x01\xff" "a", 4);
        kv_put_hex_string(&w, "I", "");
        kv_put_hex_string(&w, "J", "=\n");
        assert_int_equal(kv_writer_finish(&w, &text, &size), 0);
        assert_string_equal(text,
                            "A=0\n"
                            "B_2=18446744073709551615\n"
                            "C=-2147483648\n"
                            "D=-1\n"
                            "E=2147483647\n"
                            "F=start-failed\n"
                            "G=:1.42\n"
                            "H=0001ff61\n"
                            "I=\n"
                            "J=3d0a\n");
        assert_int_equal(size, strlen(text));

        /* Nothing written is an empty record, not NULL. */
        free(text);
        text = NULL;
        assert_int_equal(kv_writer_finish(&w, &text, NULL), 0);
        assert_string_equal(text, "");
}

static void test_round_trip(void **state) {
        _cleanup_(kv_writer_done) KVWriter w = KV_WRITER_INIT;
        _cleanup_free_ char *text = NULL;
        _cleanup_free_ uint8_t *bytes = NULL;
        uint8_t all[256];
        Lines l = {};
        size_t size, n;
        uint64_t u;
        int i;

        for (size_t k = 0; k < sizeof all; k++)
                all[k] = (uint8_t) k;
        kv_put_hex(&w, "ALL", all, sizeof all);
        kv_put_u64(&w, "U", UINT64_MAX - 1);
        kv_put_int(&w, "I", -42);
        kv_put_token(&w, "T", "10.89.0.7/24");
        assert_int_equal(kv_writer_finish(&w, &text, &size), 0);

        assert_int_equal(parse(text, size, &l), 0);
        assert_int_equal(l.n, 4);
        assert_string_equal(l.key[0], "ALL");
        assert_int_equal(kv_unhex(l.value[0], true, &bytes, &n), 0);
        assert_int_equal(n, sizeof all);
        assert_memory_equal(bytes, all, sizeof all);
        assert_int_equal(bytes[n], 0);
        assert_int_equal(parse_uint64(l.value[1], &u), 0);
        assert_true(u == UINT64_MAX - 1);
        assert_int_equal(parse_int(l.value[2], &i), 0);
        assert_int_equal(i, -42);
        assert_string_equal(l.value[3], "10.89.0.7/24");
        lines_done(&l);
}

/* Values are whatever follows the first '='; an empty one is a value. */
static void test_parse_values(void **state) {
        Lines l = {};

        assert_int_equal(parse_str("", &l), 0);
        assert_int_equal(l.n, 0);
        assert_int_equal(parse_str("A=b=c\nB=\nC=\xff \t\r\n", &l), 0);
        assert_int_equal(l.n, 3);
        assert_string_equal(l.value[0], "b=c");
        assert_string_equal(l.value[1], "");
        assert_string_equal(l.value[2], "\xff \t\r");
        lines_done(&l);

        /* Length is honoured: the text need not be NUL-terminated. */
        assert_int_equal(parse("A=1\nB=2\n", 4, &l), 0);
        assert_int_equal(l.n, 1);
        lines_done(&l);
}

static void test_parse_malformed(void **state) {
        static const char *const bad[] = {
                "A",                    /* no '=' */
                "A\n",
                "=1\n",                 /* empty key */
                "\n",                   /* empty line */
                "A=1\n\n",
                "a=1\n",                /* lowercase key */
                "Ab=1\n",
                "A-B=1\n",
                "A B=1\n",
                " A=1\n",
                "A =1\n",
                "\xc3\x84=1\n",
                "A=1",                  /* no final newline */
                "A=1\nB=2",
                "A=1\r",
        };
        Lines l = {};

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (parse_str(bad[i], &l) != -EBADMSG)
                        fail_msg("accepted malformed record #%zu: \"%s\"", i, bad[i]);
        lines_done(&l);

        /* A NUL anywhere: in a value, in a key, a line of its own. */
        static const char nul_value[] = "A=1\nB=x\0y\n";
        static const char nul_key[] = "A\0B=1\n";
        static const char nul_line[] = "A=1\n\0\n";
        assert_int_equal(parse(nul_value, sizeof nul_value - 1, &l), -EBADMSG);
        assert_int_equal(l.n, 1);       /* the lines before it were read */
        assert_int_equal(parse(nul_key, sizeof nul_key - 1, &l), -EBADMSG);
        assert_int_equal(parse(nul_line, sizeof nul_line - 1, &l), -EBADMSG);
        lines_done(&l);
}

static void test_handler_error_stops(void **state) {
        Lines l = { .fail_at = 2 };

        assert_int_equal(kv_record_parse("A=1\nB=2\nC=3\n", 12, collect, &l), -ENOTRECOVERABLE);
        assert_int_equal(l.n, 1);
        lines_done(&l);
}

static void test_tokens(void **state) {
        static const char *const bad[] = { " ", "a b", "a\n", "a=\n", "\t", "\x7f", "\xc3\xa9", NULL };

        assert_true(kv_token_valid("start-failed"));
        assert_true(kv_token_valid("!~"));
        assert_true(kv_token_valid(""));        /* e.g. RESULT= of a job without one */
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(kv_writer_done) KVWriter w = KV_WRITER_INIT;
                char *text = NULL;

                assert_false(kv_token_valid(bad[i]));
                kv_put_u64(&w, "A", 1);
                kv_put_token(&w, "T", bad[i]);
                kv_put_u64(&w, "B", 2);         /* a no-op now */
                assert_int_equal(kv_writer_finish(&w, &text, NULL), -EINVAL);
                assert_null(text);
        }
}

static void test_unhex(void **state) {
        static const char *const bad[] = {
                "7",            /* odd length */
                "747",
                "4A",           /* uppercase is not what we write */
                "4a4A",
                "7g",
                "-1",           /* sscanf("%2x") took this */
                " f",
                "f ",
                "0x41",
        };
        _cleanup_free_ char *s = NULL;
        uint8_t *b = NULL;
        size_t n;

        assert_int_equal(kv_unhex_string("", &s), 0);
        assert_string_equal(s, "");
        free(s);
        assert_int_equal(kv_unhex_string("74727565", &s), 0);
        assert_string_equal(s, "true");
        free(s);
        s = NULL;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                if (kv_unhex(bad[i], true, &b, &n) != -EINVAL)
                        fail_msg("accepted malformed hex #%zu: \"%s\"", i, bad[i]);
                assert_null(b);
        }

        /* A NUL: refused in a C string, kept where bytes are wanted. */
        assert_int_equal(kv_unhex_string("2f00", &s), -EINVAL);
        assert_int_equal(kv_unhex_string("00", &s), -EINVAL);
        assert_null(s);
        assert_int_equal(kv_unhex("7277002f61", true, &b, &n), 0);
        assert_int_equal(n, 5);
        assert_memory_equal(b, "rw\0/a", 5);
        free(b);
        assert_int_equal(kv_unhex("", true, &b, &n), 0);
        assert_int_equal(n, 0);
        free(b);
}

/* The values of records go through the one u64 and int parser: what
 * "%" PRIu64 and "%d" do not write is refused. */
static void test_numbers(void **state) {
        static const char *const bad_u64[] = { "", "-1", "+1", " 1", "1 ", "0x10", "18446744073709551616", "1\r" };
        static const char *const bad_int[] = { "", "+1", " 1", "1 ", "-0", "--1", "2147483648", "-2147483649" };
        uint64_t u;
        int v;

        for (size_t i = 0; i < ELEMENTSOF(bad_u64); i++)
                if (parse_uint64(bad_u64[i], &u) >= 0)
                        fail_msg("accepted u64 \"%s\"", bad_u64[i]);
        for (size_t i = 0; i < ELEMENTSOF(bad_int); i++)
                if (parse_int(bad_int[i], &v) >= 0)
                        fail_msg("accepted int \"%s\"", bad_int[i]);
}

/* A record the size of a job record with a 2 MiB command line. */
static void test_large(void **state) {
        _cleanup_(kv_writer_done) KVWriter w = KV_WRITER_INIT;
        _cleanup_free_ char *text = NULL, *big = NULL, *back = NULL;
        size_t size, n = 2 * 1024 * 1024;
        Lines l = {};

        assert_non_null(big = malloc(n + 1));
        for (size_t i = 0; i < n; i++)
                big[i] = (char) ('a' + i % 26);
        big[n] = '\0';
        kv_put_hex_string(&w, "ARGV", big);
        kv_put_u64(&w, "X", 1);
        assert_int_equal(kv_writer_finish(&w, &text, &size), 0);
        assert_int_equal(size, strlen("ARGV=\nX=1\n") + 2 * n);
        assert_int_equal(parse(text, size, &l), 0);
        assert_int_equal(l.n, 2);
        assert_int_equal(kv_unhex_string(l.value[0], &back), 0);
        assert_string_equal(back, big);
        lines_done(&l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_write),
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_parse_values),
                cmocka_unit_test(test_parse_malformed),
                cmocka_unit_test(test_handler_error_stops),
                cmocka_unit_test(test_tokens),
                cmocka_unit_test(test_unhex),
                cmocka_unit_test(test_numbers),
                cmocka_unit_test(test_large),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
