/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Looking at paths the way the caller of a method sees them, without ever
 * blocking the event loop: a child with the caller's ids does the looking,
 * the loop only waits for its answer, and not for long. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef struct Manager Manager;

/* How long a check may take before its child is killed and the call
 * answered: a path on a hung NFS server, FUSE daemon or automount never
 * answers, and a caller may SIGSTOP the child (it runs with their uid). */
#define CALLER_CHECK_TIMEOUT_USEC (10 * USEC_PER_SEC)
/* Children not yet reaped (a killed child stuck in the kernel lingers until
 * the file system lets it go): per user and in all. */
#define CALLER_CHECKS_PER_USER_MAX 16U
#define CALLER_CHECKS_MAX 256U
/* Paths checked for reading (RootDirectory, bind sources). */
#define CALLER_CHECK_PATHS_MAX 80U

typedef struct CallerCheckSpec {
        uid_t uid;
        gid_t gid;
        const gid_t *groups;   /* supplementary groups, as the job gets them */
        int n_groups;
        const char *directory; /* must be enterable (chdir + stat) as the caller; NULL = none */
        const char *io_device; /* resolved to a block device as the caller; NULL = none */
        /* Each must be readable by the caller (and searchable, if a
         * directory), looked up without magic links (/proc/PID/fd/...). */
        const char *const *paths;
        size_t n_paths;        /* at most CALLER_CHECK_PATHS_MAX */
        const bool *path_is_directory;  /* must be one; NULL = any type for all */
} CallerCheckSpec;

typedef struct CallerCheckResult {
        /* 0; -errno as the caller got it; -ENOTDIR: not a directory;
         * -ETIMEDOUT: no answer in time (hung file system, stopped child);
         * -ECHILD: the child died without an answer (killed by the caller). */
        int directory_error;
        /* 0; -ENODEV: not a block device, nor a file or directory on one;
         * otherwise as directory_error. Unset (0) when io_device is NULL. */
        int io_device_error;
        /* The block device io_device names (its st_rdev), or the one its
         * file system lives on (st_dev), as the caller resolved it. */
        dev_t io_device_number;
        /* For each of paths: as directory_error; -ENOTDIR where a
         * directory was needed. */
        int path_errors[CALLER_CHECK_PATHS_MAX];
} CallerCheckResult;

/* Called once per check, from the event loop, with the result; userdata is
 * then freed with the free function given to caller_check_start(). */
typedef void (*caller_check_done_t)(const CallerCheckResult *result, void *userdata);

/* Forks the child and returns at once: 0, done() follows later. Checks
 * io_device first, then directory, then paths. -EUSERS when too many checks of this
 * user (or in all) are pending; other -errno on failure (then done() is
 * never called and userdata stays the caller's). */
int caller_check_start(Manager *m, const CallerCheckSpec *spec, caller_check_done_t done, void *userdata,
                       void (*free_userdata)(void *));

/* Checks still waiting for an answer: activity for the idle exit. */
unsigned caller_checks_pending(Manager *m);

/* At exit: drops every check without calling done() (the children die with
 * the daemon: they have a parent-death signal). */
void caller_check_free_all(Manager *m);
