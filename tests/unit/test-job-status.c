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

#include "job-status.h"
#include "macro.h"

static void round_trip(const JobStatus *in) {
        _cleanup_free_ char *text = NULL;
        JobStatus out = JOB_STATUS_INIT;

        assert_int_equal(job_status_format(in, &text), 0);
        assert_int_equal(job_status_parse(text, strlen(text), &out), 0);
        assert_int_equal(out.kind, in->kind);
        if (in->kind == JOB_EXITED)
                assert_int_equal(out.exit_code, in->exit_code);
        if (in->kind == JOB_KILLED)
                assert_int_equal(out.signal, in->signal);
        if (in->kind == JOB_START_FAILED) {
                assert_int_equal(out.error, in->error);
                assert_string_equal(out.message, in->message ?: "");
        } else
                assert_null(out.message);
        assert_true(out.cpu_usec == in->cpu_usec);
        assert_true(out.memory_peak == in->memory_peak);
        assert_true(out.finished_usec == in->finished_usec);
        assert_true(out.output_bytes[0] == in->output_bytes[0]);
        assert_true(out.output_bytes[1] == in->output_bytes[1]);
        job_status_done(&out);
}

static void test_round_trips(void **state) {
        JobStatus s = JOB_STATUS_INIT;
        round_trip(&s);

        s = (JobStatus) { .kind = JOB_EXITED, .exit_code = 0, .cpu_usec = 0, .memory_peak = 0, .finished_usec = 1 };
        round_trip(&s);
        s = (JobStatus) { .kind = JOB_EXITED, .exit_code = 255, .cpu_usec = UINT64_MAX - 1,
                          .memory_peak = UINT64_MAX, .finished_usec = 1732600000123456 };
        round_trip(&s);
        s = (JobStatus) { .kind = JOB_KILLED, .signal = 9, .cpu_usec = 12345, .memory_peak = 4096 };
        round_trip(&s);
        s = (JobStatus) { .kind = JOB_START_FAILED, .error = ENOENT,
                          .message = (char *) "Failed to execute /nope: No such file or directory",
                          .cpu_usec = UINT64_MAX, .memory_peak = UINT64_MAX };
        round_trip(&s);
        s.message = NULL;
        round_trip(&s);
        /* The output totals: both or neither. */
        s = (JobStatus) JOB_STATUS_INIT;
        s.kind = JOB_EXITED;
        s.output_bytes[0] = 588895;
        s.output_bytes[1] = 0;
        round_trip(&s);
        s.output_bytes[1] = UINT64_MAX;     /* one unknown: neither is written */
        char *text = NULL;
        JobStatus out;
        assert_int_equal(job_status_format(&s, &text), 0);
        assert_int_equal(job_status_parse(text, strlen(text), &out), 0);
        assert_true(out.output_bytes[0] == UINT64_MAX && out.output_bytes[1] == UINT64_MAX);
        job_status_done(&out);
        free(text);
}

static void test_message_hex(void **state) {
        static const char nasty[] = "a\nKIND=exited\\x41\\\\ \t\x01\x7f\xff\xc3\xa9=\r";
        _cleanup_free_ char *text = NULL;
        JobStatus s = { .kind = JOB_START_FAILED, .error = EACCES, .message = (char *) nasty,
                        .cpu_usec = UINT64_MAX, .memory_peak = UINT64_MAX };

        assert_int_equal(job_status_format(&s, &text), 0);
        /* Hex like every byte string in a record: one line whatever it holds. */
        assert_non_null(strstr(text, "\nMESSAGE=610a4b494e443d6578697465645c7834315c5c2009017fffc3a93d0d\n"));
        round_trip(&s);

        /* Never a file job_status_read_file() would refuse. */
        _cleanup_free_ char *big = malloc(JOB_STATUS_FILE_MAX / 2 + 1);
        assert_non_null(big);
        memset(big, 'x', JOB_STATUS_FILE_MAX / 2);
        big[JOB_STATUS_FILE_MAX / 2] = '\0';
        s.message = big;
        free(text);
        text = NULL;
        assert_int_equal(job_status_format(&s, &text), -E2BIG);
        assert_null(text);
}

static void test_format_rejects_invalid(void **state) {
        char *text = NULL;
        JobStatus s = { .kind = JOB_EXITED, .exit_code = 256 };
        assert_int_equal(job_status_format(&s, &text), -EINVAL);
        s = (JobStatus) { .kind = JOB_KILLED, .signal = 0 };
        assert_int_equal(job_status_format(&s, &text), -EINVAL);
        s = (JobStatus) { .kind = JOB_START_FAILED, .error = 0 };
        assert_int_equal(job_status_format(&s, &text), -EINVAL);
        s = (JobStatus) { .kind = (JobExitKind) 42 };
        assert_int_equal(job_status_format(&s, &text), -EINVAL);
        assert_null(text);
}

static void test_parse_defaults_and_unknown_keys(void **state) {
        static const char text[] = "FUTURE_THING=whatever \\q \xff\nKIND=exited\nEXIT_CODE=3\nX2=\n";
        JobStatus s = JOB_STATUS_INIT;

        assert_int_equal(job_status_parse(text, strlen(text), &s), 0);
        assert_int_equal(s.kind, JOB_EXITED);
        assert_int_equal(s.exit_code, 3);
        assert_true(s.cpu_usec == UINT64_MAX);
        assert_true(s.memory_peak == UINT64_MAX);
        assert_true(s.finished_usec == 0);
        assert_null(s.message);
}

static void test_parse_rejects_malformed(void **state) {
        static const char *const bad[] = {
                "",
                "\n",
                "KIND=exited\n",                                /* no EXIT_CODE */
                "KIND=killed\n",                                /* no SIGNAL */
                "KIND=start-failed\nMESSAGE=78\n",              /* no ERROR */
                "KIND=exited\nEXIT_CODE=3",                     /* truncated: no final newline */
                "KIND=exited\nKIND=exited\nEXIT_CODE=3\n",      /* duplicate */
                "KIND=exited\nEXIT_CODE=3\nEXIT_CODE=3\n",
                "KIND=start-failed\nERROR=2\nMESSAGE=61\nMESSAGE=62\n",
                "KIND=exitedx\nEXIT_CODE=3\n",
                "KIND=\nEXIT_CODE=3\n",
                "KIND=exited\nEXIT_CODE=256\n",
                "KIND=exited\nEXIT_CODE=-1\n",
                "KIND=exited\nEXIT_CODE= 3\n",
                "KIND=exited\nEXIT_CODE=+3\n",
                "KIND=exited\nEXIT_CODE=-0\n",
                "KIND=exited\nEXIT_CODE=3 \n",
                "KIND=exited\nEXIT_CODE=\n",
                "KIND=exited\nEXIT_CODE=0\nSTDOUT_BYTES=5\n",          /* one total without the other */
                "KIND=exited\nEXIT_CODE=0\nSTDOUT_BYTES=5\nSTDERR_BYTES=x\n",
                "KIND=exited\nEXIT_CODE=0\nSTDOUT_BYTES=5\nSTDERR_BYTES=1\nSTDERR_BYTES=1\n",
                "KIND=killed\nSIGNAL=0\n",
                "KIND=killed\nSIGNAL=65\n",
                "KIND=start-failed\nERROR=0\n",
                "KIND=start-failed\nERROR=4096\n",
                "KIND=exited\nEXIT_CODE=3\nCPU_USEC=18446744073709551616\n",   /* overflow */
                "KIND=exited\nEXIT_CODE=3\nCPU_USEC=0x10\n",
                "KIND=exited\nEXIT_CODE=3\nMEMORY_PEAK=\n",
                "KIND=start-failed\nERROR=2\nMESSAGE=616\n",            /* odd hex */
                "KIND=start-failed\nERROR=2\nMESSAGE=4A\n",             /* uppercase hex */
                "KIND=start-failed\nERROR=2\nMESSAGE=6g\n",
                "KIND=start-failed\nERROR=2\nMESSAGE=610062\n",         /* NUL */
                "KIND=start-failed\nERROR=2\nMESSAGE=a\\x41\n",        /* the old escapes */
                "KIND=start-failed\nERROR=2\nMESSAGE=tab\there\n",        /* raw control byte */
                "KIND=start-failed\nERROR=2\nMESSAGE=\xc3\xa9\n",         /* raw non-ASCII */
                "kind=exited\nEXIT_CODE=3\n",                             /* bad key */
                "KIND exited\n",
                "KIND=exited\nEXIT_CODE=3\nfuture=1\n",                   /* bad unknown key */
                "=exited\n",
                "KIND=exited\nEXIT_CODE=3\n\n",                           /* empty line */
                "KIND=exited\r\nEXIT_CODE=3\n",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                JobStatus s = JOB_STATUS_INIT;
                if (job_status_parse(bad[i], strlen(bad[i]), &s) != -EINVAL)
                        fail_msg("accepted malformed input #%zu: \"%s\"", i, bad[i]);
        }

        /* An embedded NUL. */
        static const char nul[] = "KIND=exited\nEXIT_CODE=3\n\0X=1\n";
        JobStatus s = JOB_STATUS_INIT;
        assert_int_equal(job_status_parse(nul, sizeof nul - 1, &s), -EINVAL);
        /* Length is honoured: a valid prefix parses. */
        assert_int_equal(job_status_parse(nul, strlen(nul), &s), 0);
}

static void test_file_round_trip(void **state) {
        char dir[] = "/tmp/test-job-status-XXXXXX";
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        JobStatus in = { .kind = JOB_KILLED, .signal = 15, .cpu_usec = 7, .memory_peak = UINT64_MAX,
                         .finished_usec = 99 };
        JobStatus out = JOB_STATUS_INIT;

        assert_non_null(mkdtemp(dir));
        assert_true(asprintf(&path, "%s/status", dir) > 0);
        assert_true(asprintf(&tmp, "%s/status.tmp", dir) > 0);

        assert_int_equal(job_status_read_file(path, &out), -ENOENT);
        assert_int_equal(job_status_write_file_atomic(path, &in), 0);
        assert_int_equal(access(tmp, F_OK), -1);
        assert_int_equal(job_status_read_file(path, &out), 0);
        assert_int_equal(out.kind, JOB_KILLED);
        assert_int_equal(out.signal, 15);
        assert_true(out.cpu_usec == 7);
        assert_true(out.finished_usec == 99);

        /* Overwrite in place. */
        in = (JobStatus) { .kind = JOB_EXITED, .exit_code = 1, .cpu_usec = UINT64_MAX, .memory_peak = UINT64_MAX };
        assert_int_equal(job_status_write_file_atomic(path, &in), 0);
        assert_int_equal(job_status_read_file(path, &out), 0);
        assert_int_equal(out.kind, JOB_EXITED);

        /* Invalid content leaves nothing behind. */
        in.exit_code = 300;
        assert_int_equal(job_status_write_file_atomic(path, &in), -EINVAL);
        assert_int_equal(job_status_read_file(path, &out), 0);
        assert_int_equal(out.exit_code, 1);

        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

static void record_round_trip(const JobInitRecord *in) {
        char buf[JOB_INIT_RECORD_MAX];
        JobInitRecord out;
        size_t n = job_init_record_encode(in, buf);

        assert_true(n > 0 && n < JOB_INIT_RECORD_MAX);
        assert_int_equal(job_init_record_decode(buf, n, &out), 0);
        assert_int_equal(out.kind, in->kind);
        assert_int_equal(out.value, in->value);
        if (in->kind == JOB_START_FAILED)
                assert_string_equal(out.stage, in->stage);
}

static void test_init_record(void **state) {
        JobInitRecord r = { .kind = JOB_EXITED, .value = 3 };
        char buf[JOB_INIT_RECORD_MAX];

        assert_int_equal(job_init_record_encode(&r, buf), strlen("exited 3"));
        assert_memory_equal(buf, "exited 3", 8);
        record_round_trip(&r);
        r = (JobInitRecord) { .kind = JOB_KILLED, .value = 15 };
        record_round_trip(&r);
        r = (JobInitRecord) { .kind = JOB_START_FAILED, .value = ENOENT };
        strcpy(r.stage, "change directory to /a b\nc \xff");
        record_round_trip(&r);

        /* A stage too long is cut, the record stays decodable. */
        memset(r.stage, 'x', sizeof r.stage - 1);
        r.stage[sizeof r.stage - 1] = 0;
        size_t n = job_init_record_encode(&r, buf);
        assert_int_equal(n, JOB_INIT_RECORD_MAX - 1);
        JobInitRecord out;
        assert_int_equal(job_init_record_decode(buf, n, &out), 0);
        assert_int_equal(out.value, ENOENT);

        static const char *const bad[] = {
                "", "exited", "exited ", "exited 3 ", "exited 256", "exited -1", "exited x",
                "killed 0", "killed 65", "killed 9 x", "start-failed 2", "start-failed 2 ",
                "start-failed 0 stage", "unknown 0", "bogus 1", "exited 03x",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (job_init_record_decode(bad[i], strlen(bad[i]), &out) != -EINVAL)
                        fail_msg("accepted malformed record #%zu: \"%s\"", i, bad[i]);
        assert_int_equal(job_init_record_decode("exited 3\0", 9, &out), -EINVAL);
}

static void test_status_from_record(void **state) {
        JobStatus s = JOB_STATUS_INIT;
        JobInitRecord r = { .kind = JOB_START_FAILED, .value = ENOENT };

        strcpy(r.stage, "execute /nope");
        assert_int_equal(job_status_from_init_record(&s, &r), 0);
        assert_int_equal(s.kind, JOB_START_FAILED);
        assert_int_equal(s.error, ENOENT);
        assert_string_equal(s.message, "Failed to execute /nope: No such file or directory");

        /* Valid UTF-8 kept, anything else replaced: overlong, surrogate,
         * stray continuation, truncated sequence, > U+10FFFF. */
        strcpy(r.stage, "change directory to /h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|\xc0\xaf|\xed\xa0\x80|\x80|\xf4\x90\x80\x80|\xe2\x82");
        r.value = EACCES;
        assert_int_equal(job_status_from_init_record(&s, &r), 0);
        assert_string_equal(s.message, "Failed to change directory to /h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80|??|???|?|????|??: Permission denied");

        r = (JobInitRecord) { .kind = JOB_KILLED, .value = 9 };
        assert_int_equal(job_status_from_init_record(&s, &r), 0);
        assert_int_equal(s.kind, JOB_KILLED);
        assert_int_equal(s.signal, 9);
        job_status_done(&s);

        r = (JobInitRecord) { .kind = JOB_EXIT_UNKNOWN };
        assert_int_equal(job_status_from_init_record(&s, &r), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trips),
                cmocka_unit_test(test_message_hex),
                cmocka_unit_test(test_format_rejects_invalid),
                cmocka_unit_test(test_parse_defaults_and_unknown_keys),
                cmocka_unit_test(test_parse_rejects_malformed),
                cmocka_unit_test(test_file_round_trip),
                cmocka_unit_test(test_init_record),
                cmocka_unit_test(test_status_from_record),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
