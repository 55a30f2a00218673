/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the caller check's child (caller-check.c) tells the daemon over its
 * pipe, as bytes: the user it resolved through NSS, and the result of each
 * path it looked at. Written by our own child, but read as strictly as
 * anything a client sends: the child ran NSS modules and, after its uid
 * change, belongs to the caller. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* getgrouplist() is given room for this many (the kernel's NGROUPS_MAX). */
#define CALLER_REPORT_GROUPS_MAX 65536U
/* LOGIN_NAME_MAX including the NUL; home and shell are paths (PATH_MAX). */
#define CALLER_REPORT_NAME_MAX 255U
#define CALLER_REPORT_PATH_MAX 4095U
/* Paths checked for reading (RootDirectory, bind sources): at most this
 * many CALLER_REPORT_PATH records in one report. */
#define CALLER_REPORT_PATHS_MAX 80U

/* A passwd entry and its groups. */
typedef struct UserRecord {
        uid_t uid;
        gid_t gid;
        char *name;
        char *home;        /* may be "" (the job then gets "/") */
        char *shell;       /* may be "" (the job then gets /bin/sh) */
        gid_t *groups;     /* supplementary groups, with gid among them (getgrouplist()) */
        size_t n_groups;
} UserRecord;

void user_record_done(UserRecord *u);

typedef enum CallerReportStep {
        CALLER_REPORT_USER = 1,       /* error: 0; -ENOENT no entry; -E2BIG too many groups;
                                       * -ENAMETOOLONG a field past the bounds above */
        CALLER_REPORT_IO_DEVICE = 2,  /* error as CallerCheckResult.io_device_error; value: dev_t */
        CALLER_REPORT_DIRECTORY = 3,  /* error as CallerCheckResult.directory_error */
        CALLER_REPORT_PATH = 4,       /* error as CallerCheckResult.path_errors[]; value: the path's
                                       * index, one record per path, in order */
} CallerReportStep;

/* Everything reported, once parsed. */
typedef struct CallerReports {
        bool have_user, have_io_device, have_directory;
        int user_error;
        UserRecord user;              /* set when user_error == 0 (and its uid on -E2BIG, with its name) */
        int io_device_error;
        uint64_t io_device;
        int directory_error;
        size_t n_paths;               /* path records seen: paths 0 .. n_paths-1 */
        int path_errors[CALLER_REPORT_PATHS_MAX];
} CallerReports;

void caller_reports_done(CallerReports *r);

/* A path step's record: small and of fixed size, below PIPE_BUF, so that a
 * child killed half-way leaves a whole record or none. */
#define CALLER_REPORT_PATH_SIZE 24U
void caller_report_format_path(CallerReportStep step, int error, uint64_t value,
                               uint8_t ret[CALLER_REPORT_PATH_SIZE]);

/* The user step's record (u may be NULL when error < 0). -EINVAL if u
 * exceeds the bounds above (the child then reports -ENAMETOOLONG or
 * -E2BIG instead), -ENOMEM. */
int caller_report_format_user(int error, const UserRecord *u, uint8_t **ret, size_t *ret_size);

/* The most a whole report may take: the user record at its largest, and
 * the path records (io device, directory, and CALLER_REPORT_PATHS_MAX
 * paths). */
#define CALLER_REPORTS_SIZE_MAX (16U + 24U + CALLER_REPORT_GROUPS_MAX * 4U + CALLER_REPORT_NAME_MAX + \
                                 2U * CALLER_REPORT_PATH_MAX + \
                                 (2U + CALLER_REPORT_PATHS_MAX) * CALLER_REPORT_PATH_SIZE)

/* Parses what the child wrote, in order: the user, then the io device and
 * the directory, then one CALLER_REPORT_PATH record for each of the
 * n_paths paths asked for (at most CALLER_REPORT_PATHS_MAX), by index 0,
 * 1, ... A last record cut short (a child killed while writing) is left
 * out, as if never written; anything else malformed (a record out of order
 * or twice, a path index out of order or not below n_paths, an unknown
 * step, a length or error out of range, a NUL in a string) fails the whole
 * report with -EBADMSG. */
int caller_reports_parse(const uint8_t *buf, size_t size, size_t n_paths, CallerReports *ret);
