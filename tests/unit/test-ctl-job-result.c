/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "job-result.h"

static void test_job_exit_status(void **state) {
        assert_int_equal(job_exit_status("success", 0, 0, 0), 0);
        assert_int_equal(job_exit_status("exit-code", 3, 0, 0), 3);
        assert_int_equal(job_exit_status("exit-code", 255, 0, 0), 255);
        assert_int_equal(job_exit_status("exit-code", 0, 0, 0), 1);    /* contradiction: still a failure */
        assert_int_equal(job_exit_status("exit-code", 300, 0, 0), 1);  /* out of range */
        assert_int_equal(job_exit_status("signal", -1, 11, 0), 139);
        assert_int_equal(job_exit_status("signal", -1, 0, 0), 1);
        assert_int_equal(job_exit_status("oom-kill", -1, 9, 0), 137);
        assert_int_equal(job_exit_status("oom-kill", -1, 0, 0), 137);
        assert_int_equal(job_exit_status("timeout", -1, 15, 0), 143);
        assert_int_equal(job_exit_status("timeout", -1, 0, 0), 124);
        assert_int_equal(job_exit_status("stopped", -1, 15, 0), 143);
        assert_int_equal(job_exit_status("stopped", -1, 9, 0), 137);
        assert_int_equal(job_exit_status("stopped", 2, 0, 0), 2);      /* caught TERM, exited 2 */
        assert_int_equal(job_exit_status("stopped", 0, 0, 0), 143);
        assert_int_equal(job_exit_status("start-failed", -1, 0, ENOENT), 127);
        assert_int_equal(job_exit_status("start-failed", -1, 0, EACCES), 126);
        assert_int_equal(job_exit_status("start-failed", -1, 0, 0), 126);   /* no errno: not "not found" */
        assert_int_equal(job_exit_status("start-failed", 127, 0, 0), 127);
        /* A result this client does not know yet. */
        assert_int_equal(job_exit_status("brand-new", -1, 6, 0), 134);
        assert_int_equal(job_exit_status("brand-new", 4, 0, 0), 4);
        assert_int_equal(job_exit_status("brand-new", -1, 0, 0), 1);
        assert_int_equal(job_exit_status(NULL, -1, 0, 0), 1);
}

static void test_job_result_describe(void **state) {
        char b[256];

        assert_string_equal(job_result_describe(b, sizeof b, "success", 0, 0, ""), "exit code 0");
        assert_string_equal(job_result_describe(b, sizeof b, "exit-code", 3, 0, ""), "exit code 3");
        assert_string_equal(job_result_describe(b, sizeof b, "signal", -1, 15, ""), "killed by signal 15 (TERM)");
        assert_string_equal(job_result_describe(b, sizeof b, "signal", -1, 99, ""), "killed by signal 99");
        assert_string_equal(job_result_describe(b, sizeof b, "oom-kill", -1, 9, ""), "killed by the OOM killer");
        assert_string_equal(job_result_describe(b, sizeof b, "start-failed", -1, 0, "Failed to execute /x: No such file or directory"),
                            "start failed: Failed to execute /x: No such file or directory");
        assert_string_equal(job_result_describe(b, sizeof b, "start-failed", -1, 0, ""), "start failed");
        assert_string_equal(job_result_describe(b, sizeof b, "timeout", -1, 9, ""),
                            "runtime limit exceeded, killed by signal 9 (KILL)");
        assert_string_equal(job_result_describe(b, sizeof b, "timeout", -1, 0, ""), "runtime limit exceeded");
        assert_string_equal(job_result_describe(b, sizeof b, "stopped", -1, 15, ""), "stopped, killed by signal 15 (TERM)");
        assert_string_equal(job_result_describe(b, sizeof b, "stopped", 0, 0, ""), "stopped, exit code 0");
        assert_string_equal(job_result_describe(b, sizeof b, "stopped", -1, 0, ""), "stopped");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_job_exit_status),
                cmocka_unit_test(test_job_result_describe),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
