/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The caller check child's report, as bytes: written by the child, parsed
 * strictly by the daemon.
 *
 * A record is a header of four 32-bit words in host order (step, error,
 * payload length, 0) and its payload. A path step's payload is one 64-bit
 * value (the device for CALLER_REPORT_IO_DEVICE, the path's index for
 * CALLER_REPORT_PATH, else 0). The user step's
 * payload is six 32-bit words (uid, gid, number of groups, lengths of name,
 * home and shell), the groups (32 bits each), then name, home and shell,
 * without NULs. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "caller-report.h"
#include "macro.h"

#define HEADER_SIZE 16U
#define USER_HEADER_SIZE 24U

void user_record_done(UserRecord *u) {
        assert(u);

        free(u->name);
        free(u->home);
        free(u->shell);
        free(u->groups);
        *u = (UserRecord) {};
}

void caller_reports_done(CallerReports *r) {
        assert(r);

        user_record_done(&r->user);
        *r = (CallerReports) {};
}

static void put_u32(uint8_t *p, uint32_t v) {
        memcpy(p, &v, sizeof v);
}

static uint32_t get_u32(const uint8_t *p) {
        uint32_t v;

        memcpy(&v, p, sizeof v);
        return v;
}

static void put_header(uint8_t *p, CallerReportStep step, int error, uint32_t length) {
        put_u32(p, (uint32_t) step);
        put_u32(p + 4, (uint32_t) (int32_t) error);
        put_u32(p + 8, length);
        put_u32(p + 12, 0);
}

void caller_report_format_path(CallerReportStep step, int error, uint64_t value,
                               uint8_t ret[CALLER_REPORT_PATH_SIZE]) {
        assert(ret);

        put_header(ret, step, error, 8);
        memcpy(ret + HEADER_SIZE, &value, sizeof value);
}

int caller_report_format_user(int error, const UserRecord *u, uint8_t **ret, size_t *ret_size) {
        size_t name_len = 0, home_len = 0, shell_len = 0, n_groups = 0, size;
        uint8_t *buf, *p;

        assert(ret);
        assert(ret_size);
        assert(error <= 0);

        if (u) {
                name_len = u->name ? strlen(u->name) : 0;
                home_len = u->home ? strlen(u->home) : 0;
                shell_len = u->shell ? strlen(u->shell) : 0;
                n_groups = u->n_groups;
                if (name_len > CALLER_REPORT_NAME_MAX || home_len > CALLER_REPORT_PATH_MAX ||
                    shell_len > CALLER_REPORT_PATH_MAX || n_groups > CALLER_REPORT_GROUPS_MAX)
                        return -EINVAL;
                assert(n_groups == 0 || u->groups);
        }

        size = HEADER_SIZE + USER_HEADER_SIZE + n_groups * 4 + name_len + home_len + shell_len;
        buf = calloc(1, size);
        if (!buf)
                return -ENOMEM;
        put_header(buf, CALLER_REPORT_USER, error, (uint32_t) (size - HEADER_SIZE));
        p = buf + HEADER_SIZE;
        put_u32(p, u ? (uint32_t) u->uid : 0);
        put_u32(p + 4, u ? (uint32_t) u->gid : 0);
        put_u32(p + 8, (uint32_t) n_groups);
        put_u32(p + 12, (uint32_t) name_len);
        put_u32(p + 16, (uint32_t) home_len);
        put_u32(p + 20, (uint32_t) shell_len);
        p += USER_HEADER_SIZE;
        for (size_t i = 0; i < n_groups; i++, p += 4)
                put_u32(p, (uint32_t) u->groups[i]);
        if (name_len)
                memcpy(p, u->name, name_len);
        p += name_len;
        if (home_len)
                memcpy(p, u->home, home_len);
        p += home_len;
        if (shell_len)
                memcpy(p, u->shell, shell_len);

        *ret = buf;
        *ret_size = size;
        return 0;
}

static int take_string(const uint8_t **p, size_t len, char **ret) {
        if (memchr(*p, '\0', len))
                return -EBADMSG;
        *ret = strndup((const char *) *p, len);
        if (!*ret)
                return -ENOMEM;
        *p += len;
        return 0;
}

static int parse_user(int error, const uint8_t *p, size_t length, UserRecord *ret) {
        _cleanup_(user_record_done) UserRecord u = {};
        uint32_t n_groups, name_len, home_len, shell_len;
        int r;

        if (length < USER_HEADER_SIZE)
                return -EBADMSG;
        u.uid = (uid_t) get_u32(p);
        u.gid = (gid_t) get_u32(p + 4);
        n_groups = get_u32(p + 8);
        name_len = get_u32(p + 12);
        home_len = get_u32(p + 16);
        shell_len = get_u32(p + 20);
        if (n_groups > CALLER_REPORT_GROUPS_MAX || name_len > CALLER_REPORT_NAME_MAX ||
            home_len > CALLER_REPORT_PATH_MAX || shell_len > CALLER_REPORT_PATH_MAX)
                return -EBADMSG;
        /* All bounded above: no overflow. */
        if (length != USER_HEADER_SIZE + (size_t) n_groups * 4 + name_len + home_len + shell_len)
                return -EBADMSG;
        /* A user that exists has a name; uid -1 is nobody's. */
        if (error == 0 && (name_len == 0 || u.uid == (uid_t) -1 || u.gid == (gid_t) -1))
                return -EBADMSG;
        p += USER_HEADER_SIZE;

        if (n_groups > 0) {
                u.groups = calloc(n_groups, sizeof(gid_t));
                if (!u.groups)
                        return -ENOMEM;
                for (uint32_t i = 0; i < n_groups; i++, p += 4)
                        u.groups[i] = (gid_t) get_u32(p);
                u.n_groups = n_groups;
        }
        r = take_string(&p, name_len, &u.name);
        if (r < 0)
                return r;
        r = take_string(&p, home_len, &u.home);
        if (r < 0)
                return r;
        r = take_string(&p, shell_len, &u.shell);
        if (r < 0)
                return r;

        *ret = u;
        u = (UserRecord) {};
        return 0;
}

int caller_reports_parse(const uint8_t *buf, size_t size, size_t n_paths, CallerReports *ret) {
        _cleanup_(caller_reports_done) CallerReports reports = {};
        uint32_t last_step = 0;
        size_t offset = 0;
        int r;

        assert(buf || size == 0);
        assert(ret);
        assert(n_paths <= CALLER_REPORT_PATHS_MAX);

        if (size > CALLER_REPORTS_SIZE_MAX)
                return -EBADMSG;

        while (size - offset >= HEADER_SIZE) {
                const uint8_t *h = buf + offset;
                uint32_t step = get_u32(h), length = get_u32(h + 8);
                int32_t error = (int32_t) get_u32(h + 4);

                if (get_u32(h + 12) != 0 || error > 0 || error < -4095)
                        return -EBADMSG;
                /* In order, each step once; only path records repeat
                 * (their indices are checked below). */
                if (step < last_step || (step == last_step && step != CALLER_REPORT_PATH) ||
                    step == 0 || step > CALLER_REPORT_PATH)
                        return -EBADMSG;
                if (step != CALLER_REPORT_USER && length != 8)
                        return -EBADMSG;
                if (length > size - offset - HEADER_SIZE) {
                        /* Cut short: but only a last record can be, and
                         * only within its bounds. */
                        if (length > CALLER_REPORTS_SIZE_MAX)
                                return -EBADMSG;
                        break;
                }

                const uint8_t *p = h + HEADER_SIZE;
                switch (step) {
                case CALLER_REPORT_USER:
                        r = parse_user(error, p, length, &reports.user);
                        if (r < 0)
                                return r;
                        reports.user_error = error;
                        reports.have_user = true;
                        break;
                case CALLER_REPORT_IO_DEVICE:
                        memcpy(&reports.io_device, p, sizeof reports.io_device);
                        reports.io_device_error = error;
                        reports.have_io_device = true;
                        break;
                case CALLER_REPORT_DIRECTORY: {
                        uint64_t zero;
                        memcpy(&zero, p, sizeof zero);
                        if (zero != 0)
                                return -EBADMSG;
                        reports.directory_error = error;
                        reports.have_directory = true;
                        break;
                }
                case CALLER_REPORT_PATH: {
                        uint64_t index;
                        memcpy(&index, p, sizeof index);
                        /* Each path once, in order, and only those asked for. */
                        if (index != reports.n_paths || index >= n_paths)
                                return -EBADMSG;
                        reports.path_errors[reports.n_paths++] = error;
                        break;
                }
                }
                last_step = step;
                offset += HEADER_SIZE + length;
        }

        *ret = reports;
        reports = (CallerReports) {};
        return 0;
}
