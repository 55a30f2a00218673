/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a restarted daemon does with each active job it finds: from the
 * recorded state, what systemd says of the scope and whether the shim's
 * status file exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "job-recovery.h"
#include "macro.h"

static const struct {
        JobState state;
        bool unit_running;    /* or systemd could not be asked */
        bool status_exists;
        JobRecovery expected;
} cases[] = {
        /* Half-started: the command never ran unless the scope lives or
         * the shim wrote its status. */
        { JOB_STARTING, false, false, JOB_RECOVERY_START_FAILED },
        { JOB_STARTING, true,  false, JOB_RECOVERY_RELEASED },
        { JOB_STARTING, false, true,  JOB_RECOVERY_RELEASED },
        { JOB_STARTING, true,  true,  JOB_RECOVERY_RELEASED },
        /* Running or stopping: kept; job_check() finishes it if the scope
         * is gone, whatever the status file says (no record: start-failed
         * is only for jobs whose command never ran). */
        { JOB_RUNNING,  false, false, JOB_RECOVERY_KEEP },
        { JOB_RUNNING,  true,  false, JOB_RECOVERY_KEEP },
        { JOB_RUNNING,  false, true,  JOB_RECOVERY_KEEP },
        { JOB_RUNNING,  true,  true,  JOB_RECOVERY_KEEP },
        { JOB_STOPPING, false, false, JOB_RECOVERY_KEEP },
        { JOB_STOPPING, true,  false, JOB_RECOVERY_KEEP },
        { JOB_STOPPING, false, true,  JOB_RECOVERY_KEEP },
        { JOB_STOPPING, true,  true,  JOB_RECOVERY_KEEP },
        /* Settled already (not recovered; never turned back into a start). */
        { JOB_FINISHED, false, false, JOB_RECOVERY_KEEP },
        { JOB_FINISHED, true,  true,  JOB_RECOVERY_KEEP },
};

static void test_job_recovery_decide(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                JobRecovery r = job_recovery_decide(cases[i].state, cases[i].unit_running,
                                                    cases[i].status_exists);

                print_message("%s, unit %s, status file %s\n", job_state_to_string(cases[i].state),
                              cases[i].unit_running ? "running" : "gone",
                              cases[i].status_exists ? "present" : "absent");
                assert_string_equal(job_recovery_to_string(r), job_recovery_to_string(cases[i].expected));
        }
}

static void test_job_recovery_to_string(void **state) {
        assert_string_equal(job_recovery_to_string(JOB_RECOVERY_KEEP), "keep");
        assert_string_equal(job_recovery_to_string(JOB_RECOVERY_RELEASED), "released");
        assert_string_equal(job_recovery_to_string(JOB_RECOVERY_START_FAILED), "start-failed");
        assert_null(job_recovery_to_string(_JOB_RECOVERY_MAX));
        assert_null(job_recovery_to_string((JobRecovery) -1));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_job_recovery_decide),
                cmocka_unit_test(test_job_recovery_to_string),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
