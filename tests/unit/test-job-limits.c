/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "job-limits.h"
#include "macro.h"
#include "parse-util.h"

#define T(v) (&(JobOptionValue) { .type = 't', .t = (v) })
#define D(v) (&(JobOptionValue) { .type = 'd', .d = (v) })
#define S(v) (&(JobOptionValue) { .type = 's', .s = (v) })

/* Sets one option on a fresh JobLimits copy of *l and expects success. */
static void set_ok(JobLimits *l, const char *name, const JobOptionValue *v) {
        _cleanup_free_ char *msg = NULL;
        int r;

        r = job_limits_set_option(l, name, v, &msg);
        if (r != 0)
                print_error("%s: unexpected error %d: %s\n", name, r, msg ?: "(no message)");
        assert_int_equal(r, 0);
        assert_null(msg);
}

/* Expects failure with error and a message equal to expected_message. */
static void set_fails(JobLimits *l, const char *name, const JobOptionValue *v, int error,
                      const char *expected_message) {
        _cleanup_free_ char *msg = NULL;

        assert_int_equal(job_limits_set_option(l, name, v, &msg), error);
        assert_non_null(msg);
        print_message("%s: %s\n", name, msg);
        if (expected_message)
                assert_string_equal(msg, expected_message);
        else
                assert_non_null(strstr(msg, name)); /* messages name the option */
}

static void assert_defaults(const JobLimits *l) {
        assert_true(l->cpu_quota_per_sec_usec == UINT64_MAX);
        assert_true(l->memory_max == UINT64_MAX);
        assert_true(l->memory_swap_max == 0);
        assert_null(l->io_device);
        assert_true(l->io_read_bandwidth_max == UINT64_MAX);
        assert_true(l->io_write_bandwidth_max == UINT64_MAX);
        assert_null(l->allowed_cpus);
        assert_int_equal(l->allowed_cpus_size, 0);
        assert_true(l->tasks_max == UINT64_MAX);
        assert_true(l->runtime_max_usec == UINT64_MAX);
        assert_true(l->stop_timeout_usec == 10000000);
}

static void test_defaults(void **state) {
        JobLimits l;

        memset(&l, 0x55, sizeof(l));
        job_limits_init(&l);
        assert_defaults(&l);

        set_ok(&l, "MemoryMax", T(1024));
        set_ok(&l, "IODevice", S("/dev/sda"));
        set_ok(&l, "AllowedCPUs", S("1"));
        job_limits_done(&l);
        assert_defaults(&l);
        job_limits_done(&l); /* twice is harmless */
}

static void test_set_each_option(void **state) {
        JobLimits l;

        job_limits_init(&l);

        set_ok(&l, "CPUQuota", D(0.5));
        assert_true(l.cpu_quota_per_sec_usec == 500000);
        set_ok(&l, "CPUQuota", D(0.123));
        assert_true(l.cpu_quota_per_sec_usec == 130000);
        set_ok(&l, "CPUQuota", D(0.2));
        assert_true(l.cpu_quota_per_sec_usec == 200000);
        set_ok(&l, "CPUQuota", D(0.001));
        assert_true(l.cpu_quota_per_sec_usec == 10000);
        set_ok(&l, "CPUQuota", D(1024));
        assert_true(l.cpu_quota_per_sec_usec == UINT64_C(1024000000));

        set_ok(&l, "MemoryMax", T(64 << 20));
        assert_true(l.memory_max == 64 << 20);
        set_ok(&l, "MemorySwapMax", T(0));
        assert_true(l.memory_swap_max == 0);
        set_ok(&l, "MemorySwapMax", T(1 << 30));
        assert_true(l.memory_swap_max == 1 << 30);
        set_ok(&l, "IOReadBandwidthMax", T(10 << 20));
        assert_true(l.io_read_bandwidth_max == 10 << 20);
        set_ok(&l, "IOWriteBandwidthMax", T(5 << 20));
        assert_true(l.io_write_bandwidth_max == 5 << 20);
        set_ok(&l, "TasksMax", T(100));
        assert_true(l.tasks_max == 100);
        set_ok(&l, "RuntimeMaxUSec", T(30 * USEC_PER_SEC));
        assert_true(l.runtime_max_usec == 30 * USEC_PER_SEC);
        set_ok(&l, "StopTimeoutUSec", T(1));
        assert_true(l.stop_timeout_usec == 1);

        set_ok(&l, "IODevice", S("/dev/vda"));
        assert_string_equal(l.io_device, "/dev/vda");
        set_ok(&l, "IODevice", S("/")); /* replaces, no leak (ASan checks) */
        assert_string_equal(l.io_device, "/");

        set_ok(&l, "AllowedCPUs", S("0,2-3"));
        assert_int_equal(l.allowed_cpus_size, 1);
        assert_int_equal(l.allowed_cpus[0], 0x0d);
        set_ok(&l, "AllowedCPUs", S("9"));
        assert_int_equal(l.allowed_cpus_size, 2);
        assert_memory_equal(l.allowed_cpus, ((const uint8_t[]) { 0x00, 0x02 }), 2);

        job_limits_done(&l);
}

static void test_unknown_option(void **state) {
        JobLimits l;

        job_limits_init(&l);
        set_fails(&l, "Bogus", T(1), -EINVAL, "Unknown option 'Bogus'");
        set_fails(&l, "memorymax", T(1), -EINVAL, "Unknown option 'memorymax'");
        set_fails(&l, "", T(1), -EINVAL, "Unknown option ''");
        set_fails(&l, "CPUQuotaPerSecUSec", T(1), -EINVAL, "Unknown option 'CPUQuotaPerSecUSec'");
        assert_defaults(&l);
        /* No message wanted: still the error. */
        assert_int_equal(job_limits_set_option(&l, "Bogus", T(1), NULL), -EINVAL);
        job_limits_done(&l);
}

static void test_wrong_type(void **state) {
        JobLimits l;

        job_limits_init(&l);
        set_fails(&l, "MemoryMax", S("64M"), -EINVAL,
                  "Option 'MemoryMax' must be of D-Bus type 't', got 's'");
        set_fails(&l, "CPUQuota", T(1), -EINVAL,
                  "Option 'CPUQuota' must be of D-Bus type 'd', got 't'");
        set_fails(&l, "IODevice", T(1), -EINVAL,
                  "Option 'IODevice' must be of D-Bus type 's', got 't'");
        set_fails(&l, "AllowedCPUs", &(JobOptionValue) { .type = 'a' }, -EINVAL,
                  "Option 'AllowedCPUs' must be of D-Bus type 's', got 'a'");
        set_fails(&l, "TasksMax", &(JobOptionValue) { .type = 'u' }, -EINVAL,
                  "Option 'TasksMax' must be of D-Bus type 't', got 'u'");
        set_fails(&l, "TasksMax", &(JobOptionValue) { .type = '\0' }, -EINVAL,
                  "Option 'TasksMax' must be of D-Bus type 't', got '?'");
        set_fails(&l, "UserRuntimeDirectory", S("yes"), -EINVAL,
                  "Option 'UserRuntimeDirectory' must be of D-Bus type 'b', got 's'");
        set_fails(&l, "MemoryMax", &(JobOptionValue) { .type = 'b', .b = 1 }, -EINVAL,
                  "Option 'MemoryMax' must be of D-Bus type 't', got 'b'");
        set_ok(&l, "UserRuntimeDirectory", &(JobOptionValue) { .type = 'b', .b = 1 });
        assert_true(l.user_runtime_directory);
        set_ok(&l, "UserRuntimeDirectory", &(JobOptionValue) { .type = 'b', .b = 0 });
        assert_false(l.user_runtime_directory);

        /* Every option refuses every other type. */
        for (const JobOptionInfo *i = job_option_table; i->name; i++)
                for (const char *t = "dtsb"; *t; t++) {
                        JobOptionValue v = { .type = *t, .s = "/" };

                        if (*t == i->type)
                                continue;
                        set_fails(&l, i->name, &v, -EINVAL, NULL);
                }

        assert_defaults(&l);
        job_limits_done(&l);
}

static void test_zero(void **state) {
        JobLimits l;

        job_limits_init(&l);
        set_fails(&l, "MemoryMax", T(0), -EINVAL, "MemoryMax must be greater than 0");
        set_fails(&l, "IOReadBandwidthMax", T(0), -EINVAL, "IOReadBandwidthMax must be greater than 0");
        set_fails(&l, "IOWriteBandwidthMax", T(0), -EINVAL, "IOWriteBandwidthMax must be greater than 0");
        set_fails(&l, "TasksMax", T(0), -EINVAL, "TasksMax must be greater than 0");
        set_fails(&l, "RuntimeMaxUSec", T(0), -EINVAL, "RuntimeMaxUSec must be greater than 0");
        set_fails(&l, "StopTimeoutUSec", T(0), -EINVAL, "StopTimeoutUSec must be greater than 0");
        set_fails(&l, "CPUQuota", D(0), -EINVAL, "CPUQuota must be greater than 0");
        set_fails(&l, "CPUQuota", D(-0.5), -EINVAL, "CPUQuota must be greater than 0");
        set_fails(&l, "CPUQuota", D(-0.0), -EINVAL, "CPUQuota must be greater than 0");
        assert_defaults(&l);
        job_limits_done(&l);
}

static void test_absurd(void **state) {
        JobLimits l;

        job_limits_init(&l);

        /* Exactly at the cap is fine, one above is not. */
        set_ok(&l, "MemoryMax", T(UINT64_C(1) << 62));
        set_fails(&l, "MemoryMax", T((UINT64_C(1) << 62) + 1), -ERANGE,
                  "MemoryMax of 4611686018427387905 is more than the maximum of 4 EiB");
        set_fails(&l, "MemoryMax", T(UINT64_MAX), -ERANGE, NULL);
        assert_true(l.memory_max == UINT64_C(1) << 62); /* unchanged by the failures */

        set_ok(&l, "MemorySwapMax", T(JOB_MEMORY_MAX));
        set_fails(&l, "MemorySwapMax", T(JOB_MEMORY_MAX + 1), -ERANGE, NULL);
        set_ok(&l, "IOReadBandwidthMax", T(JOB_IO_BANDWIDTH_MAX));
        set_fails(&l, "IOReadBandwidthMax", T(JOB_IO_BANDWIDTH_MAX + 1), -ERANGE, NULL);
        set_ok(&l, "IOWriteBandwidthMax", T(JOB_IO_BANDWIDTH_MAX));
        set_fails(&l, "IOWriteBandwidthMax", T(UINT64_MAX), -ERANGE, NULL);

        set_ok(&l, "TasksMax", T(4194304));
        set_fails(&l, "TasksMax", T(4194305), -ERANGE,
                  "TasksMax of 4194305 is more than the maximum of 4194304");

        set_ok(&l, "RuntimeMaxUSec", T(UINT64_C(31536000000000)));
        set_fails(&l, "RuntimeMaxUSec", T(UINT64_C(31536000000001)), -ERANGE,
                  "RuntimeMaxUSec of 31536000000001 is more than the maximum of 1 year");
        set_ok(&l, "StopTimeoutUSec", T(JOB_TIMEOUT_MAX_USEC));
        set_fails(&l, "StopTimeoutUSec", T(JOB_TIMEOUT_MAX_USEC + 1), -ERANGE, NULL);
        set_fails(&l, "StopTimeoutUSec", T(UINT64_MAX), -ERANGE, NULL);

        set_fails(&l, "CPUQuota", D(1024.01), -ERANGE,
                  "CPUQuota of 1024.01 CPUs is more than the maximum of 1024 CPUs");
        set_fails(&l, "CPUQuota", D(1e300), -ERANGE, NULL);
        set_fails(&l, "CPUQuota", D(NAN), -ERANGE, "CPUQuota must be a finite number");
        set_fails(&l, "CPUQuota", D(INFINITY), -ERANGE, "CPUQuota must be a finite number");
        set_fails(&l, "CPUQuota", D(-INFINITY), -ERANGE, "CPUQuota must be a finite number");

        job_limits_done(&l);
}

static void test_io_device(void **state) {
        static const char *const good[] = {
                "/", "/dev/sda", "/dev/disk/by-id/x", "/var/lib/jobs", "/a..b", "/.hidden", "/a/...",
        };
        static const char *const bad[] = {
                "", "dev/sda", "./dev", "//", "//dev", "/dev//sda", "/dev/", "/dev/sda/",
                "/.", "/..", "/dev/../etc", "/a/./b", "/a/.", "/a/..", "/dev/sd\na", "/dev/\x7f",
        };
        char long_path[5000];
        JobLimits l;

        job_limits_init(&l);

        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                set_ok(&l, "IODevice", S(good[i]));
                assert_string_equal(l.io_device, good[i]);
        }

        set_ok(&l, "IODevice", S("/dev/keep"));
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                print_message("IODevice '%s' must be refused\n", bad[i]);
                set_fails(&l, "IODevice", S(bad[i]), -EINVAL, NULL);
        }
        set_fails(&l, "IODevice", S("dev/sda"), -EINVAL,
                  "IODevice must be an absolute, normalized path (no '.', '..', '//' or "
                  "trailing '/'), got 'dev/sda'");

        long_path[0] = '/';
        memset(long_path + 1, 'a', sizeof(long_path) - 2);
        long_path[sizeof(long_path) - 1] = '\0';
        set_fails(&l, "IODevice", S(long_path), -EINVAL, "IODevice path is too long");

        assert_string_equal(l.io_device, "/dev/keep"); /* unchanged by the failures */
        job_limits_done(&l);
}

static void test_allowed_cpus(void **state) {
        JobLimits l;

        job_limits_init(&l);
        set_ok(&l, "AllowedCPUs", S("0-1"));
        set_fails(&l, "AllowedCPUs", S(""), -EINVAL,
                  "AllowedCPUs must be a list of CPUs such as '0,2-3', got ''");
        set_fails(&l, "AllowedCPUs", S("3-2"), -EINVAL, NULL);
        set_fails(&l, "AllowedCPUs", S("a"), -EINVAL, NULL);
        set_fails(&l, "AllowedCPUs", S("8192"), -ERANGE,
                  "AllowedCPUs names a CPU numbered 8192 or higher");
        assert_int_equal(l.allowed_cpus_size, 1);
        assert_int_equal(l.allowed_cpus[0], 0x03); /* unchanged by the failures */
        job_limits_done(&l);
}

static void test_root_options(void **state) {
        _cleanup_(job_limits_done) JobLimits l;
        char *message = NULL;

        job_limits_init(&l);
        assert_null(l.root_directory);
        assert_false(l.host_system);
        assert_false(l.private_tmp);
        assert_int_equal(job_limits_check(&l, NULL), 0);

        set_ok(&l, "RootDirectory", S("/home/alice/root"));
        assert_string_equal(l.root_directory, "/home/alice/root");
        set_ok(&l, "RootDirectory", S("/srv/r:1"));
        assert_string_equal(l.root_directory, "/srv/r:1");
        set_fails(&l, "RootDirectory", S("root"), -EINVAL,
                  "RootDirectory must be an absolute, normalized path (no '.', '..', '//' or "
                  "trailing '/'), got 'root'");
        set_fails(&l, "RootDirectory", S("/a/../b"), -EINVAL,
                  "RootDirectory must be an absolute, normalized path (no '.', '..', '//' or "
                  "trailing '/'), got '/a/../b'");
        set_fails(&l, "RootDirectory", S("/a/"), -EINVAL,
                  "RootDirectory must be an absolute, normalized path (no '.', '..', '//' or "
                  "trailing '/'), got '/a/'");
        set_fails(&l, "RootDirectory", S(""), -EINVAL,
                  "RootDirectory must be an absolute, normalized path (no '.', '..', '//' or "
                  "trailing '/'), got ''");
        set_fails(&l, "RootDirectory", S("/a\nb"), -EINVAL, "RootDirectory path contains control characters");
        set_fails(&l, "RootDirectory", &(JobOptionValue) { .type = 'b', .b = 1 }, -EINVAL,
                  "Option 'RootDirectory' must be of D-Bus type 's', got 'b'");
        assert_string_equal(l.root_directory, "/srv/r:1");   /* unchanged by refusals */

        set_ok(&l, "HostSystem", &(JobOptionValue) { .type = 'b', .b = 1 });
        assert_true(l.host_system);
        assert_false(l.private_tmp);
        assert_false(l.user_runtime_directory);
        set_ok(&l, "PrivateTmp", &(JobOptionValue) { .type = 'b', .b = 1 });
        assert_true(l.private_tmp);
        set_fails(&l, "HostSystem", S("yes"), -EINVAL, "Option 'HostSystem' must be of D-Bus type 'b', got 's'");
        assert_int_equal(job_limits_check(&l, NULL), 0);

        /* HostSystem without a root means nothing: refused, not ignored. */
        free(l.root_directory);
        l.root_directory = NULL;
        assert_int_equal(job_limits_check(&l, &message), -EINVAL);
        assert_string_equal(message,
                            "HostSystem binds the host's system directories into a RootDirectory; none was given");
        free(message);
        l.host_system = false;
        assert_int_equal(job_limits_check(&l, NULL), 0);      /* PrivateTmp alone is fine */
}

static void test_option_table(void **state) {
        static const struct {
                const char *name;
                char type;
                const char *flag;
        } expected[] = {
                { "CPUQuota",            'd', "cpu" },
                { "MemoryMax",           't', "memory" },
                { "MemorySwapMax",       't', "memory-swap" },
                { "IOReadBandwidthMax",  't', "io-read" },
                { "IOWriteBandwidthMax", 't', "io-write" },
                { "IODevice",            's', "io-device" },
                { "AllowedCPUs",         's', "cpus" },
                { "TasksMax",            't', "tasks-max" },
                { "RuntimeMaxUSec",      't', "runtime-max" },
                { "StopTimeoutUSec",     't', "stop-timeout" },
                { "UserRuntimeDirectory", 'b', "user-runtime-dir" },
                { "RootDirectory",       's', "root" },
                { "HostSystem",          'b', "host-system" },
                { "PrivateTmp",          'b', "private-tmp" },
        };
        size_t n = 0;

        for (const JobOptionInfo *i = job_option_table; i->name; i++, n++) {
                assert_true(n < ELEMENTSOF(expected));
                assert_string_equal(i->name, expected[n].name);
                assert_int_equal(i->type, expected[n].type);
                assert_string_equal(i->cli_flag, expected[n].flag);
                assert_non_null(i->cli_metavar);
                assert_true(i->help && *i->help);
                assert_ptr_equal(job_option_info_by_name(i->name), i);
                assert_ptr_equal(job_option_info_by_cli_flag(i->cli_flag), i);
        }
        assert_int_equal(n, ELEMENTSOF(expected));

        assert_null(job_option_info_by_name("Bogus"));
        assert_null(job_option_info_by_name("memory"));
        assert_null(job_option_info_by_cli_flag("MemoryMax"));
        assert_null(job_option_info_by_cli_flag("--memory"));
        assert_null(job_option_info_by_name(NULL));
}

/* The CLI's path: --flag=TEXT → typed value → daemon validation → limits. */
static void cli_ok(JobLimits *l, const char *flag, const char *text) {
        const JobOptionInfo *info = job_option_info_by_cli_flag(flag);
        _cleanup_free_ char *msg = NULL;
        JobOptionValue v;

        assert_non_null(info);
        assert_int_equal(job_option_value_from_cli(info, text, &v, &msg), 0);
        assert_null(msg);
        assert_int_equal(v.type, info->type);
        set_ok(l, info->name, &v);
}

static void cli_fails(const char *flag, const char *text, int error, const char *expected_message) {
        const JobOptionInfo *info = job_option_info_by_cli_flag(flag);
        _cleanup_free_ char *msg = NULL;
        JobOptionValue v = { .type = 'x' };

        assert_non_null(info);
        assert_int_equal(job_option_value_from_cli(info, text, &v, &msg), error);
        assert_int_equal(v.type, 'x');
        assert_non_null(msg);
        assert_string_equal(msg, expected_message);
}

static void test_cli_values(void **state) {
        JobLimits l;

        job_limits_init(&l);
        cli_ok(&l, "cpu", "50%");
        assert_true(l.cpu_quota_per_sec_usec == 500000);
        cli_ok(&l, "cpu", "0.123");
        assert_true(l.cpu_quota_per_sec_usec == 130000);
        cli_ok(&l, "memory", "64M");
        assert_true(l.memory_max == UINT64_C(64) << 20);
        cli_ok(&l, "memory-swap", "0");
        assert_true(l.memory_swap_max == 0);
        cli_ok(&l, "io-read", "10M/s");
        assert_true(l.io_read_bandwidth_max == UINT64_C(10) << 20);
        cli_ok(&l, "io-write", "1.5G");
        assert_true(l.io_write_bandwidth_max == UINT64_C(3) << 29);
        cli_ok(&l, "io-device", "/dev/vda");
        assert_string_equal(l.io_device, "/dev/vda");
        cli_ok(&l, "cpus", "0,2-3");
        assert_int_equal(l.allowed_cpus[0], 0x0d);
        cli_ok(&l, "tasks-max", "64");
        assert_true(l.tasks_max == 64);
        cli_ok(&l, "runtime-max", "1.5");
        assert_true(l.runtime_max_usec == 1500000);
        cli_ok(&l, "stop-timeout", "250ms");
        assert_true(l.stop_timeout_usec == 250000);
        assert_false(l.user_runtime_directory);
        cli_ok(&l, "user-runtime-dir", "yes");
        assert_true(l.user_runtime_directory);
        cli_ok(&l, "user-runtime-dir", "off");
        assert_false(l.user_runtime_directory);
        cli_ok(&l, "user-runtime-dir", "TRUE");
        assert_true(l.user_runtime_directory);
        job_limits_done(&l);

        cli_fails("memory", "64 MB", -EINVAL, "--memory: '64 MB' is not a valid size (e.g. 512M)");
        cli_fails("memory", "99999999999T", -ERANGE, "--memory: '99999999999T' is out of range");
        cli_fails("cpu", "half", -EINVAL, "--cpu: 'half' is not a valid fraction of a CPU (e.g. 0.5 or 50%)");
        cli_fails("cpu", "0", -ERANGE, "--cpu: '0' must be greater than 0");
        cli_fails("io-read", "fast", -EINVAL, "--io-read: 'fast' is not a valid rate (e.g. 10M/s)");
        cli_fails("tasks-max", "-1", -EINVAL, "--tasks-max: '-1' is not a valid number");
        cli_fails("user-runtime-dir", "maybe", -EINVAL,
                  "--user-runtime-dir: 'maybe' is not a valid boolean (yes or no)");
        cli_fails("user-runtime-dir", "", -EINVAL,
                  "--user-runtime-dir: '' is not a valid boolean (yes or no)");
        cli_fails("runtime-max", "1x", -EINVAL,
                  "--runtime-max: '1x' is not a valid duration (e.g. 1.5, 250ms, 2min)");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_set_each_option),
                cmocka_unit_test(test_unknown_option),
                cmocka_unit_test(test_wrong_type),
                cmocka_unit_test(test_zero),
                cmocka_unit_test(test_absurd),
                cmocka_unit_test(test_io_device),
                cmocka_unit_test(test_allowed_cpus),
                cmocka_unit_test(test_option_table),
                cmocka_unit_test(test_cli_values),
                cmocka_unit_test(test_root_options),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
