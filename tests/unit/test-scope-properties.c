/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include <systemd/sd-bus.h>

#include "job-limits.h"
#include "macro.h"
#include "scope-properties.h"

static const ScopeProperty *find(const ScopeProperty *p, size_t n, const char *name) {
        const ScopeProperty *found = NULL;

        for (size_t i = 0; i < n; i++)
                if (strcmp(p[i].name, name) == 0) {
                        assert_null(found); /* each property at most once */
                        found = &p[i];
                }
        return found;
}

static const ScopeProperty *get(const ScopeProperty *p, size_t n, const char *name,
                                const char *signature) {
        const ScopeProperty *x = find(p, n, name);

        if (!x)
                print_error("property %s missing\n", name);
        assert_non_null(x);
        assert_string_equal(x->signature, signature);
        return x;
}

static void assert_always_present(const ScopeProperty *p, size_t n, uint64_t stop_timeout,
                                  uint64_t swap) {
        assert_string_equal(get(p, n, "Description", "s")->s, "jobworker job 0123456789ab: sleep 1");
        assert_string_equal(get(p, n, "Slice", "s")->s, "jobworker-u1000.slice");
        assert_int_equal(get(p, n, "PIDs", "au")->u, 4242);
        assert_true(get(p, n, "CPUAccounting", "b")->b);
        assert_true(get(p, n, "MemoryAccounting", "b")->b);
        assert_true(get(p, n, "TasksAccounting", "b")->b);
        assert_true(get(p, n, "IOAccounting", "b")->b);
        assert_string_equal(get(p, n, "KillMode", "s")->s, "control-group");
        assert_true(get(p, n, "SendSIGKILL", "b")->b);
        assert_true(get(p, n, "TimeoutStopUSec", "t")->t == stop_timeout);
        assert_true(get(p, n, "MemorySwapMax", "t")->t == swap);

        /* Things a scope must never be sent. */
        assert_null(find(p, n, "DefaultDependencies"));
        assert_null(find(p, n, "Delegate"));
        assert_null(find(p, n, "User"));
}

#define DESCRIPTION "jobworker job 0123456789ab: sleep 1"

static void test_build_defaults(void **state) {
        ScopeProperty p[SCOPE_PROPERTIES_MAX];
        JobLimits l;
        size_t n = 999;

        job_limits_init(&l);
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", 4242, p, ELEMENTSOF(p), &n), 0);
        assert_int_equal(n, 11);
        assert_always_present(p, n, 10000000, 0);

        assert_null(find(p, n, "CPUQuotaPerSecUSec"));
        assert_null(find(p, n, "MemoryMax"));
        assert_null(find(p, n, "IOReadBandwidthMax"));
        assert_null(find(p, n, "IOWriteBandwidthMax"));
        assert_null(find(p, n, "AllowedCPUs"));
        assert_null(find(p, n, "TasksMax"));
        assert_null(find(p, n, "RuntimeMaxUSec"));
        job_limits_done(&l);
}

static void set(JobLimits *l, const char *name, JobOptionValue v) {
        assert_int_equal(job_limits_set_option(l, name, &v, NULL), 0);
}

static void fill_all(JobLimits *l) {
        job_limits_init(l);
        set(l, "CPUQuota", (JobOptionValue) { .type = 'd', .d = 0.123 });
        set(l, "MemoryMax", (JobOptionValue) { .type = 't', .t = 64 << 20 });
        set(l, "MemorySwapMax", (JobOptionValue) { .type = 't', .t = 1 << 20 });
        set(l, "IOReadBandwidthMax", (JobOptionValue) { .type = 't', .t = 10 << 20 });
        set(l, "IOWriteBandwidthMax", (JobOptionValue) { .type = 't', .t = 5 << 20 });
        set(l, "AllowedCPUs", (JobOptionValue) { .type = 's', .s = "0,2-3,9" });
        set(l, "TasksMax", (JobOptionValue) { .type = 't', .t = 32 });
        set(l, "RuntimeMaxUSec", (JobOptionValue) { .type = 't', .t = 60000000 });
        set(l, "StopTimeoutUSec", (JobOptionValue) { .type = 't', .t = 2000000 });
}

static void test_build_all(void **state) {
        ScopeProperty p[SCOPE_PROPERTIES_MAX];
        const ScopeProperty *x;
        JobLimits l;
        size_t n;

        fill_all(&l);
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", 4242, p, ELEMENTSOF(p), &n), 0);
        assert_int_equal(n, 18);
        assert_always_present(p, n, 2000000, 1 << 20);

        assert_true(get(p, n, "CPUQuotaPerSecUSec", "t")->t == 130000);
        assert_true(get(p, n, "MemoryMax", "t")->t == 64 << 20);
        x = get(p, n, "IOReadBandwidthMax", "a(st)");
        assert_string_equal(x->st.path, "/"); /* no IODevice: the root file system */
        assert_true(x->st.value == 10 << 20);
        x = get(p, n, "IOWriteBandwidthMax", "a(st)");
        assert_string_equal(x->st.path, "/");
        assert_true(x->st.value == 5 << 20);
        x = get(p, n, "AllowedCPUs", "ay");
        assert_int_equal(x->ay.size, 2);
        assert_memory_equal(x->ay.bytes, ((const uint8_t[]) { 0x0d, 0x02 }), 2);
        assert_true(get(p, n, "TasksMax", "t")->t == 32);
        assert_true(get(p, n, "RuntimeMaxUSec", "t")->t == 60000000);

        set(&l, "IODevice", (JobOptionValue) { .type = 's', .s = "/dev/vdb" });
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", 4242, p, ELEMENTSOF(p), &n), 0);
        assert_string_equal(get(p, n, "IOReadBandwidthMax", "a(st)")->st.path, "/dev/vdb");
        assert_string_equal(get(p, n, "IOWriteBandwidthMax", "a(st)")->st.path, "/dev/vdb");

        /* The daemon's resolution as the caller wins over the path... */
        l.io_device_node = strdup("/dev/block/254:16");
        assert_non_null(l.io_device_node);
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", 4242, p, ELEMENTSOF(p), &n), 0);
        assert_string_equal(get(p, n, "IOReadBandwidthMax", "a(st)")->st.path, "/dev/block/254:16");
        assert_string_equal(get(p, n, "IOWriteBandwidthMax", "a(st)")->st.path, "/dev/block/254:16");
        /* ...and is dropped when IODevice names another path. */
        set(&l, "IODevice", (JobOptionValue) { .type = 's', .s = "/dev/vdc" });
        assert_null(l.io_device_node);
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", 4242, p, ELEMENTSOF(p), &n), 0);
        assert_string_equal(get(p, n, "IOReadBandwidthMax", "a(st)")->st.path, "/dev/vdc");

        job_limits_done(&l);
}

static void test_build_errors(void **state) {
        ScopeProperty p[SCOPE_PROPERTIES_MAX];
        JobLimits l;
        size_t n = 77;

        fill_all(&l);
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", 0, p, ELEMENTSOF(p), &n), -EINVAL);
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", -1, p, ELEMENTSOF(p), &n), -EINVAL);
        assert_int_equal(scope_properties_build(&l, NULL, "jobworker-u1000.slice", 4242, p, ELEMENTSOF(p), &n), -EINVAL);
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", 4242, p, 17, &n), -ENOBUFS);
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", 4242, p, 0, &n), -ENOBUFS);
        assert_int_equal(n, 77);
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", 4242, p, 18, &n), 0);
        assert_int_equal(n, 18);
        job_limits_done(&l);
}

/* An sd_bus that is "open" (authenticating on one end of a socketpair
 * nobody answers) is all sd_bus_message_new_method_call() needs. */
static sd_bus *bus_new_unconnected(int fds[2]) {
        sd_bus *bus = NULL;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        assert_int_equal(sd_bus_new(&bus), 0);
        assert_int_equal(sd_bus_set_fd(bus, fds[0], fds[0]), 0);
        assert_true(sd_bus_start(bus) >= 0);
        return bus;
}

static void read_property(sd_bus_message *m, const char *name, const char *signature) {
        const char *got_name, *contents;
        char type;

        assert_int_equal(sd_bus_message_enter_container(m, 'r', "sv"), 1);
        assert_int_equal(sd_bus_message_read_basic(m, 's', &got_name), 1);
        print_message("reading %s (%s)\n", got_name, signature);
        assert_string_equal(got_name, name);
        assert_int_equal(sd_bus_message_peek_type(m, &type, &contents), 1);
        assert_int_equal(type, 'v');
        assert_string_equal(contents, signature);
        assert_int_equal(sd_bus_message_enter_container(m, 'v', signature), 1);
}

static void end_property(sd_bus_message *m) {
        assert_int_equal(sd_bus_message_exit_container(m), 1); /* v */
        assert_int_equal(sd_bus_message_exit_container(m), 1); /* r */
}

static void test_append(void **state) {
        _cleanup_close_pair_ int fds[2] = { -1, -1 };
        sd_bus *bus = bus_new_unconnected(fds);
        sd_bus_message *m = NULL;
        ScopeProperty p[SCOPE_PROPERTIES_MAX];
        JobLimits l;
        size_t n;

        fill_all(&l);
        set(&l, "IODevice", (JobOptionValue) { .type = 's', .s = "/dev/vdb" });
        assert_int_equal(scope_properties_build(&l, DESCRIPTION, "jobworker-u1000.slice", 4242, p, ELEMENTSOF(p), &n), 0);

        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
                                                        "/org/freedesktop/systemd1",
                                                        "org.freedesktop.systemd1.Manager",
                                                        "StartTransientUnit"), 0);
        assert_true(sd_bus_message_append(m, "ss", "jobworker-0123456789ab.scope", "fail") >= 0);
        assert_int_equal(scope_properties_append(m, p, n), 0);
        assert_true(sd_bus_message_append(m, "a(sa(sv))", 0) >= 0);
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        assert_string_equal(sd_bus_message_get_signature(m, true), "ssa(sv)a(sa(sv))");

        assert_int_equal(sd_bus_message_rewind(m, true), 1);
        {
                const char *unit, *mode, *s;
                const void *bytes;
                uint64_t t;
                uint32_t u;
                size_t size;
                int b;

                assert_int_equal(sd_bus_message_read(m, "ss", &unit, &mode), 1);
                assert_string_equal(unit, "jobworker-0123456789ab.scope");
                assert_string_equal(mode, "fail");
                assert_int_equal(sd_bus_message_enter_container(m, 'a', "(sv)"), 1);

                /* Every property, in the order built, with its value. */
                for (size_t i = 0; i < n; i++) {
                        read_property(m, p[i].name, p[i].signature);

                        if (strcmp(p[i].signature, "s") == 0) {
                                assert_int_equal(sd_bus_message_read_basic(m, 's', &s), 1);
                                assert_string_equal(s, p[i].s);
                        } else if (strcmp(p[i].signature, "b") == 0) {
                                assert_int_equal(sd_bus_message_read_basic(m, 'b', &b), 1);
                                assert_int_equal(b, 1);
                        } else if (strcmp(p[i].signature, "t") == 0) {
                                assert_int_equal(sd_bus_message_read_basic(m, 't', &t), 1);
                                assert_true(t == p[i].t);
                        } else if (strcmp(p[i].signature, "au") == 0) {
                                assert_int_equal(sd_bus_message_read_array(m, 'u', &bytes, &size), 1);
                                assert_int_equal(size, sizeof(uint32_t));
                                memcpy(&u, bytes, sizeof(u));
                                assert_int_equal(u, 4242);
                        } else if (strcmp(p[i].signature, "ay") == 0) {
                                assert_int_equal(sd_bus_message_read_array(m, 'y', &bytes, &size), 1);
                                assert_int_equal(size, 2);
                                assert_memory_equal(bytes, ((const uint8_t[]) { 0x0d, 0x02 }), 2);
                        } else if (strcmp(p[i].signature, "a(st)") == 0) {
                                assert_int_equal(sd_bus_message_enter_container(m, 'a', "(st)"), 1);
                                assert_int_equal(sd_bus_message_read(m, "(st)", &s, &t), 1);
                                assert_string_equal(s, "/dev/vdb");
                                assert_true(t == p[i].st.value);
                                assert_int_equal(sd_bus_message_exit_container(m), 1);
                        } else
                                fail_msg("unexpected signature %s", p[i].signature);

                        end_property(m);
                }
                assert_true(sd_bus_message_at_end(m, false) > 0);
                assert_int_equal(sd_bus_message_exit_container(m), 1);
        }

        /* Spot checks by name, independent of the list: what systemd sees. */
        assert_int_equal(sd_bus_message_rewind(m, true), 1);
        assert_int_equal(sd_bus_message_skip(m, "ss"), 1);
        {
                const char *name;
                int seen = 0;

                assert_int_equal(sd_bus_message_enter_container(m, 'a', "(sv)"), 1);
                while (sd_bus_message_enter_container(m, 'r', "sv") > 0) {
                        assert_int_equal(sd_bus_message_read_basic(m, 's', &name), 1);
                        if (strcmp(name, "CPUQuotaPerSecUSec") == 0) {
                                uint64_t t;
                                assert_int_equal(sd_bus_message_read(m, "v", "t", &t), 1);
                                assert_true(t == 130000);
                                seen++;
                        } else if (strcmp(name, "Slice") == 0) {
                                const char *s;
                                assert_int_equal(sd_bus_message_read(m, "v", "s", &s), 1);
                                assert_string_equal(s, "jobworker-u1000.slice");
                                seen++;
                        } else
                                assert_int_equal(sd_bus_message_skip(m, "v"), 1);
                        assert_int_equal(sd_bus_message_exit_container(m), 1);
                }
                assert_int_equal(seen, 2);
        }

        sd_bus_message_unref(m);
        sd_bus_close_unref(bus);
        fds[0] = -1; /* owned and closed by the bus */
        job_limits_done(&l);
}

static void test_append_empty_and_bad(void **state) {
        _cleanup_close_pair_ int fds[2] = { -1, -1 };
        sd_bus *bus = bus_new_unconnected(fds);
        sd_bus_message *m = NULL;
        const ScopeProperty bad = { .name = "X", .signature = "q" };

        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
                                                        "/org/freedesktop/systemd1",
                                                        "org.freedesktop.systemd1.Manager",
                                                        "StartTransientUnit"), 0);
        assert_int_equal(scope_properties_append(m, NULL, 0), 0);
        assert_int_equal(sd_bus_message_seal(m, 1, 0), 0);
        assert_string_equal(sd_bus_message_get_signature(m, true), "a(sv)");
        sd_bus_message_unref(m);

        assert_int_equal(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
                                                        "/org/freedesktop/systemd1",
                                                        "org.freedesktop.systemd1.Manager",
                                                        "StartTransientUnit"), 0);
        assert_int_equal(scope_properties_append(m, &bad, 1), -EINVAL);
        sd_bus_message_unref(m);

        sd_bus_close_unref(bus);
        fds[0] = -1;
}

static void test_cgroup_file_matches(void **state) {
        const char *u = "jobworker-0123456789ab.scope";
#define M(text) scope_cgroup_file_matches(text, strlen(text), "jobworker-u1000.slice", u)
#define OLD(text) scope_cgroup_file_matches(text, strlen(text), "jobworker.slice", u)
        assert_true(M("0::/jobworker.slice/jobworker-u1000.slice/jobworker-0123456789ab.scope\n"));
        assert_true(M("0::/jobworker.slice/jobworker-u1000.slice/jobworker-0123456789ab.scope"));
        /* Jobs of an older version, straight in jobworker.slice. */
        assert_true(OLD("0::/jobworker.slice/jobworker-0123456789ab.scope\n"));
        assert_false(OLD("0::/jobworker.slice/jobworker-u1000.slice/jobworker-0123456789ab.scope\n"));
        /* Another user's slice, the top slice, the daemon's cgroup, another job. */
        assert_false(M("0::/jobworker.slice/jobworker-u1001.slice/jobworker-0123456789ab.scope\n"));
        assert_false(M("0::/jobworker.slice/jobworker-0123456789ab.scope\n"));
        assert_false(M("0::/system.slice/jobworkerd.service\n"));
        assert_false(M("0::/jobworker.slice/jobworker-u1000.slice/jobworker-0123456789ac.scope\n"));
        /* A scope of the same name elsewhere, or a cgroup below it. */
        assert_false(M("0::/user.slice/jobworker-u1000.slice/jobworker-0123456789ab.scope\n"));
        assert_false(M("0::/jobworker.slice/jobworker-u1000.slice/jobworker-0123456789ab.scope/sub\n"));
        assert_false(M("0::/xjobworker.slice/jobworker-u1000.slice/jobworker-0123456789ab.scope\n"));
        /* cgroup v1 / hybrid, two lines, empty, NUL inside. */
        assert_false(M("1:name=systemd:/jobworker.slice/jobworker-u1000.slice/jobworker-0123456789ab.scope\n"));
        assert_false(M("1:pids:/x\n0::/jobworker.slice/jobworker-u1000.slice/jobworker-0123456789ab.scope\n"));
        assert_false(M(""));
        assert_false(scope_cgroup_file_matches("0::/jobworker.slice/\0jobworker-0123456789ab.scope", 50,
                                               "jobworker.slice", u));
        assert_false(scope_cgroup_file_matches(NULL, 0, "jobworker.slice", u));
#undef M
#undef OLD
}

static void test_user_slice(void **state) {
        char buf[JOBWORKER_USER_SLICE_NAME_MAX];
        ScopeProperty p[4];

        assert_string_equal(user_slice_name(1000, buf), "jobworker-u1000.slice");
        assert_string_equal(user_slice_name(4294967295U, buf), "jobworker-u4294967295.slice");
        assert_int_equal(user_slice_properties_build(UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, p), 0);
        assert_int_equal(user_slice_properties_build(1 << 20, UINT64_MAX, 5, 50, p), 3);
        assert_string_equal(p[0].name, "MemoryMax");
        assert_true(p[0].t == 1 << 20);
        assert_string_equal(p[1].name, "TasksMax");
        assert_string_equal(p[2].name, "IOWeight");
        assert_true(p[2].t == 50);
}

static void test_build_changes(void **state) {
        ScopeProperty p[SCOPE_PROPERTIES_MAX];
        JobLimits old, l;
        size_t n = 99;

        job_limits_init(&old);
        job_limits_init(&l);
        assert_int_equal(scope_properties_build_changes(&old, &l, p, ELEMENTSOF(p), &n), 0);
        assert_int_equal(n, 0);
        l.memory_max = 100 << 20;
        l.io_read_bandwidth_max = 1000;
        l.io_device = (char *) "/srv";
        l.io_device_node = (char *) "/dev/block/8:1";
        assert_int_equal(scope_properties_build_changes(&old, &l, p, ELEMENTSOF(p), &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(p[0].name, "MemoryMax");
        assert_true(p[0].t == 100 << 20);
        assert_string_equal(p[1].name, "IOReadBandwidthMax");
        assert_string_equal(p[1].st.path, "/dev/block/8:1");
        assert_int_equal(scope_properties_build_changes(&old, &l, p, 1, &n), -ENOBUFS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_build_defaults),
                cmocka_unit_test(test_build_all),
                cmocka_unit_test(test_build_errors),
                cmocka_unit_test(test_append),
                cmocka_unit_test(test_append_empty_and_bad),
                cmocka_unit_test(test_cgroup_file_matches),
                cmocka_unit_test(test_user_slice),
                cmocka_unit_test(test_build_changes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
