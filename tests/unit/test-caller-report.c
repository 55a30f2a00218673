/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The caller check child's report (caller-report.c): what the child writes
 * reads back the same; a report cut short loses only its last record;
 * anything else malformed is refused whole. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "caller-report.h"
#include "macro.h"

typedef struct Buffer {
        uint8_t *data;
        size_t size;
} Buffer;

static void buffer_append(Buffer *b, const void *p, size_t n) {
        b->data = realloc(b->data, b->size + n);
        assert_non_null(b->data);
        memcpy(b->data + b->size, p, n);
        b->size += n;
}

static void append_user(Buffer *b, int error, const UserRecord *u) {
        _cleanup_free_ uint8_t *record = NULL;
        size_t size;

        assert_int_equal(caller_report_format_user(error, u, &record, &size), 0);
        buffer_append(b, record, size);
}

static void append_path(Buffer *b, CallerReportStep step, int error, uint64_t value) {
        uint8_t record[CALLER_REPORT_PATH_SIZE];

        caller_report_format_path(step, error, value, record);
        buffer_append(b, record, sizeof record);
}

static gid_t alice_groups[] = { 1000, 27, 100 };
static const UserRecord alice = {
        .uid = 1000, .gid = 1000, .name = "alice", .home = "/home/alice", .shell = "/bin/bash",
        .groups = alice_groups, .n_groups = 3,
};

/* A whole report: alice, an IO device, the directory. */
static Buffer full_report(void) {
        Buffer b = {};

        append_user(&b, 0, &alice);
        append_path(&b, CALLER_REPORT_IO_DEVICE, 0, 0xfd00);
        append_path(&b, CALLER_REPORT_DIRECTORY, -EACCES, 0);
        return b;
}

static void test_round_trip(void **state) {
        _cleanup_(caller_reports_done) CallerReports r = {};
        Buffer b = full_report();

        assert_int_equal(caller_reports_parse(b.data, b.size, 0, &r), 0);
        assert_true(r.have_user);
        assert_int_equal(r.user_error, 0);
        assert_int_equal(r.user.uid, 1000);
        assert_int_equal(r.user.gid, 1000);
        assert_string_equal(r.user.name, "alice");
        assert_string_equal(r.user.home, "/home/alice");
        assert_string_equal(r.user.shell, "/bin/bash");
        assert_int_equal(r.user.n_groups, 3);
        assert_int_equal(r.user.groups[0], 1000);
        assert_int_equal(r.user.groups[1], 27);
        assert_int_equal(r.user.groups[2], 100);
        assert_true(r.have_io_device);
        assert_int_equal(r.io_device_error, 0);
        assert_int_equal(r.io_device, 0xfd00);
        assert_true(r.have_directory);
        assert_int_equal(r.directory_error, -EACCES);
        free(b.data);
}

static void test_empty_fields(void **state) {
        _cleanup_(caller_reports_done) CallerReports r = {};
        UserRecord u = { .uid = 7, .gid = 8, .name = "x", .home = "", .shell = NULL };
        Buffer b = {};

        append_user(&b, 0, &u);
        assert_int_equal(caller_reports_parse(b.data, b.size, 0, &r), 0);
        assert_string_equal(r.user.home, "");
        assert_string_equal(r.user.shell, "");
        assert_int_equal(r.user.n_groups, 0);
        assert_null(r.user.groups);
        assert_false(r.have_directory);
        free(b.data);
}

static void test_user_errors(void **state) {
        _cleanup_(caller_reports_done) CallerReports r = {}, r2 = {};
        UserRecord many = alice;
        Buffer b = {}, b2 = {};

        append_user(&b, -ENOENT, NULL);
        assert_int_equal(caller_reports_parse(b.data, b.size, 0, &r), 0);
        assert_true(r.have_user);
        assert_int_equal(r.user_error, -ENOENT);

        /* Too many groups: the name comes along, for the error. */
        many.n_groups = 0;
        append_user(&b2, -E2BIG, &many);
        assert_int_equal(caller_reports_parse(b2.data, b2.size, 0, &r2), 0);
        assert_int_equal(r2.user_error, -E2BIG);
        assert_string_equal(r2.user.name, "alice");
        free(b.data);
        free(b2.data);
}

static void test_format_bounds(void **state) {
        _cleanup_free_ uint8_t *record = NULL;
        char name[CALLER_REPORT_NAME_MAX + 2];
        size_t size;
        UserRecord u = alice;

        memset(name, 'n', sizeof name - 1);
        name[sizeof name - 1] = '\0';
        u.name = name;
        assert_int_equal(caller_report_format_user(0, &u, &record, &size), -EINVAL);
        u = alice;
        u.n_groups = CALLER_REPORT_GROUPS_MAX + 1;
        assert_int_equal(caller_report_format_user(0, &u, &record, &size), -EINVAL);
        assert_null(record);
}

/* The largest report there can be is within the bound the parser and the
 * daemon's reader use. */
static void test_largest(void **state) {
        _cleanup_(caller_reports_done) CallerReports r = {};
        _cleanup_free_ gid_t *groups = calloc(CALLER_REPORT_GROUPS_MAX, sizeof(gid_t));
        char name[CALLER_REPORT_NAME_MAX + 1], home[CALLER_REPORT_PATH_MAX + 1], shell[CALLER_REPORT_PATH_MAX + 1];
        Buffer b = {};

        assert_non_null(groups);
        for (size_t i = 0; i < CALLER_REPORT_GROUPS_MAX; i++)
                groups[i] = (gid_t) i;
        memset(name, 'n', sizeof name - 1);
        name[sizeof name - 1] = '\0';
        memset(home, 'h', sizeof home - 1);
        home[0] = '/';
        home[sizeof home - 1] = '\0';
        memset(shell, 's', sizeof shell - 1);
        shell[sizeof shell - 1] = '\0';
        UserRecord u = { .uid = 1, .gid = 2, .name = name, .home = home, .shell = shell,
                         .groups = groups, .n_groups = CALLER_REPORT_GROUPS_MAX };
        append_user(&b, 0, &u);
        append_path(&b, CALLER_REPORT_IO_DEVICE, 0, 1);
        append_path(&b, CALLER_REPORT_DIRECTORY, 0, 0);
        for (size_t i = 0; i < CALLER_REPORT_PATHS_MAX; i++)
                append_path(&b, CALLER_REPORT_PATH, 0, i);
        assert_int_equal(b.size, CALLER_REPORTS_SIZE_MAX);
        assert_int_equal(caller_reports_parse(b.data, b.size, CALLER_REPORT_PATHS_MAX, &r), 0);
        assert_int_equal(r.n_paths, CALLER_REPORT_PATHS_MAX);
        assert_int_equal(r.user.n_groups, CALLER_REPORT_GROUPS_MAX);
        assert_int_equal(r.user.groups[65535], 65535);
        assert_int_equal(strlen(r.user.home), CALLER_REPORT_PATH_MAX);
        assert_true(r.have_directory);

        /* One byte more than the bound: refused before it is looked at. */
        buffer_append(&b, "", 1);
        caller_reports_done(&r);
        assert_int_equal(caller_reports_parse(b.data, b.size, CALLER_REPORT_PATHS_MAX, &r), -EBADMSG);
        free(b.data);
}

/* A child killed while writing: every prefix parses, with exactly the
 * records it holds whole. */
static void test_cut_short(void **state) {
        Buffer b = full_report();
        size_t user_size = b.size - 2 * CALLER_REPORT_PATH_SIZE;

        for (size_t n = 0; n <= b.size; n++) {
                _cleanup_(caller_reports_done) CallerReports r = {};

                assert_int_equal(caller_reports_parse(b.data, n, 0, &r), 0);
                assert_int_equal(r.have_user, n >= user_size);
                assert_int_equal(r.have_io_device, n >= user_size + CALLER_REPORT_PATH_SIZE);
                assert_int_equal(r.have_directory, n == b.size);
                if (!r.have_user)
                        assert_null(r.user.name);
        }
        free(b.data);
}

static void put32(Buffer *b, size_t offset, uint32_t v) {
        memcpy(b->data + offset, &v, sizeof v);
}

static void expect_bad(Buffer *b) {
        CallerReports r = {};

        assert_int_equal(caller_reports_parse(b->data, b->size, 0, &r), -EBADMSG);
        assert_null(r.user.name);
        free(b->data);
        *b = (Buffer) {};
}

static void expect_bad_paths(Buffer *b, size_t n_paths) {
        CallerReports r = {};

        assert_int_equal(caller_reports_parse(b->data, b->size, n_paths, &r), -EBADMSG);
        assert_null(r.user.name);
        free(b->data);
        *b = (Buffer) {};
}

static void test_malformed(void **state) {
        size_t user_size;
        Buffer b;

        b = full_report();
        user_size = b.size - 2 * CALLER_REPORT_PATH_SIZE;
        free(b.data);

        /* A step twice, out of order, unknown. */
        b = (Buffer) {};
        append_user(&b, 0, &alice);
        append_path(&b, CALLER_REPORT_DIRECTORY, 0, 0);
        append_path(&b, CALLER_REPORT_DIRECTORY, 0, 0);
        expect_bad(&b);
        b = (Buffer) {};
        append_user(&b, 0, &alice);
        append_path(&b, CALLER_REPORT_DIRECTORY, 0, 0);
        append_path(&b, CALLER_REPORT_IO_DEVICE, 0, 0);
        expect_bad(&b);
        b = (Buffer) {};
        append_path(&b, CALLER_REPORT_PATH + 1, 0, 0);
        expect_bad(&b);
        b = (Buffer) {};
        append_path(&b, 0, 0, 0);
        expect_bad(&b);

        /* Errors that are not -errno. */
        b = full_report();
        put32(&b, user_size + 4, 1);
        expect_bad(&b);
        b = full_report();
        put32(&b, user_size + 4, (uint32_t) -4096);
        expect_bad(&b);
        /* The reserved word. */
        b = full_report();
        put32(&b, 12, 1);
        expect_bad(&b);
        /* A path record of another length; a directory with a value. */
        b = full_report();
        put32(&b, user_size + 8, 16);
        expect_bad(&b);
        b = (Buffer) {};
        append_path(&b, CALLER_REPORT_DIRECTORY, 0, 5);
        expect_bad(&b);

        /* The user record: lengths that do not add up, past the bounds. */
        b = full_report();
        put32(&b, 16 + 12, 4);         /* name_len 5 -> 4: one byte left over */
        expect_bad(&b);
        b = full_report();
        put32(&b, 16 + 8, CALLER_REPORT_GROUPS_MAX + 1);
        expect_bad(&b);
        b = full_report();
        put32(&b, 16 + 12, CALLER_REPORT_NAME_MAX + 1);
        expect_bad(&b);
        b = full_report();
        put32(&b, 16 + 16, CALLER_REPORT_PATH_MAX + 1);
        expect_bad(&b);
        b = full_report();
        put32(&b, 8, 20);              /* shorter than the user header */
        expect_bad(&b);
        /* A NUL in the name. */
        b = full_report();
        b.data[16 + 24 + 3 * 4 + 2] = '\0';
        expect_bad(&b);
        /* A user that exists but has no name, or uid -1. */
        b = (Buffer) {};
        append_user(&b, 0, &(UserRecord) { .uid = 5, .gid = 5, .name = "" });
        expect_bad(&b);
        b = (Buffer) {};
        append_user(&b, 0, &(UserRecord) { .uid = (uid_t) -1, .gid = 5, .name = "x" });
        expect_bad(&b);
        /* A length that claims more than any report: not a record cut short. */
        b = full_report();
        put32(&b, 8, 0x7fffffff);
        expect_bad(&b);
}

/* Path records (RootDirectory, bind sources): one per path, by index in
 * order, after the directory; each error kept for its path. */
static void test_paths(void **state) {
        _cleanup_(caller_reports_done) CallerReports r = {}, r2 = {};
        Buffer b = full_report(), b2 = {};
        size_t base = b.size;

        append_path(&b, CALLER_REPORT_PATH, 0, 0);
        append_path(&b, CALLER_REPORT_PATH, -EACCES, 1);
        append_path(&b, CALLER_REPORT_PATH, -ENOTDIR, 2);
        assert_int_equal(caller_reports_parse(b.data, b.size, 3, &r), 0);
        assert_true(r.have_directory);
        assert_int_equal(r.n_paths, 3);
        assert_int_equal(r.path_errors[0], 0);
        assert_int_equal(r.path_errors[1], -EACCES);
        assert_int_equal(r.path_errors[2], -ENOTDIR);

        /* Cut short: the paths whole so far, no more. */
        for (size_t n = base; n <= b.size; n++) {
                _cleanup_(caller_reports_done) CallerReports c = {};

                assert_int_equal(caller_reports_parse(b.data, n, 3, &c), 0);
                assert_int_equal(c.n_paths, (n - base) / CALLER_REPORT_PATH_SIZE);
        }

        /* Without io device and directory (a job with a root checks none):
         * the user, then the paths. */
        append_user(&b2, 0, &alice);
        append_path(&b2, CALLER_REPORT_PATH, -ENOENT, 0);
        assert_int_equal(caller_reports_parse(b2.data, b2.size, 1, &r2), 0);
        assert_false(r2.have_directory);
        assert_int_equal(r2.n_paths, 1);
        assert_int_equal(r2.path_errors[0], -ENOENT);
        free(b.data);
        free(b2.data);
}

static void test_paths_malformed(void **state) {
        Buffer b;

        /* An index past the paths asked for. */
        b = full_report();
        append_path(&b, CALLER_REPORT_PATH, 0, 0);
        append_path(&b, CALLER_REPORT_PATH, 0, 1);
        {
                CallerReports r = {};
                assert_int_equal(caller_reports_parse(b.data, b.size, 1, &r), -EBADMSG);
                assert_int_equal(caller_reports_parse(b.data, b.size, 0, &r), -EBADMSG);
                assert_null(r.user.name);
        }
        free(b.data);
        /* Twice, out of order, skipped. */
        b = full_report();
        append_path(&b, CALLER_REPORT_PATH, 0, 0);
        append_path(&b, CALLER_REPORT_PATH, 0, 0);
        expect_bad_paths(&b, 2);
        b = full_report();
        append_path(&b, CALLER_REPORT_PATH, 0, 1);
        append_path(&b, CALLER_REPORT_PATH, 0, 0);
        expect_bad_paths(&b, 2);
        b = full_report();
        append_path(&b, CALLER_REPORT_PATH, 0, 1);
        expect_bad_paths(&b, 2);
        /* An index of 2^32 (not truncated to 0). */
        b = full_report();
        append_path(&b, CALLER_REPORT_PATH, 0, UINT64_C(1) << 32);
        expect_bad_paths(&b, 2);
        /* A path before the directory; the directory after a path. */
        b = (Buffer) {};
        append_user(&b, 0, &alice);
        append_path(&b, CALLER_REPORT_PATH, 0, 0);
        append_path(&b, CALLER_REPORT_DIRECTORY, 0, 0);
        expect_bad_paths(&b, 2);
        /* An error that is not -errno; a record of another length. */
        b = full_report();
        append_path(&b, CALLER_REPORT_PATH, 0, 0);
        put32(&b, b.size - CALLER_REPORT_PATH_SIZE + 4, 2);
        expect_bad_paths(&b, 1);
        b = full_report();
        append_path(&b, CALLER_REPORT_PATH, 0, 0);
        put32(&b, b.size - CALLER_REPORT_PATH_SIZE + 8, 4);
        expect_bad_paths(&b, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),
                cmocka_unit_test(test_empty_fields),
                cmocka_unit_test(test_user_errors),
                cmocka_unit_test(test_format_bounds),
                cmocka_unit_test(test_largest),
                cmocka_unit_test(test_cut_short),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_paths),
                cmocka_unit_test(test_paths_malformed),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
