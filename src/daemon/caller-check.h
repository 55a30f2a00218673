/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What must not run in the event loop for a caller, done by a child and
 * awaited asynchronously: the NSS lookup of the user (as root, in the
 * child: a slow or hung name service costs a timer, not the loop), then,
 * with that user's ids, a look at the paths the call names. The loop only
 * waits for the answer, and not for long. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "caller-report.h"

typedef struct Manager Manager;

/* How long a check may take before its child is killed and the call
 * answered: a name service or a path on a hung NFS server, FUSE daemon or
 * automount never answers, and a caller may SIGSTOP the child once it has
 * taken their uid. */
#define CALLER_CHECK_TIMEOUT_USEC (10 * USEC_PER_SEC)
/* Children not yet reaped (a killed child stuck in the kernel lingers until
 * the file system lets it go): per user and in all. */
#define CALLER_CHECKS_PER_USER_MAX 16U
#define CALLER_CHECKS_MAX 256U
/* Paths checked for reading (RootDirectory, bind sources). */
#define CALLER_CHECK_PATHS_MAX CALLER_REPORT_PATHS_MAX

typedef struct CallerCheckSpec {
        /* Who asks: counted against their share of checks. Unless
         * user_name is set, also the user the child resolves (their
         * passwd entry and groups) and, as that user, looks at the paths. */
        uid_t uid;
        /* Resolve this user by name instead (NULL: by uid): for a job run
         * as another user. The paths are then looked at as that user. */
        const char *user_name;
        /* Running as another user (StartJob's User and Group): user_name
         * may also be a decimal uid (parse_user_or_id()), which then needs
         * no passwd entry, as with systemd's DynamicUser: a uid NSS does
         * not know resolves to a bare user, named by the decimal uid, with
         * home "", gid = uid and no supplementary groups (n_groups 0: a
         * user with a passwd entry always has its primary group among
         * them). group_name, a name or decimal gid, replaces the primary
         * group; a user with an entry then has the groups initgroups()
         * gives it with that group. NULL: the user's own. */
        const char *group_name;
        const char *directory; /* must be enterable (chdir + stat) as the user; NULL = their home, or / */
        /* Check no directory at all (a job with a root of its own: its
         * working directory is inside it, entered by the shim). */
        bool no_directory;
        const char *io_device; /* resolved to a block device as the user; NULL = none */
        /* Each must be readable by the user (and searchable, if a
         * directory), looked up without magic links (/proc/PID/fd/...). */
        const char *const *paths;
        size_t n_paths;        /* at most CALLER_CHECK_PATHS_MAX */
        const bool *path_is_directory;  /* must be one; NULL = any type for all */
} CallerCheckSpec;

typedef struct CallerCheckResult {
        /* 0; -ENOENT: no passwd entry (or the lookup failed); -ESRCH:
         * group_name names no group; -E2BIG: in
         * more than CALLER_REPORT_GROUPS_MAX groups (user.name is set);
         * -ENAMETOOLONG: name, home or shell past caller-report.h's bounds;
         * -ETIMEDOUT, -ECHILD: as directory_error; -EBADMSG: the child's
         * report was malformed, or named another uid than asked for. The
         * paths are looked at only when it is 0. */
        int user_error;
        /* Set when user_error is 0. The check's: take what you keep. */
        UserRecord user;
        /* 0; -errno as the user got it; -ENOTDIR: not a directory;
         * -ETIMEDOUT: no answer in time (hung file system, stopped child);
         * -ECHILD: the child died without an answer (killed by the caller). */
        int directory_error;
        /* 0; -ENODEV: not a block device, nor a file or directory on one;
         * otherwise as directory_error. Unset (0) when io_device is NULL. */
        int io_device_error;
        /* The block device io_device names (its st_rdev), or the one its
         * file system lives on (st_dev), as the user resolved it. */
        dev_t io_device_number;
        /* For each of paths: as directory_error; -ENOTDIR where a
         * directory was needed. Set only when user_error is 0. */
        int path_errors[CALLER_CHECK_PATHS_MAX];
} CallerCheckResult;

/* Called once per check, from the event loop, with the result (whose user
 * record is freed after it returns, minus what it took); userdata is then
 * freed with the free function given to caller_check_start(). */
typedef void (*caller_check_done_t)(CallerCheckResult *result, void *userdata);

/* Forks the child and returns at once: 0, done() follows later. The child
 * resolves the user, then checks io_device, then the directory, then the
 * paths. -EUSERS when too many checks of this uid (or in all) are pending;
 * other -errno on failure (then done() is never called and userdata stays
 * the caller's). */
int caller_check_start(Manager *m, const CallerCheckSpec *spec, caller_check_done_t done, void *userdata,
                       void (*free_userdata)(void *));

/* Checks still waiting for an answer: activity for the idle exit. */
unsigned caller_checks_pending(Manager *m);

/* At exit: drops every check without calling done() (the children die with
 * the daemon: they have a parent-death signal). */
void caller_check_free_all(Manager *m);
