/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shim's pure parts: its command line and the cgroup file parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"
#include "macro.h"
#include "shim.h"

#define ARGV(...) ((char *[]) { __VA_ARGS__, NULL })
#define ARGC(...) ((int) ELEMENTSOF(((char *[]) { __VA_ARGS__ })))
#define PARSE(ret, ...) shim_args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), ret)

static int setup(void **state) {
        log_set_max_level(LOG_EMERG - 1);      /* the failures below are expected */
        return 0;
}

static void test_full(void **state) {
        _cleanup_(shim_args_done) ShimArgs a = {};

        assert_int_equal(PARSE(&a, "jobworker-shim", "--id=0123456789ab", "--uid=1000", "--gid=100",
                               "--groups=10,20,4294967294", "--workdir=/home/u", "--status=/run/jobworker/x",
                               "--output=inherit", "--env=PATH=/bin", "--env=EMPTY=", "--env=X==y",
                               "--", "/bin/sh", "-c", "--uid=5", "--"), 0);
        assert_string_equal(a.id, "0123456789ab");
        assert_int_equal(a.uid, 1000);
        assert_int_equal(a.gid, 100);
        assert_int_equal(a.n_groups, 3);
        assert_int_equal(a.groups[0], 10);
        assert_int_equal(a.groups[1], 20);
        assert_int_equal(a.groups[2], 4294967294u);
        assert_string_equal(a.workdir, "/home/u");
        assert_string_equal(a.status_path, "/run/jobworker/x");
        assert_int_equal(a.output, SHIM_OUTPUT_INHERIT);
        assert_int_equal(a.n_env, 3);
        assert_string_equal(a.env[0], "PATH=/bin");
        assert_string_equal(a.env[1], "EMPTY=");
        assert_string_equal(a.env[2], "X==y");
        assert_null(a.env[3]);
        /* Everything after "--" is the command, even option look-alikes. */
        assert_string_equal(a.command[0], "/bin/sh");
        assert_string_equal(a.command[2], "--uid=5");
        assert_string_equal(a.command[3], "--");
        assert_null(a.command[4]);
}

static void test_minimal(void **state) {
        _cleanup_(shim_args_done) ShimArgs a = {};

        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=0", "--gid=0", "--workdir=/",
                               "--status=/s", "--", "true"), 0);
        assert_int_equal(a.output, SHIM_OUTPUT_JOURNAL);
        assert_int_equal(a.n_groups, 0);
        assert_int_equal(a.n_env, 0);
        assert_null(a.env[0]);
        assert_string_equal(a.command[0], "true");
        shim_args_done(&a);

        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=0", "--gid=0", "--workdir=/",
                               "--status=/s", "--groups=", "--output=journal", "--", "true"), 0);
        assert_int_equal(a.n_groups, 0);
}

static void test_rejects(void **state) {
        ShimArgs a = {};
#define BASE "--id=abcdefabcdef", "--uid=1", "--gid=1", "--workdir=/", "--status=/s"
        /* Sanity: the base is fine. */
        assert_int_equal(PARSE(&a, "x", BASE, "--", "true"), 0);
        shim_args_done(&a);

        assert_int_equal(shim_args_parse(0, (char *[]) { NULL }, &a), -EINVAL);
        assert_int_equal(shim_args_parse(0, NULL, &a), -EINVAL);
        assert_int_equal(PARSE(&a, "x"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE), -EINVAL);                        /* no command */
        assert_int_equal(PARSE(&a, "x", BASE, "--"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--", ""), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "true"), -EINVAL);                /* "--" is required */
        assert_int_equal(PARSE(&a, "x", BASE, "--bogus=1", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--id", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--id=abcdefabcdef", "--", "true"), -EINVAL);   /* twice */
        assert_int_equal(PARSE(&a, "x", BASE, "--uid=2", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--output=inherit", "--output=inherit", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--groups=1", "--groups=2", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--output=file", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--env=NOEQUALS", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--env==value", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--groups=1,,2", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--groups=1,", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--groups=,1", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--groups=-1", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--groups=4294967295", "--", "true"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", BASE, "--groups=a", "--", "true"), -EINVAL);

        assert_int_equal(PARSE(&a, "x", "--id=ABCDEFABCDEF", "--uid=1", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcde", "--uid=1", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef0", "--uid=1", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdeg", "--uid=1", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=-1", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=4294967295", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=99999999999", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid= 1", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=1", "--gid=x", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=1", "--gid=1", "--workdir=rel", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=1", "--gid=1", "--workdir=/", "--status=s", "--", "t"), -EINVAL);
        /* Each required option missing in turn. */
        assert_int_equal(PARSE(&a, "x", "--uid=1", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--gid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=1", "--workdir=/", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=1", "--gid=1", "--status=/s", "--", "t"), -EINVAL);
        assert_int_equal(PARSE(&a, "x", "--id=abcdefabcdef", "--uid=1", "--gid=1", "--workdir=/", "--", "t"), -EINVAL);
#undef BASE
        assert_null(a.groups);
        assert_null(a.env);
}

static void test_identifier(void **state) {
        assert_string_equal(shim_command_identifier("/usr/bin/sleep"), "sleep");
        assert_string_equal(shim_command_identifier("sleep"), "sleep");
        assert_string_equal(shim_command_identifier("./a/b"), "b");
        assert_string_equal(shim_command_identifier("dir/"), "dir/");
}

static void test_cgroup_parsers(void **state) {
        _cleanup_free_ char *path = NULL;
        uint64_t v = 0;

        assert_int_equal(cgroup_path_from_proc_self_cgroup("0::/system.slice/jobworker-0123.scope\n", &path), 0);
        assert_string_equal(path, "/system.slice/jobworker-0123.scope");
        free(path);
        path = NULL;
        /* Hybrid hierarchy: v1 lines first. */
        assert_int_equal(cgroup_path_from_proc_self_cgroup("12:cpu:/x\n1:name=systemd:/y\n0::/z", &path), 0);
        assert_string_equal(path, "/z");
        assert_int_equal(cgroup_path_from_proc_self_cgroup("12:cpu:/x\n", &path), -ENOENT);
        assert_int_equal(cgroup_path_from_proc_self_cgroup("", &path), -ENOENT);

        assert_int_equal(cpu_stat_usage_usec("usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n", &v), 0);
        assert_true(v == 1234);
        assert_int_equal(cpu_stat_usage_usec("user_usec 1\nusage_usec 77\n", &v), 0);
        assert_true(v == 77);
        assert_int_equal(cpu_stat_usage_usec("user_usec 1\n", &v), -ENOENT);
        assert_int_equal(cpu_stat_usage_usec("usage_usec -1\n", &v), -EINVAL);
        assert_int_equal(cpu_stat_usage_usec("usage_usec 12x\n", &v), -EINVAL);

        assert_int_equal(memory_peak_parse("4096\n", &v), 0);
        assert_true(v == 4096);
        assert_int_equal(memory_peak_parse("max\n", &v), -EINVAL);
        assert_int_equal(memory_peak_parse("", &v), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_full),
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_rejects),
                cmocka_unit_test(test_identifier),
                cmocka_unit_test(test_cgroup_parsers),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
