/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "job-options.h"
#include "macro.h"

static const JobOptionSetting *find(const JobOptions *o, const char *name) {
        for (size_t i = 0; i < o->n_settings; i++)
                if (strcmp(o->settings[i].info->name, name) == 0)
                        return &o->settings[i];
        return NULL;
}

static void test_typed_values(void **state) {
        JobOptions o = {};

        assert_int_equal(job_options_set(&o, "cpu", "0.5", "/cwd", NULL), 0);
        assert_int_equal(job_options_set(&o, "memory", "64M", "/cwd", NULL), 0);
        assert_int_equal(job_options_set(&o, "memory-swap", "0", "/cwd", NULL), 0);
        assert_int_equal(job_options_set(&o, "io-read", "10M/s", "/cwd", NULL), 0);
        assert_int_equal(job_options_set(&o, "io-write", "1K", "/cwd", NULL), 0);
        assert_int_equal(job_options_set(&o, "io-device", "/dev/vda", "/cwd", NULL), 0);
        assert_int_equal(job_options_set(&o, "cpus", "0,2-3", "/cwd", NULL), 0);
        assert_int_equal(job_options_set(&o, "tasks-max", "100", "/cwd", NULL), 0);
        assert_int_equal(job_options_set(&o, "runtime-max", "2min", "/cwd", NULL), 0);
        assert_int_equal(job_options_set(&o, "stop-timeout", "1.5", "/cwd", NULL), 0);
        assert_int_equal(o.n_settings, 10);

        const JobOptionSetting *s = find(&o, "CPUQuota");
        assert_int_equal(s->value.type, 'd');
        assert_true(s->value.d == 0.5);
        s = find(&o, "MemoryMax");
        assert_int_equal(s->value.type, 't');
        assert_int_equal(s->value.t, 64 * 1024 * 1024);
        assert_int_equal(find(&o, "MemorySwapMax")->value.t, 0);
        assert_int_equal(find(&o, "IOReadBandwidthMax")->value.t, 10 * 1024 * 1024);
        assert_int_equal(find(&o, "IOWriteBandwidthMax")->value.t, 1024);
        s = find(&o, "IODevice");
        assert_int_equal(s->value.type, 's');
        assert_string_equal(s->value.s, "/dev/vda");
        s = find(&o, "AllowedCPUs");
        assert_int_equal(s->value.type, 's');
        assert_string_equal(s->value.s, "0,2-3");
        assert_int_equal(find(&o, "TasksMax")->value.t, 100);
        assert_int_equal(find(&o, "RuntimeMaxUSec")->value.t, 120 * USEC_PER_SEC);
        assert_int_equal(find(&o, "StopTimeoutUSec")->value.t, 1500 * USEC_PER_MSEC);

        /* The last value wins, still one setting. */
        assert_int_equal(job_options_set(&o, "memory", "1G", "/cwd", NULL), 0);
        assert_int_equal(o.n_settings, 10);
        assert_int_equal(find(&o, "MemoryMax")->value.t, UINT64_C(1) << 30);

        /* Relative paths are made absolute against the client's directory. */
        assert_int_equal(job_options_set(&o, "io-device", "./disk//img/", "/srv", NULL), 0);
        assert_string_equal(find(&o, "IODevice")->value.s, "/srv/disk/img");
        job_options_done(&o);
}

static void check_rejected(const char *flag, const char *value, const char *cwd, int error, const char *needle) {
        JobOptions o = {};
        _cleanup_free_ char *message = NULL;

        int r = job_options_set(&o, flag, value, cwd, &message);
        if (r != error)
                fail_msg("--%s=%s gave %d, not %d (%s)", flag, value, r, error, message ?: "no message");
        assert_non_null(message);
        if (!strstr(message, needle))
                fail_msg("message for --%s=%s is '%s', lacks '%s'", flag, value, message, needle);
        assert_int_equal(o.n_settings, 0);
        job_options_done(&o);
}

static void test_rejections(void **state) {
        check_rejected("memory", "abc", "/", -EINVAL, "--memory");
        check_rejected("memory", "abc", "/", -EINVAL, "size");
        check_rejected("memory", "0", "/", -EINVAL, "--memory=0");
        check_rejected("memory", "-1", "/", -EINVAL, "--memory");
        check_rejected("memory", "99999999999999999999", "/", -ERANGE, "--memory");
        check_rejected("memory", "4194305T", "/", -ERANGE, "--memory=4194305T");  /* above the 4 EiB cap */
        check_rejected("cpu", "0", "/", -ERANGE, "--cpu");
        check_rejected("cpu", "x", "/", -EINVAL, "--cpu");
        check_rejected("cpu", "5000", "/", -ERANGE, "--cpu=5000");
        check_rejected("io-read", "fast", "/", -EINVAL, "--io-read");
        check_rejected("io-read", "0", "/", -EINVAL, "--io-read=0");
        check_rejected("tasks-max", "1e3", "/", -EINVAL, "--tasks-max");
        check_rejected("tasks-max", "0", "/", -EINVAL, "--tasks-max=0");
        check_rejected("runtime-max", "soon", "/", -EINVAL, "--runtime-max");
        check_rejected("runtime-max", "0", "/", -EINVAL, "--runtime-max=0");
        check_rejected("stop-timeout", "2y", "/", -EINVAL, "--stop-timeout");
        check_rejected("cpus", "3-1", "/", -EINVAL, "--cpus=3-1");
        check_rejected("cpus", "", "/", -EINVAL, "--cpus");
        check_rejected("io-device", "", "/", -EINVAL, "--io-device");
        check_rejected("io-device", "/a/../b", "/", -EINVAL, "--io-device");
        check_rejected("io-device", "rel", NULL, -EINVAL, "absolute");
        check_rejected("workdir", "rel", NULL, -EINVAL, "--workdir=rel");
        check_rejected("workdir", "", "/", -EINVAL, "--workdir");
        check_rejected("env", "NOEQUALS", "/", -EINVAL, "--env=NOEQUALS");
        check_rejected("env", "=x", "/", -EINVAL, "--env");
        check_rejected("env", "1A=x", "/", -EINVAL, "--env");
        check_rejected("bogus", "1", "/", -EINVAL, "--bogus");
}

static void test_env_and_workdir(void **state) {
        JobOptions o = {};

        assert_int_equal(job_options_set(&o, "env", "A=1", "/", NULL), 0);
        assert_int_equal(job_options_set(&o, "env", "B=", "/", NULL), 0);
        assert_int_equal(job_options_set(&o, "env", "A=x=y", "/", NULL), 0);
        assert_int_equal(o.n_environment, 3);
        assert_string_equal(o.environment[0], "A=1");
        assert_string_equal(o.environment[1], "B=");
        assert_string_equal(o.environment[2], "A=x=y");
        assert_null(o.environment[3]);

        assert_int_equal(job_options_set(&o, "workdir", "sub/dir", "/home/u", NULL), 0);
        assert_string_equal(o.working_directory, "/home/u/sub/dir");
        assert_int_equal(job_options_set(&o, "workdir", "/abs", NULL, NULL), 0);
        assert_string_equal(o.working_directory, "/abs");
        job_options_done(&o);
}

static void test_binds(void **state) {
        JobOptions o = {};
        char *message = NULL;

        assert_int_equal(job_options_set(&o, "bind", "data", "/home/u", NULL), 0);
        assert_int_equal(job_options_set(&o, "ro-bind", "/usr/share:/share", "/home/u", NULL), 0);
        assert_int_equal(job_options_set(&o, "bind", "/a:/b:c", "/", NULL), 0);
        assert_int_equal(o.binds.n_binds, 3);
        assert_string_equal(o.binds.binds[0].source, "/home/u/data");
        assert_string_equal(o.binds.binds[0].destination, "/home/u/data");
        assert_false(o.binds.binds[0].read_only);
        assert_string_equal(o.binds.binds[1].source, "/usr/share");
        assert_string_equal(o.binds.binds[1].destination, "/share");
        assert_true(o.binds.binds[1].read_only);
        assert_string_equal(o.binds.binds[2].source, "/a");
        assert_string_equal(o.binds.binds[2].destination, "/b:c");

        assert_int_equal(job_options_set(&o, "bind", "/a:rel", "/", &message), -EINVAL);
        assert_string_equal(message, "--bind=/a:rel: the destination must be an absolute path");
        free(message);
        assert_int_equal(job_options_set(&o, "bind", "/a:/", "/", &message), -EINVAL);
        assert_string_equal(message, "--bind=/a:/: BindPaths: '/a' cannot be bound over /; use RootDirectory");
        free(message);
        assert_int_equal(job_options_set(&o, "ro-bind", "/a:/b/../c", "/", &message), -EINVAL);
        assert_non_null(strstr(message, "BindReadOnlyPaths destination must be an absolute, normalized path"));
        free(message);
        assert_int_equal(job_options_set(&o, "bind", "rel", NULL, &message), -EINVAL);   /* remote */
        free(message);
        assert_int_equal(job_options_set(&o, "bind", "", "/", &message), -EINVAL);
        free(message);
        assert_int_equal(o.binds.n_binds, 3);
        job_options_done(&o);

        /* At most JOB_BINDS_MAX. */
        for (unsigned i = 0; i < JOB_BINDS_MAX; i++)
                assert_int_equal(job_options_set(&o, "bind", "/x", "/", NULL), 0);
        assert_int_equal(job_options_set(&o, "bind", "/x", "/", &message), -E2BIG);
        free(message);
        job_options_done(&o);

        /* With --root the current directory is not sent (the job starts in
         * its root's /). */
        char *argv[] = { "run", "--root=/r", "ls", NULL };
        assert_int_equal(job_options_parse_argv(&o, 3, argv, false), 2);
        assert_null(o.working_directory);
        job_options_done(&o);
}

static void test_parse_argv(void **state) {
        char *argv1[] = { "run", "--memory=1M", "--env", "X=1", "ls", "-l", "--memory=2M", NULL };
        char *argv2[] = { "run", "--tasks-max=5", "--", "--weird", NULL };
        char *argv3[] = { "run", "--memory=abc", "ls", NULL };
        char *argv4[] = { "run", "--memory=1M", NULL };
        char *argv5[] = { "run", "--help", NULL };
        JobOptions o = {};
        int r;

        r = job_options_parse_argv(&o, 7, argv1, false);
        assert_int_equal(r, 4);  /* stops at "ls": "-l" and "--memory=2M" are the command's */
        assert_int_equal(find(&o, "MemoryMax")->value.t, 1024 * 1024);
        assert_string_equal(o.environment[0], "X=1");
        assert_non_null(o.working_directory);  /* the current directory */
        assert_int_equal(o.working_directory[0], '/');
        job_options_done(&o);

        r = job_options_parse_argv(&o, 4, argv2, true);
        assert_int_equal(r, 3);
        assert_null(o.working_directory);       /* remote: the daemon picks */
        job_options_done(&o);

        assert_int_equal(job_options_parse_argv(&o, 3, argv3, false), -EINVAL);
        job_options_done(&o);
        assert_int_equal(job_options_parse_argv(&o, 2, argv4, false), -EINVAL);  /* no command */
        job_options_done(&o);
        assert_int_equal(job_options_parse_argv(&o, 2, argv5, false), 0);
        job_options_done(&o);
}

static void test_terminal(void **state) {
        char *run[] = { "run", "-t", "bash", NULL };
        char *start[] = { "start", "--pty", "--", "htop", NULL };
        char *remote[] = { "run", "-t", "bash", NULL };
        JobOptions o = {};

        assert_int_equal(job_options_parse_argv(&o, 3, run, false), 2);
        assert_true(o.terminal);
        assert_true(o.terminal_wait);           /* run: the command waits for our terminal */
        job_options_done(&o);
        o = (JobOptions) {};
        assert_int_equal(job_options_parse_argv(&o, 4, start, false), 3);
        assert_true(o.terminal);
        assert_false(o.terminal_wait);          /* start: at once, attach later */
        job_options_done(&o);
        o = (JobOptions) {};
        /* A terminal is an fd: not over -H. */
        assert_int_equal(job_options_parse_argv(&o, 3, remote, true), -EINVAL);
        job_options_done(&o);
}

static void test_append(void **state) {
        JobOptions o = {};
        sd_bus_message *m = NULL;
        sd_bus *bus = NULL;
        _cleanup_close_pair_ int fds[2] = { -1, -1 };
        const char *key, *s;
        double d;
        uint64_t t;

        assert_int_equal(job_options_set(&o, "cpu", "50%", "/", NULL), 0);
        assert_int_equal(job_options_set(&o, "memory", "2K", "/", NULL), 0);
        assert_int_equal(job_options_set(&o, "cpus", "1", "/", NULL), 0);

        /* A message on an unconnected bus object, sealed and read back. */
        /* An sd_bus that is "open" (authenticating on a socketpair nobody
         * answers) is all sd_bus_message_new_method_call() needs. */
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, fds[0], fds[0]), 0);
        assert_true(sd_bus_start(bus) >= 0);
        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "a.b", "/a", "a.b", "M"), 0);
        assert_int_equal(job_options_append(&o, m), 0);
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        assert_int_equal(sd_bus_message_rewind(m, true), 1);
        assert_int_equal(sd_bus_message_enter_container(m, 'a', "{sv}"), 1);
        assert_int_equal(sd_bus_message_read(m, "{sv}", &key, "d", &d), 1);
        assert_string_equal(key, "CPUQuota");
        assert_true(d == 0.5);
        assert_int_equal(sd_bus_message_read(m, "{sv}", &key, "t", &t), 1);
        assert_string_equal(key, "MemoryMax");
        assert_int_equal(t, 2048);
        assert_int_equal(sd_bus_message_read(m, "{sv}", &key, "s", &s), 1);
        assert_string_equal(key, "AllowedCPUs");
        assert_string_equal(s, "1");
        assert_int_equal(sd_bus_message_exit_container(m), 1);

        sd_bus_message_unref(m);
        sd_bus_close_unref(bus);
        fds[0] = -1;  /* the bus owned it */
        job_options_done(&o);
}

static void test_path_make_absolute(void **state) {
        char *p;

        p = path_make_absolute("x", "/a/b");
        assert_string_equal(p, "/a/b/x");
        free(p);
        p = path_make_absolute("./x/./y//", "/");
        assert_string_equal(p, "/x/y");
        free(p);
        p = path_make_absolute("/", "/ignored");
        assert_string_equal(p, "/");
        free(p);
        p = path_make_absolute(".", "/a");
        assert_string_equal(p, "/a");
        free(p);
        p = path_make_absolute("../x", "/a");
        assert_string_equal(p, "/a/../x");  /* ".." needs the file system */
        free(p);
}

static void test_name_user_group(void **state) {
        JobOptions o = {};
        char *msg = NULL;

        assert_int_equal(job_options_set(&o, "name", "nightly-build.1", "/cwd", NULL), 0);
        assert_string_equal(o.name, "nightly-build.1");
        assert_int_equal(job_options_set(&o, "name", "again", "/cwd", NULL), 0);
        assert_string_equal(o.name, "again");
        assert_int_equal(job_options_set(&o, "name", "0123456789ab", "/cwd", &msg), -EINVAL);
        assert_non_null(strstr(msg, "--name=0123456789ab"));
        free(msg);
        msg = NULL;
        assert_int_equal(job_options_set(&o, "name", "a/b", "/cwd", NULL), -EINVAL);
        assert_int_equal(job_options_set(&o, "name", "", "/cwd", NULL), -EINVAL);
        assert_string_equal(o.name, "again");

        assert_int_equal(job_options_set(&o, "user", "nobody", "/cwd", NULL), 0);
        assert_string_equal(o.user, "nobody");
        assert_int_equal(job_options_set(&o, "user", "4242", "/cwd", NULL), 0);
        assert_string_equal(o.user, "4242");
        assert_int_equal(job_options_set(&o, "group", "0", "/cwd", NULL), 0);
        assert_string_equal(o.group, "0");
        assert_int_equal(job_options_set(&o, "user", "4294967295", "/cwd", &msg), -ERANGE);
        assert_non_null(strstr(msg, "--user=4294967295"));
        free(msg);
        msg = NULL;
        assert_int_equal(job_options_set(&o, "user", "", "/cwd", NULL), -EINVAL);
        assert_int_equal(job_options_set(&o, "user", "-1", "/cwd", NULL), -EINVAL);
        assert_int_equal(job_options_set(&o, "group", "a b", "/cwd", NULL), -EINVAL);
        assert_int_equal(job_options_set(&o, "group", "x:y", "/cwd", NULL), -EINVAL);
        assert_string_equal(o.user, "4242");
        assert_string_equal(o.group, "0");
        job_options_done(&o);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_typed_values),
                cmocka_unit_test(test_rejections),
                cmocka_unit_test(test_env_and_workdir),
                cmocka_unit_test(test_name_user_group),
                cmocka_unit_test(test_parse_argv),
                cmocka_unit_test(test_terminal),
                cmocka_unit_test(test_binds),
                cmocka_unit_test(test_append),
                cmocka_unit_test(test_path_make_absolute),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
