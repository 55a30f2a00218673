/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Job records (job-record.c): what is saved comes back, byte for byte;
 * hostile or damaged records are refused; files are 0600. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "job.h"
#include "macro.h"
#include "manager.h"

#define ID "0123456789ab"

static Manager manager;

static Job *job_alloc(void) {
        Job *j = calloc(1, sizeof(Job));
        assert_non_null(j);
        j->manager = &manager;
        j->exit_code = -1;
        j->cpu_usage_nsec = UINT64_MAX;
        j->memory_peak = UINT64_MAX;
        j->run_uid = UID_UNSET;
        job_limits_init(&j->limits);
        strcpy(j->id, ID);
        return j;
}

static void job_release(Job *j) {
        strv_free(j->argv);
        strv_free(j->environment);
        free(j->working_directory);
        free(j->status_text);
        free(j->name);
        free(j->run_user);
        free(j->network);
        free(j->host_interface);
        free(j->stop_with_caller);
        job_limits_done(&j->limits);
        free(j);
}

static char **strv_make(const char *a, const char *b, const char *c) {
        char **l = calloc(4, sizeof(char *));
        assert_non_null(l);
        const char *in[] = { a, b, c };
        for (size_t i = 0, n = 0; i < 3; i++)
                if (in[i])
                        assert_non_null(l[n++] = strdup(in[i]));
        return l;
}

static Job *job_sample(void) {
        Job *j = job_alloc();
        /* Every byte but NUL, and '=' and newlines in values. */
        char all[256];
        for (int i = 1; i < 256; i++)
                all[i - 1] = (char) i;
        all[255] = '\0';
        j->argv = strv_make("/bin/sh", "-c", all);
        j->environment = strv_make("A=b=c", "NL=x\ny", NULL);
        j->owner = 1000;
        j->gid = 4294967294U;
        j->working_directory = strdup("/home/alice/dir with\nnewline");
        j->start_usec = 1700000000000000ULL;
        j->limits.memory_max = UINT64_MAX;
        j->limits.cpu_quota_per_sec_usec = 150000;
        j->limits.io_device = strdup("/dev/vda");
        j->limits.allowed_cpus = malloc(2);
        j->limits.allowed_cpus[0] = 0x00;
        j->limits.allowed_cpus[1] = 0x81;
        j->limits.allowed_cpus_size = 2;
        j->shim_pid = 4194304;
        j->state = JOB_STOPPING;
        j->result = JOB_RESULT_SIGNAL;
        j->exit_code = -1;
        j->exit_signal = 9;
        j->status_text = strdup("why\tnot");
        j->stop_requested = true;
        j->stop_deadline_usec = 42;
        j->name = strdup("nightly-1.x");
        j->run_uid = 4242;
        j->run_user = strdup("build$");
        j->stop_with_caller = strdup(":1.4242");
        return j;
}

static void assert_strv_equal(char **a, char **b) {
        for (; a && *a; a++, b++) {
                assert_non_null(b);
                assert_non_null(*b);
                assert_string_equal(*a, *b);
        }
        assert_true(!b || !*b);
}

static void test_round_trip(void **state) {
        Job *j = job_sample(), *k = job_alloc();
        _cleanup_free_ char *text = NULL;
        size_t size;

        assert_int_equal(job_record_format(j, &text, &size), 0);
        assert_int_equal(job_record_parse(k, text, size), 0);
        assert_strv_equal(j->argv, k->argv);
        assert_strv_equal(j->environment, k->environment);
        assert_int_equal(k->owner, 1000);
        assert_int_equal(k->gid, 4294967294U);
        assert_string_equal(k->working_directory, j->working_directory);
        assert_int_equal(k->start_usec, j->start_usec);
        assert_true(k->limits.memory_max == UINT64_MAX);
        assert_int_equal(k->limits.cpu_quota_per_sec_usec, 150000);
        assert_string_equal(k->limits.io_device, "/dev/vda");
        assert_int_equal(k->limits.allowed_cpus_size, 2);
        assert_memory_equal(k->limits.allowed_cpus, j->limits.allowed_cpus, 2);
        assert_int_equal(k->shim_pid, 4194304);
        assert_int_equal(k->state, JOB_STOPPING);
        assert_int_equal(k->result, JOB_RESULT_SIGNAL);
        assert_int_equal(k->exit_code, -1);
        assert_int_equal(k->exit_signal, 9);
        assert_string_equal(k->status_text, "why\tnot");
        assert_true(k->stop_requested);
        assert_int_equal(k->stop_deadline_usec, 42);
        assert_string_equal(k->name, "nightly-1.x");
        assert_int_equal(k->run_uid, 4242);
        assert_int_equal(job_run_uid(k), 4242);
        assert_string_equal(k->run_user, "build$");
        assert_string_equal(k->stop_with_caller, ":1.4242");
        job_release(j);
        job_release(k);

        /* A job of its owner: no name, no run-as in the record, and none
         * read back (records of older versions look the same). */
        j = job_alloc();
        k = job_alloc();
        j->argv = strv_make("true", NULL, NULL);
        j->owner = 1000;
        free(text);
        assert_int_equal(job_record_format(j, &text, &size), 0);
        assert_null(strstr(text, "NAME="));
        assert_null(strstr(text, "RUN_"));
        assert_null(strstr(text, "STOP_WITH_CALLER="));
        assert_int_equal(job_record_parse(k, text, size), 0);
        assert_null(k->name);
        assert_null(k->run_user);
        assert_int_equal(k->run_uid, UID_UNSET);
        assert_int_equal(job_run_uid(k), 1000);
        job_release(j);
        job_release(k);
}

static void assert_refused(const char *extra);

static void test_root_and_binds(void **state) {
        Job *j = job_sample(), *k = job_alloc();
        _cleanup_free_ char *text = NULL;
        size_t size;

        j->limits.root_directory = strdup("/home/u/r oot");
        j->limits.host_system = true;
        j->limits.private_tmp = true;
        assert_int_equal(job_limits_add_bind(&j->limits, false, "/home/u/a:b", "/data", false, 0, NULL), 0);
        assert_int_equal(job_limits_add_bind(&j->limits, true, "/srv", "", true, 16384, NULL), 0);
        assert_int_equal(job_record_format(j, &text, &size), 0);
        assert_int_equal(job_record_parse(k, text, size), 0);
        assert_string_equal(k->limits.root_directory, "/home/u/r oot");
        assert_true(k->limits.host_system);
        assert_true(k->limits.private_tmp);
        assert_int_equal(k->limits.n_binds, 2);
        assert_string_equal(k->limits.binds[0].source, "/home/u/a:b");
        assert_string_equal(k->limits.binds[0].destination, "/data");
        assert_false(k->limits.binds[0].read_only);
        assert_string_equal(k->limits.binds[1].source, "/srv");
        assert_string_equal(k->limits.binds[1].destination, "/srv");
        assert_true(k->limits.binds[1].read_only);
        job_release(j);
        job_release(k);

        /* 'rw\0/a\0/b' is fine; anything else is not. */
        k = job_alloc();
        const char ok[] = "ID=" ID "\nARGV=74727565\nSTATE=running\nBIND=7277002f61002f62\n";
        assert_int_equal(job_record_parse(k, ok, strlen(ok)), 0);
        assert_string_equal(k->limits.binds[0].destination, "/b");
        job_release(k);
        assert_refused("BIND=7278002f61002f62");        /* "rx" */
        assert_refused("BIND=7277002f61");              /* no destination separator */
        assert_refused("BIND=7277002f61002f62002f63");  /* three paths */
        assert_refused("BIND=7277006100002f62");        /* relative source */
        assert_refused("BIND=7277002f61002e2e");        /* ".." destination */
        assert_refused("BIND=72770");
        assert_refused("HOST_SYSTEM=2");
        assert_refused("PRIVATE_TMP=yes");
        assert_refused("ROOT_DIRECTORY=7");
}

static void test_finished_drops_environment(void **state) {
        Job *j = job_sample(), *k = job_alloc();
        _cleanup_free_ char *text = NULL;
        size_t size;

        j->state = JOB_FINISHED;
        assert_int_equal(job_record_format(j, &text, &size), 0);
        assert_null(strstr(text, "ENV="));
        assert_int_equal(job_record_parse(k, text, size), 0);
        assert_null(k->environment);
        assert_strv_equal(j->argv, k->argv);
        job_release(j);
        job_release(k);
}

/* Each a valid record with one line spoiled. */
static void assert_refused(const char *extra) {
        char text[512];
        Job *k = job_alloc();
        int n = snprintf(text, sizeof text, "ID=" ID "\nARGV=74727565\nSTATE=running\n%s\n", extra);
        assert_true(n > 0 && (size_t) n < sizeof text);
        int r = job_record_parse(k, text, (size_t) n);
        if (r >= 0)
                fail_msg("record line '%s' was accepted", extra);
        job_release(k);
}

static void test_network(void **state) {
        Job *j = job_sample(), *k = job_alloc();
        _cleanup_free_ char *text = NULL;
        size_t size;

        j->network = strdup("bridge");
        j->address = (10u << 24) | (89u << 16) | 7;
        j->address_prefix = 24;
        j->host_interface = strdup("jw" ID);
        assert_int_equal(job_record_format(j, &text, &size), 0);
        assert_non_null(strstr(text, "NETWORK=bridge\nADDRESS=10.89.0.7/24\nHOST_INTERFACE=jw" ID "\n"));
        assert_int_equal(job_record_parse(k, text, size), 0);
        assert_string_equal(k->network, "bridge");
        assert_true(k->address == j->address);
        assert_int_equal(k->address_prefix, 24);
        assert_string_equal(k->host_interface, "jw" ID);
        job_release(j);
        job_release(k);

        assert_refused("NETWORK=a/b");
        assert_refused("NETWORK=");
        assert_refused("ADDRESS=10.89.0.7");
        assert_refused("ADDRESS=10.89.0.7/31");
        assert_refused("ADDRESS=0.0.0.0/24");
        assert_refused("ADDRESS=10.89.0.07/24");
        assert_refused("HOST_INTERFACE=this-is-too-long-for-linux");
}

static void test_hostile(void **state) {
        /* The base record itself is fine. */
        Job *k = job_alloc();
        const char ok[] = "ID=" ID "\nARGV=74727565\nSTATE=running\n";
        assert_int_equal(job_record_parse(k, ok, strlen(ok)), 0);
        assert_string_equal(k->argv[0], "true");
        job_release(k);

        assert_refused("OWNER=-1");
        assert_refused("OWNER=+1");
        assert_refused("OWNER= 1");
        assert_refused("OWNER=4294967295");
        assert_refused("OWNER=18446744073709551616");
        assert_refused("OWNER=0x10");
        assert_refused("OWNER=");
        assert_refused("START_USEC=-1");
        assert_refused("START_USEC=1x");
        assert_refused("SHIM_PID=0");
        assert_refused("SHIM_PID=-5");
        assert_refused("SHIM_PID=2147483648");
        assert_refused("EXIT_CODE=+1");
        assert_refused("EXIT_CODE=2147483648");
        assert_refused("EXIT_CODE=--1");
        assert_refused("EXIT_CODE=-0");
        assert_refused("EXIT_SIGNAL=1 ");
        assert_refused("ARGV=7");         /* odd length */
        assert_refused("ARGV=00");        /* NUL in a string */
        assert_refused("ARGV=7g");
        assert_refused("ARGV=-1");        /* sscanf("%2x") took this */
        assert_refused("ARGV= f");
        assert_refused("ARGV=4A");        /* uppercase is not what we write */
        assert_refused("WORKDIR=2f00");
        assert_refused("ALLOWED_CPUS=zz");
        assert_refused("STATE=bogus");
        assert_refused("RESULT=bogus");
        assert_refused("STOP_REQUESTED=yes");
        assert_refused("ID=ba9876543210"); /* another job's record */
        assert_refused("NAME=0123456789ab"); /* reads as an id */
        assert_refused("NAME=a/b");
        assert_refused("NAME=");
        assert_refused("NAME=-x");
        /* The client whose exit stops the job: a unique bus name only. */
        assert_refused("STOP_WITH_CALLER=org.jobworker1");
        assert_refused("STOP_WITH_CALLER=:");
        assert_refused("STOP_WITH_CALLER=");
        assert_refused("STOP_WITH_CALLER=:1.2 x");
        assert_refused("RUN_UID=4294967295");
        assert_refused("RUN_UID=-1");
        assert_refused("RUN_USER=00");
        assert_refused("no equals sign");
        assert_refused("=value");

        /* No command; a NUL byte in the text; too large. */
        k = job_alloc();
        const char no_argv[] = "ID=" ID "\nSTATE=running\n";
        assert_int_equal(job_record_parse(k, no_argv, strlen(no_argv)), -EBADMSG);
        const char with_nul[] = "ID=" ID "\nARGV=74727565\0\nSTATE=running\n";
        assert_int_equal(job_record_parse(k, with_nul, sizeof with_nul - 1), -EBADMSG);
        assert_int_equal(job_record_parse(k, ok, (size_t) JOB_RECORD_SIZE_MAX + 1), -E2BIG);
        job_release(k);

        /* Unknown keys are for newer daemons; an empty text is no record. */
        k = job_alloc();
        const char newer[] = "ID=" ID "\nARGV=74727565\nFROM_THE_FUTURE=1\n";
        assert_int_equal(job_record_parse(k, newer, strlen(newer)), 0);
        job_release(k);
        k = job_alloc();
        assert_int_equal(job_record_parse(k, "", 0), -EBADMSG);
        job_release(k);

        /* The strict line format of every record (kv-record.h): no empty
         * line, no last line cut short, keys of [A-Z0-9_]. */
        assert_refused("");
        assert_refused("future=1");
        assert_refused("FUTURE-KEY=1");
        k = job_alloc();
        const char cut[] = "ID=" ID "\nARGV=74727565\nSTATE=running";
        assert_int_equal(job_record_parse(k, cut, strlen(cut)), -EBADMSG);
        job_release(k);
}

static void test_file_modes(void **state) {
        char dir[] = "/tmp/test-job-record-XXXXXX";
        _cleanup_free_ char *path = NULL, *tmp = NULL;
        struct stat st;

        assert_non_null(mkdtemp(dir));
        manager.state_dir = dir;
        assert_true(asprintf(&path, "%s/" ID ".job", dir) > 0);
        assert_true(asprintf(&tmp, "%s/" ID ".job.tmp", dir) > 0);

        /* A stale world-readable .tmp does not hand its mode to the record. */
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(fchmod(fd, 0644), 0);
        close(fd);

        Job *j = job_sample(), *k = job_alloc();
        assert_int_equal(job_save(j), 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(stat(tmp, &st), -1);
        assert_int_equal(job_record_read(k), 0);
        assert_strv_equal(j->argv, k->argv);
        assert_int_equal(k->shim_pid, j->shim_pid);

        job_forget_files(j);
        assert_int_equal(stat(path, &st), -1);
        assert_int_equal(rmdir(dir), 0);
        manager.state_dir = NULL;
        job_release(j);
        job_release(k);
}

/* A 2 MiB command line: formatted and parsed back, not cut. */
static void test_large(void **state) {
        Job *j = job_alloc(), *k = job_alloc();
        _cleanup_free_ char *text = NULL;
        size_t size, n = 2 * 1024 * 1024 - 1;
        char *big = malloc(n + 1);

        assert_non_null(big);
        memset(big, 'a', n);
        big[n] = '\0';
        j->argv = strv_make("/bin/true", NULL, NULL);
        j->argv[1] = big;
        assert_int_equal(job_record_format(j, &text, &size), 0);
        assert_true(size > 2 * n);
        assert_int_equal(job_record_parse(k, text, size), 0);
        assert_string_equal(k->argv[1], big);
        job_release(j);
        job_release(k);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_root_and_binds),
                cmocka_unit_test(test_network),
                cmocka_unit_test(test_finished_drops_environment),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_file_modes),
                cmocka_unit_test(test_large),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
