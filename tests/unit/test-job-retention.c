/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which finished jobs are forgotten (job-retention.c), and the sorted job
 * table's search (job-table.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
                cmocka_unit_test(test_table_search),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
