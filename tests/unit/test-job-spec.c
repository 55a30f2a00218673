/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A StartJob call's spec (job-spec.c): its arguments read from a message,
 * the checks that need no caller, and the job's environment. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <cmocka.h>

#include "bus-names.h"
#include "job-spec.h"
#include "shim-spec.h"
#include "macro.h"

static size_t strv_length(char **l) {
        size_t n = 0;

        while (l && l[n])
                n++;
        return n;
}

static const JobSpecUser alice = {
        .uid = 1000, .name = "alice", .home = "/home/alice", .shell = "/bin/bash",
};

static void test_environment_identity(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **env = NULL;

        assert_int_equal(job_spec_build_environment(&alice, NULL, &env, &error), 0);
        assert_int_equal(strv_length(env), 5);
        assert_string_equal(env[0], "PATH=/usr/local/bin:/usr/bin:/bin");
        assert_string_equal(env[1], "HOME=/home/alice");
        assert_string_equal(env[2], "USER=alice");
        assert_string_equal(env[3], "LOGNAME=alice");
        assert_string_equal(env[4], "SHELL=/bin/bash");
}

static void test_environment_root_and_defaults(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **env = NULL, **env2 = NULL;
        JobSpecUser root = { .uid = 0, .name = "root", .home = "", .shell = NULL };

        assert_int_equal(job_spec_build_environment(&root, NULL, &env, &error), 0);
        assert_string_equal(env[0], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        /* An empty home or shell in passwd: "/" and /bin/sh. */
        assert_string_equal(env[1], "HOME=/");
        assert_string_equal(env[4], "SHELL=/bin/sh");

        /* A field too long for an entry is left out, not cut. */
        char *home = malloc(5000);
        assert_non_null(home);
        memset(home, 'h', 4999);
        home[0] = '/';
        home[4999] = '\0';
        JobSpecUser big = alice;
        big.home = home;
        assert_int_equal(job_spec_build_environment(&big, NULL, &env2, &error), 0);
        assert_int_equal(strv_length(env2), 4);
        for (char **e = env2; *e; e++)
                assert_true(strncmp(*e, "HOME=", 5) != 0);
        free(home);
}

static void test_environment_overrides(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **env = NULL;
        char *passed[] = { "HOME=/tmp", "FOO=1", "PATH=/opt/bin", "FOO=2", "EMPTY=", "X==y", NULL };

        assert_int_equal(job_spec_build_environment(&alice, passed, &env, &error), 0);
        /* What the caller passes wins, in place; the last of a name wins;
         * new names follow in order. */
        assert_int_equal(strv_length(env), 8);
        assert_string_equal(env[0], "PATH=/opt/bin");
        assert_string_equal(env[1], "HOME=/tmp");
        assert_string_equal(env[2], "USER=alice");
        assert_string_equal(env[5], "FOO=2");
        assert_string_equal(env[6], "EMPTY=");
        assert_string_equal(env[7], "X==y");
}

static void test_env_set_prefix(void **state) {
        _cleanup_strv_free_ char **env = NULL;

        /* A name that is a prefix of another is a different name. */
        assert_int_equal(job_spec_env_set(&env, "FOOBAR=1"), 0);
        assert_int_equal(job_spec_env_set(&env, "FOO=2"), 0);
        assert_int_equal(job_spec_env_set(&env, "FOOBAR=3"), 0);
        assert_int_equal(strv_length(env), 2);
        assert_string_equal(env[0], "FOOBAR=3");
        assert_string_equal(env[1], "FOO=2");
}

static void expect_invalid_environment(const char *entry) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL, error2 = SD_BUS_ERROR_NULL;
        _cleanup_strv_free_ char **env = NULL;
        char *argv[] = { "true", NULL };
        char *passed[] = { "GOOD=1", (char *) entry, NULL };
        char expected[256];
        JobSpec spec = { .argv = argv, .environment = passed };

        job_limits_init(&spec.limits);
        snprintf(expected, sizeof expected, "Invalid environment entry \"%s\": expected NAME=VALUE.", entry);

        assert_true(job_spec_validate(&spec, &error) < 0);
        assert_string_equal(error.name, JOBWORKER_ERROR_INVALID_ARGUMENT);
        assert_string_equal(error.message, expected);

        assert_true(job_spec_build_environment(&alice, passed, &env, &error2) < 0);
        assert_null(env);
        assert_string_equal(error2.name, JOBWORKER_ERROR_INVALID_ARGUMENT);
        assert_string_equal(error2.message, expected);
}

static void test_environment_invalid(void **state) {
        expect_invalid_environment("FOO");
        expect_invalid_environment("=x");
        expect_invalid_environment("1A=x");
        expect_invalid_environment("A-B=x");
        expect_invalid_environment("");
}

static void expect_spec_error(char **argv, const char *workdir, const char *error_name, const char *message) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        JobSpec spec = { .argv = argv, .working_directory = (char *) workdir };

        job_limits_init(&spec.limits);
        assert_true(job_spec_validate(&spec, &error) < 0);
        assert_string_equal(error.name, error_name);
        assert_string_equal(error.message, message);
}

static void test_validate(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *none[] = { NULL };
        char *empty_name[] = { "", "x", NULL };
        char *argv[] = { "true", NULL };

        expect_spec_error(NULL, NULL, JOBWORKER_ERROR_INVALID_ARGUMENT, "The command line is empty.");
        expect_spec_error(none, NULL, JOBWORKER_ERROR_INVALID_ARGUMENT, "The command line is empty.");
        expect_spec_error(empty_name, NULL, JOBWORKER_ERROR_INVALID_ARGUMENT, "The command name is empty.");
        expect_spec_error(argv, "tmp", JOBWORKER_ERROR_INVALID_OPTION,
                          "Working directory \"tmp\" is not an absolute path.");
        expect_spec_error(argv, "./tmp", JOBWORKER_ERROR_INVALID_OPTION,
                          "Working directory \"./tmp\" is not an absolute path.");

        JobSpec spec = { .argv = argv, .working_directory = "/tmp" };
        job_limits_init(&spec.limits);
        assert_int_equal(job_spec_validate(&spec, &error), 0);
        spec.working_directory = NULL;
        assert_int_equal(job_spec_validate(&spec, &error), 0);
        assert_false(sd_bus_error_is_set(&error));
}

static void test_validate_cpus(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        char *argv[] = { "true", NULL };
        char *message = NULL;
        JobSpec spec = { .argv = argv };
        JobOptionValue v = { .type = 's', .s = "4095" };

        /* A CPU this host does not have (nobody has 4096 configured here). */
        job_limits_init(&spec.limits);
        assert_int_equal(job_limits_set_option(&spec.limits, "AllowedCPUs", &v, &message), 0);
        assert_true(job_spec_validate(&spec, &error) < 0);
        assert_string_equal(error.name, JOBWORKER_ERROR_INVALID_ARGUMENT);
        assert_non_null(strstr(error.message, "AllowedCPUs names CPU 4095, but this host has CPUs 0-"));
        job_limits_done(&spec.limits);
}

/* A StartJob message as a client would send it, ready to be read. */
typedef struct Bus {
        sd_bus *bus;
        int other_fd;
} Bus;

static void bus_setup(Bus *b) {
        int fds[2];

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        assert_true(sd_bus_new(&b->bus) >= 0);
        assert_true(sd_bus_set_fd(b->bus, fds[0], fds[0]) >= 0);
        assert_true(sd_bus_set_anonymous(b->bus, 1) >= 0);
        assert_true(sd_bus_start(b->bus) >= 0);
        b->other_fd = fds[1];
}

static void bus_teardown(Bus *b) {
        /* Never sent: nothing to flush (the other end never answers). */
        sd_bus_close_unref(b->bus);
        close(b->other_fd);
}

static sd_bus_message *new_call(Bus *b) {
        sd_bus_message *m;

        assert_true(sd_bus_message_new_method_call(b->bus, &m, JOBWORKER_BUS_NAME, JOBWORKER_MANAGER_PATH,
                                                   JOBWORKER_MANAGER_INTERFACE, "StartJob") >= 0);
        return m;
}

static void seal(sd_bus_message *m) {
        assert_true(sd_bus_message_seal(m, 1, 0) >= 0);
}

static void append_ay(sd_bus_message *m, const void *p, size_t n) {
        assert_true(sd_bus_message_append_array(m, 'y', p, n) >= 0);
}

static void test_read(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(job_spec_done) JobSpec spec = {};
        Bus b;
        sd_bus_message *m;

        bus_setup(&b);
        m = new_call(&b);
        assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
        append_ay(m, "sleep", 5);
        append_ay(m, "1\0", 2);   /* one trailing NUL is dropped */
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
        append_ay(m, "A=b", 3);
        assert_true(sd_bus_message_close_container(m) >= 0);
        append_ay(m, "/tmp", 4);
        assert_true(sd_bus_message_append(m, "a{sv}", 2, "MemoryMax", "t", (uint64_t) 1 << 20,
                                          "UserRuntimeDirectory", "b", 1) >= 0);
        seal(m);

        job_spec_init(&spec);
        assert_int_equal(job_spec_read(&spec, m, &error), 0);
        assert_int_equal(strv_length(spec.argv), 2);
        assert_string_equal(spec.argv[0], "sleep");
        assert_string_equal(spec.argv[1], "1");
        assert_int_equal(strv_length(spec.environment), 1);
        assert_string_equal(spec.environment[0], "A=b");
        assert_string_equal(spec.working_directory, "/tmp");
        assert_int_equal(spec.limits.memory_max, 1 << 20);
        assert_true(spec.limits.user_runtime_directory);
        assert_int_equal(spec.args_bytes, 6 + 2 + 4 + 5);
        assert_int_equal(job_spec_validate(&spec, &error), 0);

        /* Read again (the message is rewound), into a fresh spec. */
        job_spec_done(&spec);
        assert_int_equal(job_spec_read(&spec, m, &error), 0);
        assert_string_equal(spec.argv[0], "sleep");

        sd_bus_message_unref(m);
        bus_teardown(&b);
}

/* The message: argv ["true"], environment env (n_env entries of len bytes),
 * workdir, then one option of the given signature (NULL: none). */
static void expect_read_error(const void *arg, size_t arg_len, const char *option, const char *sig,
                              const char *error_name, const char *message) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(job_spec_done) JobSpec spec = {};
        Bus b;
        sd_bus_message *m;

        bus_setup(&b);
        m = new_call(&b);
        assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
        append_ay(m, arg, arg_len);
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        append_ay(m, "", 0);
        assert_true(sd_bus_message_open_container(m, 'a', "{sv}") >= 0);
        if (option) {
                assert_true(sd_bus_message_open_container(m, 'e', "sv") >= 0);
                assert_true(sd_bus_message_append(m, "s", option) >= 0);
                assert_true(sd_bus_message_open_container(m, 'v', sig) >= 0);
                if (strcmp(sig, "as") == 0)
                        assert_true(sd_bus_message_append(m, "as", 1, "x") >= 0);
                else if (strcmp(sig, "u") == 0)
                        assert_true(sd_bus_message_append(m, "u", 5) >= 0);
                else if (strcmp(sig, "s") == 0)
                        assert_true(sd_bus_message_append(m, "s", "rel") >= 0);
                else
                        assert_true(sd_bus_message_append(m, "t", (uint64_t) 0) >= 0);
                assert_true(sd_bus_message_close_container(m) >= 0);
                assert_true(sd_bus_message_close_container(m) >= 0);
        }
        assert_true(sd_bus_message_close_container(m) >= 0);
        seal(m);

        job_spec_init(&spec);
        assert_true(job_spec_read(&spec, m, &error) < 0);
        assert_string_equal(error.name, error_name);
        assert_non_null(strstr(error.message, message));

        sd_bus_message_unref(m);
        bus_teardown(&b);
}

static void test_read_binds(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(job_spec_done) JobSpec spec = {};
        Bus b;
        sd_bus_message *m;

        bus_setup(&b);
        m = new_call(&b);
        assert_true(sd_bus_message_append(m, "aayaay", 0, 0) >= 0);
        append_ay(m, "", 0);
        assert_true(sd_bus_message_append(m, "a{sv}", 4,
                                          "RootDirectory", "s", "/home/u/r",
                                          "HostSystem", "b", 1,
                                          "BindPaths", "a(ssbt)", 2, "/home/u/d", "/data", 0, (uint64_t) 16384,
                                          "/srv", "", 1, (uint64_t) 0,
                                          "BindReadOnlyPaths", "a(ssbt)", 1, "/usr/share", "/share", 0,
                                          (uint64_t) 0) >= 0);
        seal(m);
        job_spec_init(&spec);
        assert_int_equal(job_spec_read(&spec, m, &error), 0);
        assert_string_equal(spec.limits.root_directory, "/home/u/r");
        assert_true(spec.limits.host_system);
        assert_int_equal(spec.limits.n_binds, 3);
        assert_string_equal(spec.limits.binds[0].destination, "/data");
        assert_false(spec.limits.binds[0].ignore_missing);
        assert_string_equal(spec.limits.binds[1].destination, "/srv");
        assert_true(spec.limits.binds[1].ignore_missing);
        assert_true(spec.limits.binds[2].read_only);
        sd_bus_message_unref(m);

        /* HostSystem without a root: refused by validation. */
        job_spec_done(&spec);
        job_spec_init(&spec);
        spec.limits.host_system = true;
        char *argv[] = { "true", NULL };
        spec.argv = argv;
        assert_true(job_spec_validate(&spec, &error) < 0);
        assert_non_null(strstr(error.message, "HostSystem"));
        spec.argv = NULL;

        /* A bad entry is named. */
        m = new_call(&b);
        assert_true(sd_bus_message_append(m, "aayaay", 1, 0, 0) >= 0);
        append_ay(m, "", 0);
        assert_true(sd_bus_message_append(m, "a{sv}", 1, "BindPaths", "a(ssbt)", 1, "rel", "/x", 0,
                                          (uint64_t) 0) >= 0);
        seal(m);
        job_spec_done(&spec);
        job_spec_init(&spec);
        sd_bus_error_free(&error);
        assert_true(job_spec_read(&spec, m, &error) < 0);
        assert_string_equal(error.name, JOBWORKER_ERROR_INVALID_OPTION);
        assert_non_null(strstr(error.message, "BindPaths source must be an absolute, normalized path"));
        sd_bus_message_unref(m);
        bus_teardown(&b);
}

static void test_read_errors(void **state) {
        expect_read_error("true", 4, "BindPaths", "as", JOBWORKER_ERROR_INVALID_ARGUMENT, "Option 'BindPaths' must be of D-Bus type 'a(ssbt)', got 'as'");
        expect_read_error("a\0b", 3, NULL, NULL, JOBWORKER_ERROR_INVALID_ARGUMENT, "Command line contains a NUL byte.");
        expect_read_error("true", 4, "NoSuchOption", "t", JOBWORKER_ERROR_INVALID_ARGUMENT, "Unknown option 'NoSuchOption'");
        expect_read_error("true", 4, "MemoryMax", "u", JOBWORKER_ERROR_INVALID_ARGUMENT, "Option 'MemoryMax' must be of D-Bus type 't', got 'u'");
        expect_read_error("true", 4, "TasksMax", "as", JOBWORKER_ERROR_INVALID_ARGUMENT, "Option 'TasksMax' must be of D-Bus type 't', got 'a'");
        expect_read_error("true", 4, "MemoryMax", "t", JOBWORKER_ERROR_INVALID_ARGUMENT, "MemoryMax must be greater than 0");
        /* A root that is no usable path is the option's own error; one of
         * the wrong type is malformed input. */
        expect_read_error("true", 4, "RootDirectory", "s", JOBWORKER_ERROR_INVALID_OPTION,
                          "RootDirectory must be an absolute, normalized path");
        expect_read_error("true", 4, "RootDirectory", "t", JOBWORKER_ERROR_INVALID_ARGUMENT,
                          "Option 'RootDirectory' must be of D-Bus type 's', got 't'");

        /* Over 2 MiB of command line. */
        size_t n = JOB_SPEC_ARGS_BYTES_MAX;
        char *big = malloc(n);
        assert_non_null(big);
        memset(big, 'x', n);
        expect_read_error(big, n, NULL, NULL, JOBWORKER_ERROR_INVALID_ARGUMENT, "Command line and environment exceed 2097152 bytes.");
        free(big);
}

/* Name, User, Group: read into the spec, syntax checked, each naming the
 * value it refuses. */
static int read_strings(const char *name, const char *user, const char *group, JobSpec *spec,
                        sd_bus_error *error) {
        Bus b;
        sd_bus_message *m;
        int r;

        bus_setup(&b);
        m = new_call(&b);
        assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
        append_ay(m, "true", 4);
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        append_ay(m, "", 0);
        assert_true(sd_bus_message_append(m, "a{sv}", 3, "Name", "s", name, "User", "s", user, "Group", "s",
                                          group) >= 0);
        seal(m);
        job_spec_init(spec);
        r = job_spec_read(spec, m, error);
        sd_bus_message_unref(m);
        bus_teardown(&b);
        return r;
}

static void test_read_name_user_group(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(job_spec_done) JobSpec spec = {};

        assert_int_equal(read_strings("nightly", "nobody", "4242", &spec, &error), 0);
        assert_string_equal(spec.name, "nightly");
        assert_string_equal(spec.user, "nobody");
        assert_string_equal(spec.group, "4242");
        job_spec_done(&spec);

        assert_true(read_strings("0123456789ab", "nobody", "0", &spec, &error) < 0);
        assert_string_equal(error.name, JOBWORKER_ERROR_INVALID_ARGUMENT);
        assert_non_null(strstr(error.message, "Name \"0123456789ab\" is not a valid job name"));
        sd_bus_error_free(&error);
        job_spec_done(&spec);

        assert_true(read_strings("ok", "a:b", "0", &spec, &error) < 0);
        assert_non_null(strstr(error.message, "User \"a:b\" is neither a user name nor a decimal uid"));
        sd_bus_error_free(&error);
        job_spec_done(&spec);

        assert_true(read_strings("ok", "0", "4294967295", &spec, &error) < 0);
        assert_non_null(strstr(error.message, "Group \"4294967295\" is out of range"));
        sd_bus_error_free(&error);
        job_spec_done(&spec);

        expect_read_error("true", 4, "Name", "u", JOBWORKER_ERROR_INVALID_ARGUMENT, "Option 'Name' must be of D-Bus type 's', got 'u'");
        expect_read_error("true", 4, "User", "as", JOBWORKER_ERROR_INVALID_ARGUMENT, "Option 'User' must be of D-Bus type 's', got 'as'");
}

/* Terminal: "wait" or "now", a string; anything else refused by name. */
static int read_terminal_value(const char *value, JobSpec *spec, sd_bus_error *error) {
        Bus b;
        sd_bus_message *m;
        int r;

        bus_setup(&b);
        m = new_call(&b);
        assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
        append_ay(m, "sh", 2);
        assert_true(sd_bus_message_close_container(m) >= 0);
        assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
        assert_true(sd_bus_message_close_container(m) >= 0);
        append_ay(m, "", 0);
        assert_true(sd_bus_message_append(m, "a{sv}", 1, "Terminal", "s", value) >= 0);
        seal(m);
        job_spec_init(spec);
        r = job_spec_read(spec, m, error);
        sd_bus_message_unref(m);
        bus_teardown(&b);
        return r;
}

static void test_read_terminal(void **state) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(job_spec_done) JobSpec spec = {};

        assert_int_equal(read_terminal_value("wait", &spec, &error), 0);
        assert_int_equal(spec.terminal, SHIM_TERMINAL_WAIT);
        job_spec_done(&spec);
        assert_int_equal(read_terminal_value("now", &spec, &error), 0);
        assert_int_equal(spec.terminal, SHIM_TERMINAL_NOW);
        job_spec_done(&spec);
        assert_true(read_terminal_value("yes", &spec, &error) < 0);
        assert_string_equal(error.name, JOBWORKER_ERROR_INVALID_ARGUMENT);
        assert_non_null(strstr(error.message, "Terminal \"yes\" is neither \"wait\" nor \"now\""));
        job_spec_done(&spec);
        expect_read_error("sh", 2, "Terminal", "u", JOBWORKER_ERROR_INVALID_ARGUMENT, "Option 'Terminal' must be of D-Bus type 's', got 'u'");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_terminal),
                cmocka_unit_test(test_environment_identity),
                cmocka_unit_test(test_environment_root_and_defaults),
                cmocka_unit_test(test_environment_overrides),
                cmocka_unit_test(test_env_set_prefix),
                cmocka_unit_test(test_environment_invalid),
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_validate_cpus),
                cmocka_unit_test(test_read),
                cmocka_unit_test(test_read_errors),
                cmocka_unit_test(test_read_name_user_group),
                cmocka_unit_test(test_read_binds),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
