/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "macro.h"
#include "output-chunker.h"

#define HEADROOM 8

/* What a sink got: the concatenated chunks, checked for contiguous offsets. */
typedef struct Collected {
        uint8_t *data;
        size_t length;
        size_t n_chunks;
        size_t max_chunk;
} Collected;

static void collect(OutputChunker *c, Collected *out, uint64_t now) {
        uint8_t *data;
        uint64_t offset;
        size_t n = output_chunker_peek(c, &data, &offset);

        assert_true(n > 0);                     /* never an empty chunk */
        assert_true(offset == out->length);     /* in order, no gap */
        memset(data - HEADROOM, 'H', HEADROOM); /* the headroom is writable */
        out->data = realloc(out->data, out->length + n);
        assert_non_null(out->data);
        memcpy(out->data + out->length, data, n);
        out->length += n;
        out->n_chunks++;
        if (n > out->max_chunk)
                out->max_chunk = n;
        output_chunker_sent(c, now);
}

/* Feeds input in pieces of `step` bytes at 1 ms intervals, sending what is
 * due; returns the concatenation. */
static void feed(const uint8_t *input, size_t n, size_t step, Collected *out) {
        OutputChunker c;
        uint64_t now = 1000000;
        size_t pos = 0;

        output_chunker_init(&c, HEADROOM, 0);
        while (pos < n) {
                size_t k = n - pos < step ? n - pos : step;
                int taken = output_chunker_append(&c, input + pos, k, now);
                assert_true(taken >= 0);
                pos += (size_t) taken;
                if (output_chunker_due(&c, now))
                        collect(&c, out, now);
                now += 1000;
        }
        output_chunker_set_eof(&c);
        assert_true(output_chunker_deadline(&c) == 0 || output_chunker_peek(&c, NULL, NULL) == 0);
        if (output_chunker_due(&c, now))
                collect(&c, out, now);
        assert_true(output_chunker_is_finished(&c));
        assert_true(output_chunker_total(&c) == n);
        output_chunker_done(&c);
}

static void check_exact(const void *input, size_t n, size_t step) {
        Collected out = {};

        feed(input, n, step, &out);
        assert_int_equal(out.length, n);
        if (n > 0)
                assert_memory_equal(out.data, input, n);
        else
                assert_int_equal(out.n_chunks, 0);
        free(out.data);
}

static void test_bytes_exact(void **state) {
        static const char odd[] = "a\n\nb\0c\r\n\xff\xfe\xc3(\x80\n\n\n\0\0tail without newline";

        check_exact(odd, sizeof odd - 1, 1);
        check_exact(odd, sizeof odd - 1, 3);
        check_exact(odd, sizeof odd - 1, sizeof odd);
        check_exact("", 0, 1);
        check_exact("\n", 1, 1);
        check_exact("\0", 1, 1);
}

static void test_one_mib_line(void **state) {
        size_t n = 1024 * 1024;
        uint8_t *line = malloc(n);
        Collected out = {};

        assert_non_null(line);
        for (size_t i = 0; i < n; i++)
                line[i] = (uint8_t) ('a' + i % 26);
        feed(line, n, 65536, &out);
        /* The first piece goes out at once (nothing was sent before), the
         * rest in full chunks. */
        assert_int_equal(out.n_chunks, 5);
        assert_int_equal(out.max_chunk, JOB_OUTPUT_CHUNK_MAX);
        assert_int_equal(out.length, n);
        assert_memory_equal(out.data, line, n);
        free(out.data);

        /* Bytes of every value, odd pieces, crossing chunk boundaries. */
        out = (Collected) {};
        for (size_t i = 0; i < n; i++)
                line[i] = (uint8_t) (i * 7919 % 251);
        feed(line, n, 4093, &out);
        assert_int_equal(out.length, n);
        assert_memory_equal(out.data, line, n);
        free(out.data);
        free(line);
}

static void test_deadlines(void **state) {
        OutputChunker c;
        uint8_t *p;
        size_t size;

        output_chunker_init(&c, HEADROOM, 0);
        assert_true(output_chunker_deadline(&c) == UINT64_MAX);
        assert_false(output_chunker_due(&c, UINT64_MAX - 1));

        /* The first chunk is due as soon as it has a byte. */
        assert_int_equal(output_chunker_append(&c, "x", 1, 4000000), 1);
        assert_true(output_chunker_deadline(&c) == 4000000);
        assert_true(output_chunker_due(&c, 4000000));
        output_chunker_sent(&c, 4000000);

        /* Soon after a send: due a flush interval after it; later bytes do
         * not move that. */
        assert_int_equal(output_chunker_append(&c, "x", 1, 4000010), 1);
        assert_true(output_chunker_deadline(&c) == 4000000 + JOB_OUTPUT_FLUSH_USEC);
        assert_int_equal(output_chunker_append(&c, "y", 1, 4000000 + JOB_OUTPUT_FLUSH_USEC - 1), 1);
        assert_true(output_chunker_deadline(&c) == 4000000 + JOB_OUTPUT_FLUSH_USEC);
        assert_false(output_chunker_due(&c, 4000000 + JOB_OUTPUT_FLUSH_USEC - 1));
        assert_true(output_chunker_due(&c, 4000000 + JOB_OUTPUT_FLUSH_USEC));
        output_chunker_sent(&c, 4000000 + JOB_OUTPUT_FLUSH_USEC);
        assert_true(output_chunker_deadline(&c) == UINT64_MAX);

        /* After a pause longer than that: due at once again. */
        assert_int_equal(output_chunker_append(&c, "x", 1, 5000000), 1);
        assert_true(output_chunker_deadline(&c) == 5000000);
        output_chunker_sent(&c, 5000000);

        /* A committed read of 0 bytes is no data and sets no deadline. */
        output_chunker_commit(&c, 0, 6000000);
        assert_true(output_chunker_deadline(&c) == UINT64_MAX);

        /* Full: due at once, and no space until sent. */
        assert_int_equal(output_chunker_space(&c, &p, &size), 0);
        assert_int_equal(size, JOB_OUTPUT_CHUNK_MAX);
        memset(p, 'z', size);
        output_chunker_commit(&c, size, 7000000);
        assert_true(output_chunker_is_full(&c));
        assert_true(output_chunker_deadline(&c) == 0);
        assert_int_equal(output_chunker_space(&c, &p, &size), 0);
        assert_int_equal(size, 0);
        assert_int_equal(output_chunker_append(&c, "w", 1, 7000001), 0);
        output_chunker_sent(&c, 7000001);
        assert_int_equal(output_chunker_space(&c, &p, &size), 0);
        assert_int_equal(size, JOB_OUTPUT_CHUNK_MAX);

        /* EOF: what waits is due at once; nothing more is taken. */
        assert_int_equal(output_chunker_append(&c, "v", 1, 8000000), 1);
        output_chunker_set_eof(&c);
        assert_true(output_chunker_deadline(&c) == 0);
        assert_false(output_chunker_is_finished(&c));
        assert_int_equal(output_chunker_append(&c, "u", 1, 8000000), 0);
        output_chunker_sent(&c, 8000000);
        assert_true(output_chunker_is_finished(&c));
        output_chunker_done(&c);

        /* EOF with nothing waiting: finished, nothing due. */
        output_chunker_init(&c, HEADROOM, 0);
        output_chunker_set_eof(&c);
        assert_true(output_chunker_is_finished(&c));
        assert_false(output_chunker_due(&c, 0));
        output_chunker_done(&c);
}

/* One byte a millisecond: one entry per flush interval (and the first at
 * once), not per write. */
static void test_slow_trickle_rate(void **state) {
        OutputChunker c;
        unsigned sent = 0;

        output_chunker_init(&c, HEADROOM, 0);
        for (uint64_t now = 0; now < USEC_PER_SEC; now += 1000) {
                assert_int_equal(output_chunker_append(&c, "b", 1, now), 1);
                if (output_chunker_due(&c, now)) {
                        output_chunker_sent(&c, now);
                        sent++;
                }
        }
        /* The first byte, then a flush every 50 ms. */
        assert_true(sent <= USEC_PER_SEC / JOB_OUTPUT_FLUSH_USEC + 1);
        assert_true(sent >= USEC_PER_SEC / JOB_OUTPUT_FLUSH_USEC - 1);
        output_chunker_done(&c);
}

/* Full chunks as fast as they come: at most OUTPUT_CHUNKER_MAX_PER_SEC a second. */
static void test_full_chunk_rate(void **state) {
        OutputChunker c;
        uint8_t *p;
        size_t size;
        unsigned sent = 0;
        uint64_t now = 10 * USEC_PER_SEC;

        output_chunker_init(&c, HEADROOM, 16);
        for (unsigned i = 0; i < 25000; i++) {
                assert_int_equal(output_chunker_space(&c, &p, &size), 0);
                if (size > 0)
                        output_chunker_commit(&c, size, now);
                if (output_chunker_due(&c, now)) {
                        output_chunker_sent(&c, now);
                        sent++;
                }
                now += 100;     /* 10000 attempts a second */
        }
        /* 2.5 s of attempts: three windows. */
        assert_int_equal(sent, 3 * OUTPUT_CHUNKER_MAX_PER_SEC);
        /* Throttled: the full chunk is due at the next window. */
        assert_true(output_chunker_is_full(&c));
        assert_true(output_chunker_deadline(&c) > now - 100);
        assert_true(output_chunker_deadline(&c) <= now + USEC_PER_SEC);
        output_chunker_done(&c);
}

static void test_offsets(void **state) {
        OutputChunker c;
        uint64_t offset;

        output_chunker_init(&c, HEADROOM, 10);
        assert_int_equal(output_chunker_append(&c, "0123456789abc", 13, 1), 10);
        assert_int_equal(output_chunker_peek(&c, NULL, &offset), 10);
        assert_true(offset == 0);
        output_chunker_sent(&c, 1);
        assert_int_equal(output_chunker_append(&c, "abc", 3, 2), 3);
        assert_int_equal(output_chunker_peek(&c, NULL, &offset), 3);
        assert_true(offset == 10);
        assert_true(output_chunker_total(&c) == 13);
        output_chunker_sent(&c, JOB_OUTPUT_FLUSH_USEC + 2);
        assert_true(output_chunker_total(&c) == 13);
        output_chunker_sent(&c, JOB_OUTPUT_FLUSH_USEC + 3);     /* nothing waits: no-op */
        assert_true(output_chunker_total(&c) == 13);
        output_chunker_done(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bytes_exact),
                cmocka_unit_test(test_one_mib_line),
                cmocka_unit_test(test_deadlines),
                cmocka_unit_test(test_slow_trickle_rate),
                cmocka_unit_test(test_full_chunk_rate),
                cmocka_unit_test(test_offsets),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
