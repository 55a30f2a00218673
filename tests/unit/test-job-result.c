/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How the shim's record, systemd's scope result and a stop request combine
 * into a job's Result, ExitCode and ExitSignal. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "job-result.h"

static JobStatus exited(int code) {
        JobStatus s = JOB_STATUS_INIT;
        s.kind = JOB_EXITED;
        s.exit_code = code;
        return s;
}

static JobStatus killed(int sig) {
        JobStatus s = JOB_STATUS_INIT;
        s.kind = JOB_KILLED;
        s.signal = sig;
        return s;
}

static void assert_outcome(JobOutcome o, JobResult result, int code, int sig) {
        assert_string_equal(job_result_to_string(o.result), job_result_to_string(result));
        assert_int_equal(o.exit_code, code);
        assert_int_equal(o.exit_signal, sig);
}

static void test_plain_exits(void **state) {
        JobStatus s = exited(0);
        assert_outcome(job_outcome_decide(&s, NULL, false), JOB_RESULT_SUCCESS, 0, 0);
        assert_outcome(job_outcome_decide(&s, "success", false), JOB_RESULT_SUCCESS, 0, 0);
        s = exited(3);
        assert_outcome(job_outcome_decide(&s, NULL, false), JOB_RESULT_EXIT_CODE, 3, 0);
        s = killed(SIGSEGV);
        assert_outcome(job_outcome_decide(&s, "success", false), JOB_RESULT_SIGNAL, -1, SIGSEGV);
}

static void test_oom_outranks_shim(void **state) {
        /* The shim saw its command SIGKILLed by the kernel's OOM killer. */
        JobStatus s = killed(SIGKILL);
        assert_outcome(job_outcome_decide(&s, "oom-kill", false), JOB_RESULT_OOM_KILL, -1, SIGKILL);
        /* The shim itself died with the scope and left nothing. */
        assert_outcome(job_outcome_decide(NULL, "oom-kill", false), JOB_RESULT_OOM_KILL, -1, SIGKILL);
        /* Even a stop in flight does not hide an OOM kill. */
        assert_outcome(job_outcome_decide(NULL, "oom-kill", true), JOB_RESULT_OOM_KILL, -1, SIGKILL);
}

static void test_runtime_timeout(void **state) {
        JobStatus s = killed(SIGTERM);
        assert_outcome(job_outcome_decide(&s, "timeout", false), JOB_RESULT_TIMEOUT, -1, SIGTERM);
        assert_outcome(job_outcome_decide(NULL, "timeout", false), JOB_RESULT_TIMEOUT, -1, 0);
}

static void test_stop(void **state) {
        JobStatus s = killed(SIGTERM);
        assert_outcome(job_outcome_decide(&s, NULL, true), JOB_RESULT_STOPPED, -1, SIGTERM);
        assert_outcome(job_outcome_decide(NULL, "success", true), JOB_RESULT_STOPPED, -1, SIGKILL);
        /* A command that traps SIGTERM and exits non-zero was still stopped. */
        s = exited(143);
        assert_outcome(job_outcome_decide(&s, NULL, true), JOB_RESULT_STOPPED, 143, 0);
        /* One that finished cleanly before the stop reached it succeeded. */
        s = exited(0);
        assert_outcome(job_outcome_decide(&s, NULL, true), JOB_RESULT_SUCCESS, 0, 0);
}

static void test_start_failed_outranks_all(void **state) {
        JobStatus s = JOB_STATUS_INIT;
        s.kind = JOB_START_FAILED;
        s.error = 2;
        assert_outcome(job_outcome_decide(&s, "timeout", true), JOB_RESULT_START_FAILED, -1, 0);
}

static void test_lost_shim_means_sigkill(void **state) {
        assert_outcome(job_outcome_decide(NULL, NULL, false), JOB_RESULT_SIGNAL, -1, SIGKILL);
}

static void test_names_round_trip(void **state) {
        for (int i = 0; i < _JOB_STATE_MAX; i++)
                assert_int_equal(job_state_from_string(job_state_to_string(i)), i);
        for (int i = 0; i < _JOB_RESULT_MAX; i++)
                assert_int_equal(job_result_from_string(job_result_to_string(i)), i);
        assert_int_equal(job_state_from_string("exploded"), _JOB_STATE_INVALID);
        assert_int_equal(job_result_from_string("oom"), _JOB_RESULT_INVALID);
        assert_string_equal(job_result_to_string(JOB_RESULT_OOM_KILL), "oom-kill");
        assert_string_equal(job_state_to_string(JOB_STOPPING), "stopping");
}

static void test_final_at_exit(void **state) {
        const uint64_t S = 1000000, NONE = UINT64_MAX;
        JobStatus ok = exited(0), code = exited(7), sig = killed(SIGKILL), start = JOB_STATUS_INIT;
        start.kind = JOB_START_FAILED;

        /* Exited by itself, nothing else in play: final, whatever the code. */
        assert_true(job_outcome_final_at_exit(&ok, 0, false, NONE, 3 * S));
        assert_true(job_outcome_final_at_exit(&code, 0, false, NONE, 3 * S));
        /* An OOM kill anywhere in the scope: only the scope says oom-kill. */
        assert_false(job_outcome_final_at_exit(&ok, 1, false, NONE, 3 * S));
        /* Killed by a signal: it may be the OOM killer's or the limit's. */
        assert_false(job_outcome_final_at_exit(&sig, 0, false, NONE, 3 * S));
        /* No record, a failed start, a stop: the slow path decides. */
        assert_false(job_outcome_final_at_exit(NULL, 0, false, NONE, 3 * S));
        assert_false(job_outcome_final_at_exit(&start, 0, false, NONE, 3 * S));
        assert_false(job_outcome_final_at_exit(&ok, 0, true, NONE, 3 * S));
        /* A runtime limit: final only well before it. */
        assert_true(job_outcome_final_at_exit(&ok, 0, false, 60 * S, 3 * S));
        assert_true(job_outcome_final_at_exit(&code, 0, false, 60 * S, 54 * S));
        assert_false(job_outcome_final_at_exit(&code, 0, false, 60 * S, 55 * S));
        assert_false(job_outcome_final_at_exit(&code, 0, false, 60 * S, 61 * S));
        assert_false(job_outcome_final_at_exit(&ok, 0, false, 5 * S, 0));
        assert_false(job_outcome_final_at_exit(&ok, 0, false, 2 * S, 0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_plain_exits),
                cmocka_unit_test(test_oom_outranks_shim),
                cmocka_unit_test(test_runtime_timeout),
                cmocka_unit_test(test_stop),
                cmocka_unit_test(test_start_failed_outranks_all),
                cmocka_unit_test(test_lost_shim_means_sigkill),
                cmocka_unit_test(test_names_round_trip),
                cmocka_unit_test(test_final_at_exit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
