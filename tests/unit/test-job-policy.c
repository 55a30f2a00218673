/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Defaults and ceilings of job limits (job-policy.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "job-policy.h"
#include "macro.h"

static void test_ceilings(void **state) {
        Settings s;
        JobLimits l;
        char *m = NULL;

        settings_init(&s);
        job_limits_init(&l);
        /* No ceilings: anything goes. */
        l.memory_max = UINT64_C(1) << 40;
        assert_int_equal(job_limits_check_ceilings(&l, &s.ceilings, &m), 0);
        assert_null(m);

        s.ceilings.memory_max = UINT64_C(1) << 30;
        s.ceilings.tasks_max = 100;
        s.ceilings.cpu_quota_per_sec_usec = 2000000;
        s.ceilings.runtime_max_usec = 3600 * USEC_PER_SEC;
        s.ceilings.io_write_bandwidth_max = 1000;
        assert_int_equal(job_limits_check_ceilings(&l, &s.ceilings, &m), -EDQUOT);
        assert_non_null(strstr(m, "MemoryMax=1099511627776"));
        assert_non_null(strstr(m, "[Ceilings] MemoryMax=1073741824"));
        free(m);
        m = NULL;
        /* At the ceiling is fine; unset is fine (filled in below). */
        l.memory_max = UINT64_C(1) << 30;
        l.tasks_max = 100;
        assert_int_equal(job_limits_check_ceilings(&l, &s.ceilings, NULL), 0);
        l.tasks_max = 101;
        assert_int_equal(job_limits_check_ceilings(&l, &s.ceilings, &m), -EDQUOT);
        assert_non_null(strstr(m, "TasksMax=101"));
        free(m);
        m = NULL;
        l.tasks_max = UINT64_MAX;
        l.cpu_quota_per_sec_usec = 2010000;
        assert_int_equal(job_limits_check_ceilings(&l, &s.ceilings, &m), -EDQUOT);
        assert_non_null(strstr(m, "CPUQuota=201%"));
        assert_non_null(strstr(m, "CPUQuota=200%"));
        free(m);
        m = NULL;
        l.cpu_quota_per_sec_usec = UINT64_MAX;
        l.runtime_max_usec = 3601 * USEC_PER_SEC;
        assert_int_equal(job_limits_check_ceilings(&l, &s.ceilings, &m), -EDQUOT);
        assert_non_null(strstr(m, "RuntimeMaxUSec=3601.000000s"));
        assert_non_null(strstr(m, "RuntimeMaxSec=3600.000000s"));
        free(m);
        m = NULL;
        l.runtime_max_usec = UINT64_MAX;
        l.io_write_bandwidth_max = 1001;
        assert_int_equal(job_limits_check_ceilings(&l, &s.ceilings, NULL), -EDQUOT);

        /* A change: only what changes is checked. old is above a ceiling
         * (root's job); changing another limit is fine, raising or keeping
         * a limit above its ceiling by a change is not. */
        JobLimits old;
        job_limits_init(&old);
        old.memory_max = UINT64_C(1) << 32;   /* above the 1 GiB ceiling */
        job_limits_init(&l);
        l.memory_max = old.memory_max;
        l.tasks_max = 50;
        assert_int_equal(job_limits_check_ceilings_changed(&old, &l, &s.ceilings, NULL), 0);
        l.tasks_max = 101;
        assert_int_equal(job_limits_check_ceilings_changed(&old, &l, &s.ceilings, &m), -EDQUOT);
        assert_non_null(strstr(m, "TasksMax=101"));
        free(m);
        m = NULL;
        l.tasks_max = 50;
        l.memory_max = (UINT64_C(1) << 32) - 1;  /* lowered, still above: a change above the ceiling */
        assert_int_equal(job_limits_check_ceilings_changed(&old, &l, &s.ceilings, NULL), -EDQUOT);
        l.memory_max = UINT64_C(1) << 30;
        assert_int_equal(job_limits_check_ceilings_changed(&old, &l, &s.ceilings, NULL), 0);
        job_limits_done(&l);
        settings_done(&s);
}

static void test_defaults(void **state) {
        Settings s;
        JobLimits l;

        settings_init(&s);
        job_limits_init(&l);
        l.stop_timeout_usec = UINT64_MAX;
        /* Nothing configured: nothing changes but the stop timeout. */
        job_limits_fill_defaults(&l, &s);
        assert_true(l.stop_timeout_usec == 10 * USEC_PER_SEC);
        assert_true(l.memory_max == UINT64_MAX);
        assert_true(l.tasks_max == UINT64_MAX);
        assert_true(l.runtime_max_usec == UINT64_MAX);

        s.default_stop_timeout_usec = 3 * USEC_PER_SEC;
        s.defaults.memory_max = 500;
        s.defaults.tasks_max = 50;
        s.defaults.cpu_quota_per_sec_usec = 500000;
        s.ceilings.tasks_max = 20;          /* below the default: caps it */
        s.ceilings.memory_max = 1000;       /* above the default: the default holds */
        s.ceilings.runtime_max_usec = 60 * USEC_PER_SEC;  /* no default: the ceiling is the limit */
        s.ceilings.io_read_bandwidth_max = 7;
        job_limits_init(&l);
        l.stop_timeout_usec = UINT64_MAX;
        l.cpu_quota_per_sec_usec = 100000;  /* asked: kept */
        job_limits_fill_defaults(&l, &s);
        assert_true(l.stop_timeout_usec == 3 * USEC_PER_SEC);
        assert_true(l.memory_max == 500);
        assert_true(l.tasks_max == 20);
        assert_true(l.cpu_quota_per_sec_usec == 100000);
        assert_true(l.runtime_max_usec == 60 * USEC_PER_SEC);
        assert_true(l.io_read_bandwidth_max == 7);
        assert_true(l.io_write_bandwidth_max == UINT64_MAX);
        /* An asked stop timeout stays. */
        l.stop_timeout_usec = 5;
        job_limits_fill_defaults(&l, &s);
        assert_true(l.stop_timeout_usec == 5);
        job_limits_done(&l);
        settings_done(&s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ceilings),
                cmocka_unit_test(test_defaults),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
