/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which finished jobs are forgotten (job-retention.c), and the sorted job
 * table's search (job-table.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "job.h"
#include "job-retention.h"
#include "job-table.h"
#include "macro.h"

static Job jobs[16];
static Job *table[16];

/* Job i: owner, state, finish time; ids in table order. */
static void make(size_t i, uid_t owner, JobState state, uint64_t finish) {
        jobs[i] = (Job) { .owner = owner, .state = state, .finish_usec = finish, .start_usec = 1 };
        snprintf(jobs[i].id, sizeof jobs[i].id, "%012zx", i);
        table[i] = &jobs[i];
}

static bool chosen(Job **victims, size_t n, size_t i) {
        for (size_t k = 0; k < n; k++)
                if (victims[k] == &jobs[i])
                        return true;
        return false;
}

static void test_per_user(void **state) {
        _cleanup_free_ Job **victims = NULL;
        size_t n;
        JobRetention limits = { .per_user = 2, .total = 100 };

        /* uid 1: five finished (finish times 50, 10, 40, 20, 30) and one
         * running; uid 2: one finished. */
        make(0, 1, JOB_FINISHED, 50);
        make(1, 1, JOB_FINISHED, 10);
        make(2, 1, JOB_FINISHED, 40);
        make(3, 1, JOB_RUNNING, 0);
        make(4, 1, JOB_FINISHED, 20);
        make(5, 1, JOB_FINISHED, 30);
        make(6, 2, JOB_FINISHED, 5);
        assert_int_equal(job_retention_choose(table, 7, &limits, &victims, &n), 0);
        assert_int_equal(n, 3);
        /* Oldest first: 10, 20, 30. */
        assert_ptr_equal(victims[0], &jobs[1]);
        assert_ptr_equal(victims[1], &jobs[4]);
        assert_ptr_equal(victims[2], &jobs[5]);
        assert_false(chosen(victims, n, 3)); /* running jobs never go */
        assert_false(chosen(victims, n, 6)); /* another user's share is their own */
}

static void test_total(void **state) {
        _cleanup_free_ Job **victims = NULL;
        size_t n;
        JobRetention limits = { .per_user = 3, .total = 4 };

        make(0, 1, JOB_FINISHED, 1);
        make(1, 2, JOB_FINISHED, 2);
        make(2, 1, JOB_FINISHED, 3);
        make(3, 2, JOB_FINISHED, 4);
        make(4, 1, JOB_FINISHED, 5);
        make(5, 1, JOB_FINISHED, 6);   /* uid 1 has 4: its oldest (1) goes per user */
        make(6, 3, JOB_STARTING, 0);
        assert_int_equal(job_retention_choose(table, 7, &limits, &victims, &n), 0);
        /* Per user: job 0. Left 1..5 (5 jobs), total 4: the oldest, job 1. */
        assert_int_equal(n, 2);
        assert_ptr_equal(victims[0], &jobs[0]);
        assert_ptr_equal(victims[1], &jobs[1]);
}

static void test_ties_and_nothing(void **state) {
        _cleanup_free_ Job **victims = NULL;
        size_t n = 99;
        JobRetention limits = { .per_user = 1, .total = 10 };

        /* Same finish time: the order is still total (start time, then id). */
        make(0, 1, JOB_FINISHED, 7);
        make(1, 1, JOB_FINISHED, 7);
        jobs[1].start_usec = 2;
        assert_int_equal(job_retention_choose(table, 2, &limits, &victims, &n), 0);
        assert_int_equal(n, 1);
        assert_ptr_equal(victims[0], &jobs[0]);
        free(TAKE_PTR(victims));

        make(0, 1, JOB_RUNNING, 0);
        assert_int_equal(job_retention_choose(table, 1, &limits, &victims, &n), 0);
        assert_int_equal(n, 0);
        assert_null(victims);
        assert_int_equal(job_retention_choose(NULL, 0, &limits, &victims, &n), 0);
        assert_int_equal(n, 0);
}

/* 1024 (the record's fixed part) + 16 + 2 * len: a job's cost with a
 * working directory of len bytes. */
static char big[8192];
static void make_sized(size_t i, uid_t owner, JobState state, uint64_t finish, size_t len) {
        make(i, owner, state, finish);
        memset(big, 'x', sizeof big - 1);
        jobs[i].working_directory = big + sizeof big - 1 - len;
}

static void test_age(void **state) {
        _cleanup_free_ Job **victims = NULL;
        size_t n;
        /* Counts that keep everything; the age alone decides. */
        JobRetention limits = { .per_user = 100, .total = 100 };

        make(0, 1, JOB_FINISHED, 100);
        make(1, 1, JOB_FINISHED, 300);
        make(2, 2, JOB_FINISHED, 200);
        make(3, 1, JOB_RUNNING, 0);   /* finish time 0: never too old */
        make(4, 2, JOB_FINISHED, 201);
        assert_true(job_retention_cutoff(1000, 800) == 200);
        assert_true(job_retention_cutoff(1000, UINT64_MAX) == 0);
        assert_true(job_retention_cutoff(100, 800) == 0);
        limits.forget_finished_before_usec = job_retention_cutoff(1000, 800);
        assert_int_equal(job_retention_choose(table, 5, &limits, &victims, &n), 0);
        assert_int_equal(n, 2);
        assert_ptr_equal(victims[0], &jobs[0]);
        assert_ptr_equal(victims[1], &jobs[2]);
        free(victims);
        victims = NULL;
        /* None too old: nothing goes. */
        limits.forget_finished_before_usec = 0;
        assert_int_equal(job_retention_choose(table, 5, &limits, &victims, &n), 0);
        assert_int_equal(n, 0);
        /* The next to expire: the oldest finished one's time plus retention. */
        assert_true(job_retention_next_expiry(table, 5, 50) == 150);
        assert_true(job_retention_next_expiry(table, 5, UINT64_MAX) == UINT64_MAX);
        assert_true(job_retention_next_expiry(table + 3, 1, 50) == UINT64_MAX);
}

static void test_record_cost(void **state) {
        char *argv[] = { (char *) "ab", (char *) "c", NULL };
        char *env[] = { (char *) "A=1", NULL };

        assert_int_equal(job_spec_cost(NULL, NULL, NULL), 1024);
        assert_int_equal(job_spec_cost(argv, env, "/"), 1024 + (16 + 4) + (16 + 2) + (16 + 6) + (16 + 2));
        /* A finished job's record has no environment. */
        make(0, 1, JOB_RUNNING, 0);
        jobs[0].argv = argv;
        jobs[0].environment = env;
        assert_int_equal(job_record_cost(&jobs[0]), job_spec_cost(argv, env, NULL));
        jobs[0].state = JOB_FINISHED;
        assert_int_equal(job_record_cost(&jobs[0]), job_spec_cost(argv, NULL, NULL));
}

static void test_bytes_per_user(void **state) {
        _cleanup_free_ Job **victims = NULL;
        size_t n;
        /* Room for four plain records per user. */
        JobRetention limits = { .per_user = 100, .total = 100, .per_user_bytes = 4 * 1024 };

        /* uid 1: one running (plain), finished 50 (plain), 40 (large:
         * 1024 + 16 + 2048), 30 and 20 (plain). Running + 50 fit; 40 does
         * not, so it and everything older go, though 30 alone would fit. */
        make(0, 1, JOB_RUNNING, 0);
        make(1, 1, JOB_FINISHED, 50);
        make_sized(2, 1, JOB_FINISHED, 40, 1024);
        make(3, 1, JOB_FINISHED, 30);
        make(4, 1, JOB_FINISHED, 20);
        /* uid 2: its budget is its own. */
        make(5, 2, JOB_FINISHED, 10);
        make(6, 2, JOB_FINISHED, 11);
        make(7, 2, JOB_FINISHED, 12);
        make(8, 2, JOB_FINISHED, 13);
        assert_int_equal(job_retention_choose(table, 9, &limits, &victims, &n), 0);
        assert_int_equal(n, 3);
        assert_ptr_equal(victims[0], &jobs[4]);
        assert_ptr_equal(victims[1], &jobs[3]);
        assert_ptr_equal(victims[2], &jobs[2]);
        free(TAKE_PTR(victims));

        /* Active records alone past the budget: every finished one goes. */
        make_sized(0, 1, JOB_STARTING, 0, 4096);
        make(2, 1, JOB_FINISHED, 40);
        assert_int_equal(job_retention_choose(table, 5, &limits, &victims, &n), 0);
        assert_int_equal(n, 4);
        assert_false(chosen(victims, n, 0));
        for (size_t i = 1; i < 5; i++)
                assert_true(chosen(victims, n, i));
}

static void test_bytes_total(void **state) {
        _cleanup_free_ Job **victims = NULL;
        size_t n;
        JobRetention limits = { .per_user = 100, .total = 100, .per_user_bytes = 100 * 1024,
                                .total_bytes = 3 * 1024 };

        make(0, 1, JOB_RUNNING, 0);
        make(1, 2, JOB_FINISHED, 5);
        make(2, 3, JOB_FINISHED, 4);
        make(3, 1, JOB_FINISHED, 3);
        make(4, 2, JOB_FINISHED, 2);
        assert_int_equal(job_retention_choose(table, 5, &limits, &victims, &n), 0);
        /* The running one and the two newest fit; 3 and 2 go, oldest first. */
        assert_int_equal(n, 2);
        assert_ptr_equal(victims[0], &jobs[4]);
        assert_ptr_equal(victims[1], &jobs[3]);
}

static void test_budget_check(void **state) {
        JobRetention limits = { .per_user = 100, .total = 100, .per_user_bytes = 3 * 1024,
                                .total_bytes = 4 * 1024 };
        uint64_t used = 99;

        make(0, 1, JOB_RUNNING, 0);
        make(1, 1, JOB_STOPPING, 0);
        make(2, 1, JOB_FINISHED, 9);    /* finished records make room: not counted */
        make(3, 2, JOB_STARTING, 0);
        make(4, 1, JOB_FINISHED, 8);
        assert_int_equal(job_budget_check(table, 5, 1, 1024, &limits, &used), 0);
        assert_int_equal(used, 0);
        assert_int_equal(job_budget_check(table, 5, 1, 1025, &limits, &used), -EDQUOT);
        assert_int_equal(used, 2048);
        /* uid 2 has its own share, but the total is shared. */
        assert_int_equal(job_budget_check(table, 5, 2, 1024, &limits, &used), 0);
        assert_int_equal(job_budget_check(table, 5, 2, 1025, &limits, &used), -ENOSPC);
        assert_int_equal(used, 3072);
        /* root is exempt from the per-user budget, not from the total. */
        make(2, 0, JOB_RUNNING, 0);
        make(4, 0, JOB_RUNNING, 0);
        limits.total_bytes = 8 * 1024;
        assert_int_equal(job_budget_check(table, 5, 0, 3072, &limits, &used), 0);
        assert_int_equal(job_budget_check(table, 5, 0, 3073, &limits, &used), -ENOSPC);
        assert_int_equal(used, 5120);
        /* No overflow on absurd costs; 0 is no budget. */
        assert_int_equal(job_budget_check(table, 5, 1, UINT64_MAX, &limits, &used), -EDQUOT);
        JobRetention none = { .per_user = 1, .total = 1 };
        assert_int_equal(job_budget_check(table, 5, 1, UINT64_MAX, &none, &used), 0);
}

static char **strv(const char *a, ...) {
        va_list ap;
        char **l = calloc(16, sizeof(char *));
        size_t n = 0;
        assert_non_null(l);
        va_start(ap, a);
        for (const char *s = a; s; s = va_arg(ap, const char *))
                assert_non_null(l[n++] = strdup(s));
        va_end(ap);
        return l;
}

static void test_argv_shrink(void **state) {
        _cleanup_strv_free_ char **a = strv("abc", "defg", "hi", NULL);

        /* 4 + 5 + 3 = 12 bytes with NULs: fits. */
        assert_false(job_argv_shrink(a, 12));
        assert_string_equal(a[2], "hi");
        /* 11: "abc", "defg", and "h" (2 bytes) of "hi". */
        assert_true(job_argv_shrink(a, 11));
        assert_string_equal(a[0], "abc");
        assert_string_equal(a[1], "defg");
        assert_string_equal(a[2], "h");
        assert_null(a[3]);
        /* 10: no room for even one byte of the third: dropped. */
        assert_true(job_argv_shrink(a, 10));
        assert_null(a[2]);
        /* 6: "abc" and "d". */
        assert_true(job_argv_shrink(a, 6));
        assert_string_equal(a[1], "d");
        assert_null(a[2]);
        /* argv[0] stays, cut. */
        assert_true(job_argv_shrink(a, 2));
        assert_string_equal(a[0], "a");
        assert_null(a[1]);
        assert_false(job_argv_shrink(a, 2));

        _cleanup_strv_free_ char **b = strv("x", "y", NULL);
        char *longarg = calloc(1, 10001);
        assert_non_null(longarg);
        memset(longarg, 'z', 10000);
        free(b[1]);
        b[1] = longarg;
        assert_true(job_argv_shrink(b, JOB_FINISHED_ARGV_BYTES_MAX));
        assert_int_equal(strlen(b[1]), JOB_FINISHED_ARGV_BYTES_MAX - 2 - 1);
}

static void test_table_search(void **state) {
        bool found;

        for (size_t i = 0; i < 8; i++)
                make(i, 0, JOB_RUNNING, 0);  /* ids 000..0, 000..1, ... sorted */
        for (size_t i = 0; i < 8; i++) {
                assert_int_equal(job_table_search(table, 8, jobs[i].id, &found), i);
                assert_true(found);
        }
        assert_int_equal(job_table_search(table, 8, "000000000003a", &found), 4);
        assert_false(found);
        assert_int_equal(job_table_search(table, 8, "fffffffffffff", &found), 8);
        assert_false(found);
        assert_int_equal(job_table_search(table, 0, "000000000000", &found), 0);
        assert_false(found);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_per_user),
                cmocka_unit_test(test_total),
                cmocka_unit_test(test_ties_and_nothing),
                cmocka_unit_test(test_age),
                cmocka_unit_test(test_record_cost),
                cmocka_unit_test(test_bytes_per_user),
                cmocka_unit_test(test_bytes_total),
                cmocka_unit_test(test_budget_check),
                cmocka_unit_test(test_argv_shrink),
                cmocka_unit_test(test_table_search),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
