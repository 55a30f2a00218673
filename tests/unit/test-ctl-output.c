/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "macro.h"
#include "output.h"

static OutputNext next(bool follow, uint64_t bytes, bool same_daemon, bool finished) {
        OutputRound r = { .follow = follow, .bytes = bytes, .same_daemon = same_daemon, .finished = finished };
        return output_round_next(&r);
}

static void test_round_without_follow(void **state) {
        /* One round is the answer, whatever it held and whatever the state... */
        assert_int_equal(next(false, 0, true, false), OUTPUT_NEXT_DONE);
        assert_int_equal(next(false, 0, true, true), OUTPUT_NEXT_DONE);
        assert_int_equal(next(false, 123, true, false), OUTPUT_NEXT_DONE);
        assert_int_equal(next(false, 123, true, true), OUTPUT_NEXT_DONE);
        /* ...unless the daemon that served it vanished during it. */
        assert_int_equal(next(false, 0, false, true), OUTPUT_NEXT_AGAIN);
        assert_int_equal(next(false, 123, false, false), OUTPUT_NEXT_AGAIN);
}

static void test_round_with_follow(void **state) {
        /* Done only after an empty round, with State finished, same daemon. */
        assert_int_equal(next(true, 0, true, true), OUTPUT_NEXT_DONE);
        /* A round that delivered something is always followed by another. */
        assert_int_equal(next(true, 1, true, true), OUTPUT_NEXT_AGAIN);
        assert_int_equal(next(true, UINT64_MAX, true, false), OUTPUT_NEXT_AGAIN);
        /* Nothing while the job runs: again, but not in a tight loop. */
        assert_int_equal(next(true, 0, true, false), OUTPUT_NEXT_AGAIN_LATER);
        /* Finished, and our offsets reached the job's totals: done at once,
         * even after a round that delivered bytes. */
        OutputRound r = { .follow = true, .bytes = 7, .same_daemon = true, .finished = true, .complete = true };
        assert_int_equal(output_round_next(&r), OUTPUT_NEXT_DONE);
        /* ...but not from a daemon that vanished meanwhile. */
        r.same_daemon = false;
        assert_int_equal(output_round_next(&r), OUTPUT_NEXT_AGAIN);
        /* The daemon vanished (early EOF possible): redo at once, even if the
         * new one says finished and nothing came. */
        assert_int_equal(next(true, 0, false, true), OUTPUT_NEXT_AGAIN);
        assert_int_equal(next(true, 5, false, true), OUTPUT_NEXT_AGAIN);
        assert_int_equal(next(true, 0, false, false), OUTPUT_NEXT_AGAIN);
}

static int parse(const char *const *args, const char **id, OutputFlags *flags) {
        char *argv[16];
        int argc = 0;

        for (; args[argc]; argc++)
                argv[argc] = (char *) args[argc];
        argv[argc] = NULL;
        *id = NULL;
        *flags = 0;
        return logs_parse_argv(argc, argv, id, flags);
}

#define BOTH (OUTPUT_STDOUT | OUTPUT_STDERR)

static void test_parse_argv(void **state) {
        const char *id;
        OutputFlags f;

        assert_int_equal(parse((const char *[]) { "logs", "42", NULL }, &id, &f), 1);
        assert_string_equal(id, "42");
        assert_int_equal(f, BOTH);

        assert_int_equal(parse((const char *[]) { "logs", "-f", "42", NULL }, &id, &f), 1);
        assert_int_equal(f, OUTPUT_FOLLOW | BOTH);
        assert_int_equal(parse((const char *[]) { "logs", "42", "--follow", NULL }, &id, &f), 1);
        assert_string_equal(id, "42");
        assert_int_equal(f, OUTPUT_FOLLOW | BOTH);

        assert_int_equal(parse((const char *[]) { "logs", "--stdout", "42", NULL }, &id, &f), 1);
        assert_int_equal(f, OUTPUT_STDOUT);
        assert_int_equal(parse((const char *[]) { "logs", "-f", "--stderr", "42", NULL }, &id, &f), 1);
        assert_int_equal(f, OUTPUT_FOLLOW | OUTPUT_STDERR);
        assert_int_equal(parse((const char *[]) { "logs", "--stdout", "--stderr", "42", NULL }, &id, &f), 1);
        assert_int_equal(f, BOTH);

        assert_int_equal(parse((const char *[]) { "logs", "--", "-7", NULL }, &id, &f), 1);
        assert_string_equal(id, "-7");

        /* Usage errors. */
        assert_int_equal(parse((const char *[]) { "logs", NULL }, &id, &f), -CTL_EXIT_USAGE);
        assert_int_equal(parse((const char *[]) { "logs", "1", "2", NULL }, &id, &f), -CTL_EXIT_USAGE);
        assert_int_equal(parse((const char *[]) { "logs", "--nope", "1", NULL }, &id, &f), -CTL_EXIT_USAGE);
        assert_int_equal(parse((const char *[]) { "logs", "-x", "1", NULL }, &id, &f), -CTL_EXIT_USAGE);

        /* Parsing again after a failure starts afresh. */
        assert_int_equal(parse((const char *[]) { "logs", "-f", "9", NULL }, &id, &f), 1);
        assert_string_equal(id, "9");
        assert_int_equal(f, OUTPUT_FOLLOW | BOTH);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_without_follow),
                cmocka_unit_test(test_round_with_follow),
                cmocka_unit_test(test_parse_argv),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
