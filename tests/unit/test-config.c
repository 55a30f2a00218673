/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworkerd.conf (config.c): the file list and precedence, every key, and
 * that a bad value rejects the whole configuration with file, line and key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "macro.h"

static void test_defaults(void **state) {
        Settings s;

        settings_init(&s);
        assert_int_equal(s.max_running_per_user, 64);
        assert_int_equal(s.max_finished_per_user, 100);
        assert_true(s.default_stop_timeout_usec == 10 * USEC_PER_SEC);
        assert_true(s.defaults.memory_max == UINT64_MAX);
        assert_true(s.ceilings.cpu_quota_per_sec_usec == UINT64_MAX);
        assert_false(settings_have_user_slice(&s));
        settings_done(&s);
}

static void test_every_key(void **state) {
        _cleanup_(settings_donep) Settings *sp = NULL;
        ConfigError e = {};
        Settings s;

        settings_init(&s);
        sp = &s;
        assert_int_equal(config_parse_text(&s, "t.conf",
                                           "# comment\n"
                                           "; another\n"
                                           "[Jobs]\n"
                                           "MaxRunningPerUser = 3\n"
                                           "DefaultStopTimeoutSec=2min\n"
                                           "DefaultMemoryMax=512M\n"
                                           "DefaultCPUQuota=50%\n"
                                           "DefaultTasksMax=100\n"
                                           "FinishedRetentionSec=30\n"
                                           "MaxFinishedPerUser=7\n"
                                           "\n"
                                           "[Ceilings]\n"
                                           "MemoryMax=1G\n"
                                           "CPUQuota=2\n"
                                           "TasksMax=200\n"
                                           "RuntimeMaxSec=1h\n"
                                           "IOReadBandwidthMax=10M/s\n"
                                           "IOWriteBandwidthMax=5M\n"
                                           "[UserSlice]\n"
                                           "MemoryMax=8G\n"
                                           "CPUQuota=400%\n"
                                           "TasksMax=20\n"
                                           "IOWeight=50\n", &e), 0);
        assert_int_equal(s.max_running_per_user, 3);
        assert_true(s.default_stop_timeout_usec == 120 * USEC_PER_SEC);
        assert_true(s.defaults.memory_max == 512ULL << 20);
        assert_true(s.defaults.cpu_quota_per_sec_usec == 500000);
        assert_true(s.defaults.tasks_max == 100);
        assert_true(s.finished_retention_usec == 30 * USEC_PER_SEC);
        assert_int_equal(s.max_finished_per_user, 7);
        assert_true(s.ceilings.memory_max == 1ULL << 30);
        assert_true(s.ceilings.cpu_quota_per_sec_usec == 2000000);
        assert_true(s.ceilings.tasks_max == 200);
        assert_true(s.ceilings.runtime_max_usec == 3600 * USEC_PER_SEC);
        assert_true(s.ceilings.io_read_bandwidth_max == 10ULL << 20);
        assert_true(s.ceilings.io_write_bandwidth_max == 5ULL << 20);
        assert_true(s.user_slice_memory_max == 8ULL << 30);
        assert_true(s.user_slice_cpu_quota_per_sec_usec == 4000000);
        assert_true(s.user_slice_tasks_max == 20);
        assert_true(s.user_slice_io_weight == 50);
        assert_true(settings_have_user_slice(&s));

        /* A later text overrides; empty resets; infinity lifts. */
        assert_int_equal(config_parse_text(&s, "u.conf",
                                           "[Jobs]\nMaxRunningPerUser=\nDefaultMemoryMax=infinity\n"
                                           "[Ceilings]\nTasksMax=infinity\n", &e), 0);
        assert_int_equal(s.max_running_per_user, 64);
        assert_true(s.defaults.memory_max == UINT64_MAX);
        assert_true(s.ceilings.tasks_max == UINT64_MAX);
        assert_true(s.ceilings.memory_max == 1ULL << 30);
}

/* Each bad text: refused, s unchanged, the error names line and key. */
static void check_bad(const char *text, unsigned line, const char *key) {
        ConfigError e = {};
        Settings s;

        settings_init(&s);
        s.max_running_per_user = 5;
        assert_int_not_equal(config_parse_text(&s, "bad.conf", text, &e), 0);
        assert_int_equal(s.max_running_per_user, 5);
        assert_non_null(e.message);
        assert_string_equal(e.file, "bad.conf");
        assert_int_equal(e.line, line);
        if (key) {
                assert_non_null(e.key);
                assert_string_equal(e.key, key);
        } else
                assert_null(e.key);
        config_error_done(&e);
        settings_done(&s);
}

static void test_bad(void **state) {
        check_bad("[Jobs]\nMaxRunningPerUser=2\nMaxRunningPerUser=0\n", 3, "MaxRunningPerUser");
        check_bad("[Jobs]\nMaxRunningPerUser=-1\n", 2, "MaxRunningPerUser");
        check_bad("[Jobs]\nMaxRunningPerUser=1 \nDefaultMemoryMax=12Q\n", 3, "DefaultMemoryMax");
        check_bad("[Jobs]\nMaxRunningPerUser=infinity\n", 2, "MaxRunningPerUser");
        check_bad("[Jobs]\nDefaultCPUQuota=0\n", 2, "DefaultCPUQuota");
        check_bad("[Jobs]\nDefaultCPUQuota=2000\n", 2, "DefaultCPUQuota");
        check_bad("[Jobs]\nDefaultStopTimeoutSec=0\n", 2, "DefaultStopTimeoutSec");
        check_bad("[Jobs]\nFinishedRetentionSec=1y\n", 2, "FinishedRetentionSec");
        check_bad("[Ceilings]\nTasksMax=4194305\n", 2, "TasksMax");
        check_bad("[UserSlice]\nIOWeight=10001\n", 2, "IOWeight");
        check_bad("[Jobs]\nNoSuchKey=1\n", 2, "NoSuchKey");
        check_bad("MaxRunningPerUser=1\n", 1, "MaxRunningPerUser");
        check_bad("[Jobs]\n\n[Nope]\n", 3, NULL);
        check_bad("[Jobs]\n[Network lab]\n", 2, NULL);
        check_bad("[Jobs \"x\"]\n", 1, NULL);
        check_bad("[Jobs]\njust words\n", 2, NULL);
        check_bad("[Jobs\nMaxRunningPerUser=1\n", 1, NULL);
        /* Inline comments are not comments (systemd has none). */
        check_bad("[Jobs]\nMaxRunningPerUser=2 ; two\n", 2, "MaxRunningPerUser");
        /* A line too long for inih is refused, not split in two. */
        char longline[400];
        snprintf(longline, sizeof longline, "[Jobs]\nMaxRunningPerUser=%0300d\n", 1);
        check_bad(longline, 2, NULL);
}

static int count_section(const ConfigSection *c, void *userdata) {
        (*(size_t *) userdata) += c->n_entries;
        return 0;
}

static void test_network_sections(void **state) {
        ConfigError e = {};
        Settings s;
        size_t n = 0;

        settings_init(&s);
        assert_int_equal(config_parse_text(&s, "n.conf",
                                           "[Network \"lab\"]\nBridge=br0\nSubnet=10.0.0.0/24\n"
                                           "[Network \"other\"]\nBridge=br1\n"
                                           "[Network \"lab\"]\nBridge=br2\n", &e), 0);
        assert_int_equal(s.n_sections, 2);
        assert_string_equal(s.sections[0].name, "Network");
        assert_string_equal(s.sections[0].argument, "lab");
        assert_int_equal(s.sections[0].n_entries, 3);
        assert_string_equal(s.sections[0].entries[2].value, "br2");
        assert_int_equal(s.sections[0].entries[2].line, 7);
        assert_string_equal(s.sections[0].entries[0].file, "n.conf");
        assert_int_equal(config_sections_foreach(&s, "Network", count_section, &n), 0);
        assert_int_equal(n, 4);
        settings_done(&s);
}

static char tmp[64];

static void write_file(const char *rel, const char *text) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", tmp, rel);
        FILE *f = fopen(path, "we");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void make_dir(const char *rel) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", tmp, rel);
        assert_int_equal(mkdir(path, 0755), 0);
}

static void test_files(void **state) {
        char etc[128], run[128], lib[128], link[256];
        const char *dirs[] = { etc, run, lib, NULL };
        _cleanup_strv_free_ char **files = NULL;
        ConfigError e = {};
        Settings s;

        strcpy(tmp, "/tmp/test-config-XXXXXX");
        assert_non_null(mkdtemp(tmp));
        snprintf(etc, sizeof etc, "%s/etc", tmp);
        snprintf(run, sizeof run, "%s/run", tmp);
        snprintf(lib, sizeof lib, "%s/lib", tmp);
        make_dir("etc");
        make_dir("run");
        make_dir("lib");
        make_dir("etc/jobworkerd.conf.d");
        make_dir("run/jobworkerd.conf.d");
        make_dir("lib/jobworkerd.conf.d");

        /* Main file: the first directory that has one (lib's is unused). */
        write_file("run/jobworkerd.conf", "[Jobs]\nMaxRunningPerUser=2\nMaxFinishedPerUser=9\n");
        write_file("lib/jobworkerd.conf", "[Jobs]\nMaxRunningPerUser=99\n");
        /* Drop-ins by name; etc's 50 masks run's 50; lib's 10 applies first. */
        write_file("lib/jobworkerd.conf.d/10-a.conf", "[Jobs]\nMaxRunningPerUser=3\nDefaultTasksMax=10\n");
        write_file("run/jobworkerd.conf.d/50-b.conf", "[Jobs]\nMaxRunningPerUser=77\n");
        write_file("etc/jobworkerd.conf.d/50-b.conf", "[Jobs]\nMaxRunningPerUser=4\n");
        /* /dev/null and empty mask; other names are not drop-ins. */
        write_file("lib/jobworkerd.conf.d/60-c.conf", "[Jobs]\nMaxRunningPerUser=66\n");
        snprintf(link, sizeof link, "%s/etc/jobworkerd.conf.d/60-c.conf", tmp);
        assert_int_equal(symlink("/dev/null", link), 0);
        write_file("run/jobworkerd.conf.d/70-d.conf", "");
        write_file("lib/jobworkerd.conf.d/70-d.conf", "[Jobs]\nMaxRunningPerUser=55\n");
        write_file("etc/jobworkerd.conf.d/80-e.conf.bak", "garbage");
        write_file("etc/jobworkerd.conf.d/.90-f.conf", "garbage");

        assert_int_equal(config_files_list(dirs, &files), 0);
        assert_non_null(files[0]);
        assert_non_null(strstr(files[0], "/run/jobworkerd.conf"));
        assert_non_null(strstr(files[1], "/lib/jobworkerd.conf.d/10-a.conf"));
        assert_non_null(strstr(files[2], "/etc/jobworkerd.conf.d/50-b.conf"));
        assert_null(files[3]);

        settings_init(&s);
        assert_int_equal(config_load(dirs, &s, &e), 0);
        assert_int_equal(s.max_running_per_user, 4);
        assert_int_equal(s.max_finished_per_user, 9);
        assert_true(s.defaults.tasks_max == 10);

        /* A bad drop-in: nothing of the new configuration is taken. */
        write_file("etc/jobworkerd.conf.d/55-bad.conf", "[Jobs]\nMaxFinishedPerUser=1\n\nDefaultTasksMax=lots\n");
        s.max_running_per_user = 1;
        assert_int_equal(config_load(dirs, &s, &e), -EINVAL);
        assert_int_equal(s.max_running_per_user, 1);
        assert_int_equal(s.max_finished_per_user, 9);
        assert_non_null(strstr(e.file, "55-bad.conf"));
        assert_int_equal(e.line, 4);
        assert_string_equal(e.key, "DefaultTasksMax");
        config_error_done(&e);
        settings_done(&s);

        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
        assert_int_equal(system(cmd), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_bad),
                cmocka_unit_test(test_network_sections),
                cmocka_unit_test(test_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
