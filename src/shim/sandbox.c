/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job's namespaces: creating them (in the shim; the mount and cgroup
 * namespaces in init) and furnishing them (in init, still root): private
 * mounts, fresh /proc and /sys, a /dev/shm of its own, /run/user hidden,
 * hostname, lo. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "shim.h"

/* No mount namespace here: init makes its own (sandbox_setup()), so the
 * shim keeps the host's view (its status file, the terminal socket) and
 * the host's mount table is copied once per job, not twice. The cgroup
 * namespace is init's too, made once it is in the scope
 * (sandbox_enter_cgroup()). */
#define SANDBOX_NAMESPACES (CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)

#define MOUNT_FLAGS_API (MS_NOSUID | MS_NODEV | MS_NOEXEC)

int sandbox_unshare(const char **ret_stage) {
        if (unshare(SANDBOX_NAMESPACES) < 0) {
                *ret_stage = "create namespaces";
                return log_error_errno(errno, "Failed to create namespaces: %m");
        }
        return 0;
}

static int loopback_up(void) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {};

        if (fd < 0)
                return -errno;
        strncpy(ifr.ifr_name, "lo", sizeof ifr.ifr_name - 1);
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        if (ifr.ifr_flags & IFF_UP)
                return 0;
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return -errno;
        return 0;
}

/* POSIX shared memory and semaphores of the job's own: the host's /dev/shm
 * is shared by every user and every job. The pages are charged to the
 * job's memory limit. */
static int private_dev_shm(const char **ret_stage) {
        if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0) {
                if (errno == ENOENT)
                        return 0;       /* no /dev/shm on this host: nothing shared either */
                *ret_stage = "mount a private /dev/shm";
                return log_error_errno(errno, "Failed to mount a private /dev/shm: %m");
        }
        return 0;
}

/* An empty /run/user: the job does not reach its user's session (session
 * bus, user manager, through which it could start processes outside its
 * scope, limits and stop), nor learn who else is logged in. */
static int hide_user_runtime_directories(const char **ret_stage) {
        if (mount("tmpfs", "/run/user", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=64k") < 0) {
                if (errno == ENOENT)
                        return 0;       /* nothing to hide */
                *ret_stage = "hide /run/user";
                return log_error_errno(errno, "Failed to hide /run/user: %m");
        }
        return 0;
}

/* A root of the job's own has no /sys (root.c binds none in): there it is
 * mounted only if a bind's source may be found under it (the root
 * directory itself is then looked up in the host's /sys, as the daemon's
 * check of it was). Without one, init builds the root before its release
 * (init.c). */
bool sandbox_wants_sys(const ShimSpec *spec) {
        return !spec->root_directory || spec->n_binds > 0;
}

/* A sysfs of the new network namespace: only lo in /sys/class/net. Nice to
 * have: a container may refuse it, the job still runs. */
static void mount_sysfs(const ShimSpec *spec) {
        if (sandbox_wants_sys(spec) && mount("sysfs", "/sys", "sysfs", MOUNT_FLAGS_API | MS_RDONLY, NULL) < 0)
                log_debug_errno(errno, "Failed to mount /sys, continuing: %m");
}

int sandbox_setup(const ShimSpec *spec, const char **ret_stage) {
        const char *hostname = spec->id;
        int r;

        /* init's own mount namespace, the only one a job gets: pivot_root
         * (root.c) moves every process of a namespace, and the shim must
         * keep the host's. Our propagation changes and mounts must not
         * leak back to the host. */
        if (unshare(CLONE_NEWNS) < 0) {
                *ret_stage = "create the mount namespace";
                return log_error_errno(errno, "Failed to create the mount namespace: %m");
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                *ret_stage = "make mounts private";
                return log_error_errno(errno, "Failed to make mounts private: %m");
        }

        /* A /proc of the new PID namespace: the job sees only its own processes. */
        if (mount("proc", "/proc", "proc", MOUNT_FLAGS_API, NULL) < 0) {
                *ret_stage = "mount /proc";
                return log_error_errno(errno, "Failed to mount /proc: %m");
        }

        mount_sysfs(spec);

        r = private_dev_shm(ret_stage);
        if (r < 0)
                return r;

        if (!spec->user_runtime_directory) {
                r = hide_user_runtime_directories(ret_stage);
                if (r < 0)
                        return r;
        }

        if (sethostname(hostname, strlen(hostname)) < 0) {
                *ret_stage = "set the hostname";
                return log_error_errno(errno, "Failed to set the hostname: %m");
        }

        r = loopback_up();
        if (r < 0) {
                *ret_stage = "bring up the loopback interface";
                return log_error_errno(r, "Failed to bring up the loopback interface: %m");
        }

        return 0;
}

int sandbox_enter_cgroup(const ShimSpec *spec, const char **ret_stage) {
        /* Rooted where we are now: the job sees its scope as /. */
        if (unshare(CLONE_NEWCGROUP) < 0) {
                *ret_stage = "create the cgroup namespace";
                return log_error_errno(errno, "Failed to create the cgroup namespace: %m");
        }
        /* The job's own cgroup as /sys/fs/cgroup, so runtimes that size
         * themselves from cgroup limits see the job's (and a bind's source
         * may name it). Nice to have, as /sys is. A job with a root of its
         * own and no binds is past pivot_root here, without a /sys. */
        if (sandbox_wants_sys(spec) && mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MOUNT_FLAGS_API | MS_RDONLY, NULL) < 0)
                log_debug_errno(errno, "Failed to mount /sys/fs/cgroup, continuing: %m");
        return 0;
}
