/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job spec's wire format: what the encoder writes decodes to the same
 * spec, and the decoder refuses everything else. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "shim-spec.h"

#define V SHIM_SPEC_VERSION_RECORD "\0"
#define BASE V "ID=0123456789ab\0UID=1000\0GID=100\0WORKDIR=/home/u\0STATUS=/run/s\0"
/* A literal's size without the compiler's own NUL (ours are explicit). */
#define DECODE(lit, ret) shim_spec_decode((lit), sizeof(lit) - 1, (ret), NULL)

static void test_round_trip(void **state) {
        static const gid_t groups[] = { 10, 0, 4294967294u };
        char *env[] = { "PATH=/bin", "EMPTY=", "X==y\nz", NULL };
        char *command[] = { "/bin/sh", "-c", "", "ARGV=x", "--uid=5", "\xff\x01", NULL };
        ShimSpec in = {
                .id = "0123456789ab", .uid = 1000, .gid = 0, .groups = groups, .n_groups = ELEMENTSOF(groups),
                .workdir = "/home/u", .status_path = "/run/jobworker/jobs/x.status", .output = SHIM_OUTPUT_INHERIT,
                .user_runtime_directory = true, .env = env, .command = command,
        };
        _cleanup_(shim_spec_done) ShimSpec out = {};
        _cleanup_free_ char *buf = NULL;
        size_t size;

        assert_int_equal(shim_spec_encode(&in, &buf, &size), 0);
        assert_int_equal(buf[size - 1], 0);
        assert_memory_equal(buf, V, sizeof(V) - 1);

        assert_int_equal(shim_spec_decode(buf, size, &out, NULL), 0);
        /* The decoded spec owns a copy. */
        memset(buf, 'x', size);
        assert_string_equal(out.id, "0123456789ab");
        assert_int_equal(out.uid, 1000);
        assert_int_equal(out.gid, 0);
        assert_int_equal(out.n_groups, 3);
        assert_int_equal(out.groups[0], 10);
        assert_int_equal(out.groups[1], 0);
        assert_int_equal(out.groups[2], 4294967294u);
        assert_string_equal(out.workdir, "/home/u");
        assert_string_equal(out.status_path, "/run/jobworker/jobs/x.status");
        assert_int_equal(out.output, SHIM_OUTPUT_INHERIT);
        assert_true(out.user_runtime_directory);
        for (size_t i = 0; i < ELEMENTSOF(env); i++)
                if (env[i])
                        assert_string_equal(out.env[i], env[i]);
                else
                        assert_null(out.env[i]);
        for (size_t i = 0; i < ELEMENTSOF(command); i++)
                if (command[i])
                        assert_string_equal(out.command[i], command[i]);
                else
                        assert_null(out.command[i]);
}

static void test_minimal(void **state) {
        char *command[] = { "true", NULL };
        ShimSpec in = { .id = "abcdefabcdef", .workdir = "/", .status_path = "/s", .command = command };
        _cleanup_(shim_spec_done) ShimSpec out = {};
        _cleanup_free_ char *buf = NULL;
        size_t size;

        assert_int_equal(shim_spec_encode(&in, &buf, &size), 0);
        assert_int_equal(shim_spec_decode(buf, size, &out, NULL), 0);
        assert_int_equal(out.uid, 0);
        assert_int_equal(out.n_groups, 0);
        assert_null(out.env[0]);
        assert_string_equal(out.command[0], "true");
        assert_null(out.command[1]);
        assert_int_equal(out.output, SHIM_OUTPUT_JOURNAL);
        assert_false(out.user_runtime_directory);
        shim_spec_done(&out);

        /* Optional records may be left out; order does not matter. */
        assert_int_equal(DECODE(V "ARGV=true\0STATUS=/s\0WORKDIR=/\0GID=0\0UID=0\0ID=abcdefabcdef\0", &out), 0);
        assert_int_equal(out.output, SHIM_OUTPUT_JOURNAL);
        assert_false(out.user_runtime_directory);
        assert_null(out.env[0]);
        assert_int_equal(out.n_groups, 0);
        shim_spec_done(&out);
        shim_spec_done(&out);   /* harmless twice */
}

static void test_encode_rejects(void **state) {
        char *command[] = { "true", NULL }, *empty_command[] = { "", NULL }, *no_command[] = { NULL };
        char *bad_env[] = { "NOEQUALS", NULL };
        static const gid_t bad_groups[] = { 1, 4294967295u };
        char *buf = NULL;
        size_t size;
        const ShimSpec good = { .id = "abcdefabcdef", .workdir = "/", .status_path = "/s", .command = command };
        ShimSpec s;
#define REJECT(field_assignment) do {                                           \
                s = good;                                                       \
                field_assignment;                                               \
                assert_int_equal(shim_spec_encode(&s, &buf, &size), -EINVAL);   \
                assert_null(buf);                                               \
        } while (0)
        REJECT(s.id = "ABCDEFABCDEF");
        REJECT(s.id = "abcdef");
        REJECT(s.id = NULL);
        REJECT(s.uid = (uid_t) -1);
        REJECT(s.gid = (gid_t) -1);
        REJECT(s.workdir = "rel");
        REJECT(s.workdir = NULL);
        REJECT(s.status_path = "");
        REJECT(s.command = empty_command);
        REJECT(s.command = no_command);
        REJECT(s.command = NULL);
        REJECT(s.env = bad_env);
        REJECT((s.groups = bad_groups, s.n_groups = 2));
        REJECT((s.groups = NULL, s.n_groups = 1));
        REJECT(s.output = 7);
#undef REJECT
        s = good;
        assert_int_equal(shim_spec_encode(&s, &buf, &size), 0);
        free(buf);
}

static void test_decode_rejects(void **state) {
        ShimSpec s = {};
        const char *error = NULL;

        /* Sanity: the base plus a command is fine. */
        assert_int_equal(DECODE(BASE "ARGV=true\0", &s), 0);
        shim_spec_done(&s);

        assert_int_equal(shim_spec_decode("", 0, &s, &error), -EINVAL);
        assert_non_null(error);
        assert_int_equal(shim_spec_decode(NULL, 0, &s, NULL), -EINVAL);
        /* Framing. */
        assert_int_equal(shim_spec_decode(BASE "ARGV=true", sizeof(BASE "ARGV=true") - 1, &s, NULL), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0\0", &s), -EINVAL);                     /* empty record */
        assert_int_equal(DECODE(BASE "\0ARGV=true\0", &s), -EINVAL);
        assert_int_equal(DECODE("\0" BASE "ARGV=true\0", &s), -EINVAL);
        /* Version. */
        assert_int_equal(DECODE("JOBWORKER_SHIM_SPEC=2\0ID=0123456789ab\0UID=1\0GID=1\0WORKDIR=/\0STATUS=/s\0ARGV=t\0", &s), -EINVAL);
        assert_int_equal(DECODE("ID=0123456789ab\0UID=1\0GID=1\0WORKDIR=/\0STATUS=/s\0ARGV=t\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE SHIM_SPEC_VERSION_RECORD "\0ARGV=t\0", &s), -EINVAL);   /* not a record later */
        /* Unknown and malformed records. */
        assert_int_equal(DECODE(BASE "ARGV=true\0BOGUS=1\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0argv=x\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0ENVX\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0=x\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0 ENV=A=b\0", &s), -EINVAL);
        /* Repeats of what occurs once. */
        assert_int_equal(DECODE(BASE "ID=0123456789ab\0ARGV=true\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "UID=1000\0ARGV=true\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "GID=100\0ARGV=true\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "WORKDIR=/\0ARGV=true\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "STATUS=/s\0ARGV=true\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "OUTPUT=journal\0OUTPUT=journal\0ARGV=true\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "USER_RUNTIME_DIRECTORY=no\0USER_RUNTIME_DIRECTORY=no\0ARGV=t\0", &s), -EINVAL);
        /* Each required record missing in turn. */
        assert_int_equal(DECODE(BASE, &s), -EINVAL);
        assert_int_equal(DECODE(V "UID=1\0GID=1\0WORKDIR=/\0STATUS=/s\0ARGV=t\0", &s), -EINVAL);
        assert_int_equal(DECODE(V "ID=0123456789ab\0GID=1\0WORKDIR=/\0STATUS=/s\0ARGV=t\0", &s), -EINVAL);
        assert_int_equal(DECODE(V "ID=0123456789ab\0UID=1\0WORKDIR=/\0STATUS=/s\0ARGV=t\0", &s), -EINVAL);
        assert_int_equal(DECODE(V "ID=0123456789ab\0UID=1\0GID=1\0STATUS=/s\0ARGV=t\0", &s), -EINVAL);
        assert_int_equal(DECODE(V "ID=0123456789ab\0UID=1\0GID=1\0WORKDIR=/\0ARGV=t\0", &s), -EINVAL);
        /* Values. */
        assert_int_equal(DECODE(BASE "ARGV=\0", &s), -EINVAL);                          /* empty command */
        assert_int_equal(DECODE(BASE "ARGV=true\0ARGV=\0", &s), 0);                     /* empty argument: fine */
        shim_spec_done(&s);
        assert_int_equal(DECODE(BASE "ARGV=true\0ENV=NOEQUALS\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0ENV==value\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0ENV=\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0OUTPUT=file\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0OUTPUT=\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0USER_RUNTIME_DIRECTORY=1\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0USER_RUNTIME_DIRECTORY=true\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0GROUP=\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0GROUP=1,2\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0GROUP=-1\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0GROUP=4294967295\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0GROUP=01\0", &s), -EINVAL);
        assert_int_equal(DECODE(BASE "ARGV=true\0GROUP=a\0", &s), -EINVAL);
#define ONE(id, uid, gid, workdir, status) \
        DECODE(V "ID=" id "\0UID=" uid "\0GID=" gid "\0WORKDIR=" workdir "\0STATUS=" status "\0ARGV=t\0", &s)
        assert_int_equal(ONE("abcdefabcdef", "1", "1", "/", "/s"), 0);
        shim_spec_done(&s);
        assert_int_equal(ONE("ABCDEFABCDEF", "1", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcde", "1", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef0", "1", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdeg", "1", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", "-1", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", "+1", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", "4294967295", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", "99999999999", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", "", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", " 1", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", "007", "1", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", "1", "x", "/", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", "1", "1", "rel", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", "1", "1", "", "/s"), -EINVAL);
        assert_int_equal(ONE("abcdefabcdef", "1", "1", "/", "s"), -EINVAL);
#undef ONE
        assert_null(s.storage);
        assert_null(s.command);
}

static void test_root_and_binds(void **state) {
        char *command[] = { "true", NULL };
        const ShimBind binds[] = {
                { .source = "/home/u/a:b", .destination = "/data", .read_only = false },
                { .source = "/srv", .destination = "/x:1:/y", .read_only = true },
        };
        ShimSpec in = { .id = "abcdefabcdef", .workdir = "/", .status_path = "/s", .command = command,
                        .root_directory = "/home/u/root", .host_system = true, .private_tmp = true,
                        .binds = binds, .n_binds = ELEMENTSOF(binds) };
        _cleanup_(shim_spec_done) ShimSpec out = {};
        _cleanup_free_ char *buf = NULL;
        char *b2 = NULL;
        size_t size;

        assert_int_equal(shim_spec_encode(&in, &buf, &size), 0);
        assert_int_equal(shim_spec_decode(buf, size, &out, NULL), 0);
        assert_string_equal(out.root_directory, "/home/u/root");
        assert_true(out.host_system);
        assert_true(out.private_tmp);
        assert_int_equal(out.n_binds, 2);
        assert_string_equal(out.binds[0].source, "/home/u/a:b");
        assert_string_equal(out.binds[0].destination, "/data");
        assert_false(out.binds[0].read_only);
        assert_string_equal(out.binds[1].source, "/srv");
        assert_string_equal(out.binds[1].destination, "/x:1:/y");
        assert_true(out.binds[1].read_only);
        shim_spec_done(&out);

        /* None of it by default. */
        assert_int_equal(DECODE(BASE "ARGV=t\0", &out), 0);
        assert_null(out.root_directory);
        assert_false(out.host_system);
        assert_false(out.private_tmp);
        assert_int_equal(out.n_binds, 0);
        assert_null(out.binds);
        shim_spec_done(&out);
        assert_int_equal(DECODE(BASE "ARGV=t\0BIND=rw:2:/a/b\0BIND=ro:1:/\0", &out), -EINVAL); /* "/" then "" */
        assert_int_equal(DECODE(BASE "ARGV=t\0BIND=rw:2:/a/b\0", &out), 0);
        assert_string_equal(out.binds[0].source, "/a");
        assert_string_equal(out.binds[0].destination, "/b");
        shim_spec_done(&out);

        /* Refused on the way out. */
        in.host_system = true;
        in.root_directory = NULL;
        assert_int_equal(shim_spec_encode(&in, &b2, &size), -EINVAL);
        in.root_directory = "rel";
        assert_int_equal(shim_spec_encode(&in, &b2, &size), -EINVAL);
        in.root_directory = "/r";
        in.binds = NULL;
        assert_int_equal(shim_spec_encode(&in, &b2, &size), -EINVAL);
        const ShimBind relative[] = { { .source = "a", .destination = "/b" } };
        in.binds = relative;
        in.n_binds = 1;
        assert_int_equal(shim_spec_encode(&in, &b2, &size), -EINVAL);
        const ShimBind relative_dst[] = { { .source = "/a", .destination = "b" } };
        in.binds = relative_dst;
        assert_int_equal(shim_spec_encode(&in, &b2, &size), -EINVAL);
        in.n_binds = SHIM_SPEC_BINDS_MAX + 1;
        assert_int_equal(shim_spec_encode(&in, &b2, &size), -EINVAL);
        assert_null(b2);

        /* Refused on the way in. */
#define BAD(lit) assert_int_equal(DECODE(BASE "ARGV=t\0" lit, &out), -EINVAL)
        BAD("ROOT=rel\0");
        BAD("ROOT=\0");
        BAD("ROOT=/a\0ROOT=/b\0");
        BAD("HOST_SYSTEM=yes\0");                      /* without a root */
        BAD("ROOT=/a\0HOST_SYSTEM=1\0");
        BAD("PRIVATE_TMP=true\0");
        BAD("PRIVATE_TMP=no\0PRIVATE_TMP=no\0");
        BAD("BIND=\0");
        BAD("BIND=rx:2:/a/b\0");
        BAD("BIND=rw:/a/b\0");
        BAD("BIND=rw:02:/a/b\0");
        BAD("BIND=rw:0:/a\0");
        BAD("BIND=rw:3:/a/b\0");                        /* "/a/" then "b": relative */
        BAD("BIND=rw:4:/a/b\0");                        /* no destination */
        BAD("BIND=rw:9:/a/b\0");
        BAD("BIND=rw:-2:/a/b\0");
        BAD("BIND=rw:2:a//b\0");
        BAD("BIND=rw:99999999999:/a/b\0");
#undef BAD
        assert_int_equal(DECODE(BASE "ARGV=t\0ROOT=/r\0HOST_SYSTEM=yes\0PRIVATE_TMP=no\0", &out), 0);
        assert_string_equal(out.root_directory, "/r");
        assert_true(out.host_system);
        assert_false(out.private_tmp);
}

static void test_terminal(void **state) {
        char *command[] = { "sh", NULL };
        ShimSpec in = { .id = "abcdefabcdef", .workdir = "/", .status_path = "/s", .command = command,
                        .terminal = SHIM_TERMINAL_WAIT, .terminal_socket = "/run/jobworker/jobs/x.terminal" };
        _cleanup_(shim_spec_done) ShimSpec out = {};
        _cleanup_free_ char *buf = NULL;
        char *b2 = NULL;
        size_t size;

        assert_int_equal(shim_spec_encode(&in, &buf, &size), 0);
        assert_int_equal(shim_spec_decode(buf, size, &out, NULL), 0);
        assert_int_equal(out.terminal, SHIM_TERMINAL_WAIT);
        assert_string_equal(out.terminal_socket, "/run/jobworker/jobs/x.terminal");
        shim_spec_done(&out);

        assert_int_equal(DECODE(BASE "ARGV=t\0TERMINAL=now\0TERMINAL_SOCKET=/t\0", &out), 0);
        assert_int_equal(out.terminal, SHIM_TERMINAL_NOW);
        shim_spec_done(&out);
        assert_int_equal(DECODE(BASE "ARGV=t\0", &out), 0);
        assert_int_equal(out.terminal, SHIM_TERMINAL_NONE);
        assert_null(out.terminal_socket);
        shim_spec_done(&out);

        in.terminal_socket = NULL;
        assert_int_equal(shim_spec_encode(&in, &b2, &size), -EINVAL);
        in.terminal_socket = "rel";
        assert_int_equal(shim_spec_encode(&in, &b2, &size), -EINVAL);
        in.terminal = 7;
        in.terminal_socket = "/t";
        assert_int_equal(shim_spec_encode(&in, &b2, &size), -EINVAL);
        assert_null(b2);

#define BAD(lit) assert_int_equal(DECODE(BASE "ARGV=t\0" lit, &out), -EINVAL)
        BAD("TERMINAL=yes\0TERMINAL_SOCKET=/t\0");
        BAD("TERMINAL=now\0");                         /* no socket */
        BAD("TERMINAL_SOCKET=/t\0");                   /* no terminal */
        BAD("TERMINAL=now\0TERMINAL_SOCKET=t\0");
        BAD("TERMINAL=now\0TERMINAL=now\0TERMINAL_SOCKET=/t\0");
#undef BAD
}

#define A(a, b, c, d) ((uint32_t) (a) << 24 | (uint32_t) (b) << 16 | (uint32_t) (c) << 8 | (uint32_t) (d))

static void test_network(void **state) {
        char *command[] = { "true", NULL };
        ShimNetwork net = { .bridge = "jobworker0", .host_interface = "jw0123456789ab", .address = A(10, 89, 0, 7),
                            .prefix = 24, .gateway = A(10, 89, 0, 1), .mtu = 1500 };
        ShimSpec in = { .id = "0123456789ab", .workdir = "/", .status_path = "/s", .command = command, .network = &net };
        _cleanup_(shim_spec_done) ShimSpec out = {};
        _cleanup_free_ char *buf = NULL;
        size_t size;

        assert_int_equal(shim_spec_encode(&in, &buf, &size), 0);
        assert_non_null(memmem(buf, size, "NETWORK=jobworker0 jw0123456789ab 10.89.0.7/24 10.89.0.1 1500", 62));
        assert_int_equal(shim_spec_decode(buf, size, &out, NULL), 0);
        assert_non_null(out.network);
        assert_memory_equal(out.network, &net, sizeof net);
        shim_spec_done(&out);
        /* Without: none. */
        in.network = NULL;
        free(buf);
        buf = NULL;
        assert_int_equal(shim_spec_encode(&in, &buf, &size), 0);
        assert_int_equal(shim_spec_decode(buf, size, &out, NULL), 0);
        assert_null(out.network);

        /* The encoder refuses what the decoder would. */
        ShimNetwork bad[] = { net, net, net, net, net, net };
        bad[0].address = A(10, 89, 0, 1);     /* the gateway */
        bad[1].address = A(10, 89, 0, 255);   /* broadcast */
        bad[2].gateway = A(10, 90, 0, 1);     /* gateway outside */
        bad[3].mtu = 40;
        bad[4].prefix = 31;
        strcpy(bad[5].bridge, "a b");
        in.network = NULL;
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *b = NULL;
                in.network = &bad[i];
                assert_int_equal(shim_spec_encode(&in, &b, &size), -EINVAL);
        }

        static const char *const bad_records[] = {
                "NETWORK=",
                "NETWORK=jobworker0 jw0123456789ab 10.89.0.7/24 10.89.0.1",
                "NETWORK=jobworker0 jw0123456789ab 10.89.0.7/24 10.89.0.1 1500 x",
                "NETWORK=jobworker0  jw0123456789ab 10.89.0.7/24 10.89.0.1 1500",
                "NETWORK=jobworker0 jw0123456789ab 10.89.0.7 10.89.0.1 1500",
                "NETWORK=jobworker0 jw0123456789ab 10.89.0.07/24 10.89.0.1 1500",
                "NETWORK=jobworker0 jw0123456789ab 10.89.0.7/24 10.89.0.1 01500",
                "NETWORK=jobworker0 jw0123456789ab 10.89.0.0/24 10.89.0.1 1500",
                "NETWORK=jobworker0 jw0123456789ab 10.89.0.7/24 10.89.1.1 1500",
                "NETWORK=jobworker0 jw0123456789abcdef 10.89.0.7/24 10.89.0.1 1500",
                "NETWORK=jobworker0 jw0123456789ab 10.89.0.7/24 10.89.0.1 70000",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad_records); i++) {
                char text[512];
                size_t n = sizeof(BASE) - 1;
                memcpy(text, BASE, n);
                memcpy(text + n, bad_records[i], strlen(bad_records[i]) + 1);
                n += strlen(bad_records[i]) + 1;
                memcpy(text + n, "ARGV=true", 10);
                n += 10;
                print_message("%s\n", bad_records[i]);
                assert_int_equal(shim_spec_decode(text, n, &out, NULL), -EINVAL);
        }
        /* Twice is refused. */
        static const char twice[] = BASE "NETWORK=jobworker0 jw0123456789ab 10.89.0.7/24 10.89.0.1 1500\0"
                                    "NETWORK=jobworker0 jw0123456789ab 10.89.0.8/24 10.89.0.1 1500\0ARGV=true\0";
        assert_int_equal(DECODE(twice, &out), -EINVAL);
}

static void test_size_limit(void **state) {
        size_t big = SHIM_SPEC_SIZE_MAX + 1;
        _cleanup_free_ char *data = calloc(1, big);
        _cleanup_free_ char *arg = malloc(SHIM_SPEC_SIZE_MAX);
        char *buf = NULL;
        size_t size;
        ShimSpec s = {};

        assert_non_null(data);
        assert_int_equal(shim_spec_decode(data, big, &s, NULL), -E2BIG);

        assert_non_null(arg);
        memset(arg, 'x', SHIM_SPEC_SIZE_MAX - 1);
        arg[SHIM_SPEC_SIZE_MAX - 1] = 0;
        char *command[] = { "true", arg, NULL };
        ShimSpec in = { .id = "abcdefabcdef", .workdir = "/", .status_path = "/s", .command = command };
        assert_int_equal(shim_spec_encode(&in, &buf, &size), -E2BIG);
        assert_null(buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_minimal),
                cmocka_unit_test(test_encode_rejects),
                cmocka_unit_test(test_decode_rejects),
                cmocka_unit_test(test_root_and_binds),
                cmocka_unit_test(test_terminal),
                cmocka_unit_test(test_network),
                cmocka_unit_test(test_size_limit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
