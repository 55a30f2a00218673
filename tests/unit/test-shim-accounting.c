/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shim's cgroup file parsers. */
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
        assert_int_equal(memory_peak_parse("18446744073709551615\n", &v), 0);
        assert_true(v == UINT64_MAX);
        assert_int_equal(memory_peak_parse("18446744073709551616\n", &v), -ERANGE);
        assert_int_equal(memory_peak_parse(" 1\n", &v), -EINVAL);
        assert_int_equal(memory_peak_parse("+1\n", &v), -EINVAL);
        assert_int_equal(memory_peak_parse("1", &v), 0);   /* no newline: still the whole line */
        assert_true(v == 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_cgroup_parsers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
