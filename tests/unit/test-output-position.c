/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "output-position.h"

static void assert_slice(OutputSlice s, size_t skip, size_t length, uint64_t gap, uint64_t position) {
        assert_int_equal(s.skip, skip);
        assert_int_equal(s.length, length);
        assert_int_equal(s.gap, gap);
        assert_int_equal(s.position, position);
}

static void test_in_order(void **state) {
        assert_slice(output_slice(0, 0, 10), 0, 10, 0, 10);
        assert_slice(output_slice(10, 10, 5), 0, 5, 0, 15);
}

static void test_resume_mid_chunk(void **state) {
        /* The client had 7 bytes when its daemon went away. */
        assert_slice(output_slice(7, 0, 10), 7, 3, 0, 10);
        /* ... or exactly a chunk boundary. */
        assert_slice(output_slice(10, 0, 10), 0, 0, 0, 10);
}

static void test_duplicate_chunk(void **state) {
        assert_slice(output_slice(20, 10, 10), 0, 0, 0, 20);
        assert_slice(output_slice(20, 0, 5), 0, 0, 0, 20);
}

static void test_gap(void **state) {
        assert_slice(output_slice(10, 30, 5), 0, 5, 20, 35);
}

static void test_empty_chunk(void **state) {
        assert_slice(output_slice(10, 10, 0), 0, 0, 0, 10);
        assert_slice(output_slice(10, 50, 0), 0, 0, 0, 10);
}

static void test_reassembly(void **state) {
        /* Chunks as the shim sends them, with one resent: the reader ends
         * at the sum of the distinct bytes, delivering each once. */
        const struct { uint64_t offset; size_t len; } chunks[] = {
                { 0, 4 }, { 4, 4 }, { 4, 4 }, { 8, 1 }, { 9, 7 },
        };
        uint64_t position = 0, delivered = 0;
        for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
                OutputSlice s = output_slice(position, chunks[i].offset, chunks[i].len);
                assert_int_equal(s.gap, 0);
                delivered += s.length;
                position = s.position;
        }
        assert_int_equal(delivered, 16);
        assert_int_equal(position, 16);
}

#define assert_take(t, s, l, g, p, w) do {                 \
                OutputTake _t = (t);                        \
                assert_int_equal(_t.skip, (s));             \
                assert_int_equal(_t.length, (l));           \
                assert_int_equal(_t.gap, (g));              \
                assert_int_equal(_t.position, (p));         \
                assert_int_equal(_t.whole, (w));            \
        } while (0)

static void test_take_fits(void **state) {
        assert_take(output_take(0, 0, 10, 10), 0, 10, 0, 10, true);
        assert_take(output_take(0, 0, 10, 100), 0, 10, 0, 10, true);
        /* Already delivered: nothing taken, the chunk is used up. */
        assert_take(output_take(10, 0, 10, 0), 0, 0, 0, 10, true);
        assert_take(output_take(10, 10, 0, 0), 0, 0, 0, 10, true);
}

static void test_take_cut(void **state) {
        /* A full reply: the chunk stays for the next call. */
        assert_take(output_take(0, 0, 10, 0), 0, 0, 0, 0, false);
        assert_take(output_take(0, 0, 10, 4), 0, 4, 0, 4, false);
        /* Resumed mid-chunk and cut again. */
        assert_take(output_take(4, 0, 10, 3), 4, 3, 0, 7, false);
        /* After a hole: the hole is reported, the position jumps over it. */
        assert_take(output_take(10, 30, 5, 2), 0, 2, 20, 32, false);
}

/* Replies of any size reassemble the stream exactly: the chunk that did
 * not fit is read again and only its rest is taken. */
static void test_take_replies(void **state) {
        const struct { uint64_t offset; size_t len; } chunks[] = {
                { 0, 7 }, { 7, 3 }, { 7, 3 }, { 10, 20 }, { 30, 1 },
        };
        for (size_t room_per_reply = 1; room_per_reply <= 32; room_per_reply++) {
                uint64_t position = 0, delivered = 0;
                size_t i = 0;
                unsigned replies = 0;
                while (i < sizeof chunks / sizeof chunks[0]) {
                        size_t room = room_per_reply;
                        replies++;
                        assert_true(replies < 1000);
                        /* One reply: from the cursor (chunk i) on. */
                        while (i < sizeof chunks / sizeof chunks[0]) {
                                OutputTake t = output_take(position, chunks[i].offset, chunks[i].len, room);
                                assert_int_equal(t.gap, 0);
                                room -= t.length;
                                delivered += t.length;
                                position = t.position;
                                if (!t.whole)
                                        break;
                                i++;
                        }
                }
                assert_int_equal(delivered, 31);
                assert_int_equal(position, 31);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_in_order),
                cmocka_unit_test(test_resume_mid_chunk),
                cmocka_unit_test(test_duplicate_chunk),
                cmocka_unit_test(test_gap),
                cmocka_unit_test(test_empty_chunk),
                cmocka_unit_test(test_reassembly),
                cmocka_unit_test(test_take_fits),
                cmocka_unit_test(test_take_cut),
                cmocka_unit_test(test_take_replies),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
