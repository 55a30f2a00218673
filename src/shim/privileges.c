/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Becoming the caller: the audit login uid first (needs
 * CAP_AUDIT_CONTROL); then the drop: empty bounding set, the caller's gids
 * and uid, no capabilities of any kind (also for uid 0), no_new_privs, and a
 * check that all of it holds; then, as the caller, a session keyring of the
 * job's own. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "shim.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(cap_t, cap_free);

static int fail(const char **ret_stage, int error, const char *what) {
        *ret_stage = "drop privileges";
        return log_error_errno(error, "Failed to drop privileges (%s): %m", what);
}

static int privileges_verify(uid_t uid, gid_t gid, const char **ret_stage) {
        _cleanup_(cap_freep) cap_t caps = NULL, empty = NULL;
        uid_t ruid, euid, suid;
        gid_t rgid, egid, sgid;

        caps = cap_get_proc();
        empty = cap_init();
        if (!caps || !empty)
                return fail(ret_stage, errno, "cap_get_proc");
        if (cap_compare(caps, empty) != 0)
                return fail(ret_stage, EPERM, "capabilities still set");

        for (cap_value_t c = 0; c < (cap_value_t) cap_max_bits(); c++) {
                if (cap_get_bound(c) != 0)
                        return fail(ret_stage, EPERM, "bounding set not empty");
                if (cap_get_ambient(c) > 0)
                        return fail(ret_stage, EPERM, "ambient set not empty");
        }

        if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
                return fail(ret_stage, errno, "getresuid");
        if (ruid != uid || euid != uid || suid != uid || rgid != gid || egid != gid || sgid != gid)
                return fail(ret_stage, EPERM, "user or group not changed");

        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
                return fail(ret_stage, EPERM, "no_new_privs not set");

        return 0;
}

int privileges_drop(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups, const char **ret_stage) {
        _cleanup_(cap_freep) cap_t empty = NULL;

        /* Needs CAP_SETPCAP, so first. With an empty bounding set even uid 0
         * gains nothing from execve(). */
        for (cap_value_t c = 0; c < (cap_value_t) cap_max_bits(); c++)
                if (cap_drop_bound(c) < 0)
                        return fail(ret_stage, errno, "cap_drop_bound");

        if (setgroups(n_groups, groups) < 0)
                return fail(ret_stage, errno, "setgroups");
        if (setresgid(gid, gid, gid) < 0)
                return fail(ret_stage, errno, "setresgid");
        if (setresuid(uid, uid, uid) < 0)
                return fail(ret_stage, errno, "setresuid");

        if (cap_reset_ambient() < 0)
                return fail(ret_stage, errno, "cap_reset_ambient");

        /* setresuid() to a non-zero uid cleared these already; for uid 0 it did not. */
        empty = cap_init();
        if (!empty)
                return fail(ret_stage, errno, "cap_init");
        if (cap_set_proc(empty) < 0)
                return fail(ret_stage, errno, "cap_set_proc");

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return fail(ret_stage, errno, "PR_SET_NO_NEW_PRIVS");

        return privileges_verify(uid, gid, ret_stage);
}

int privileges_set_loginuid(uid_t uid, const char **ret_stage) {
        _cleanup_close_ int fd = -EBADF;
        char buf[16];
        int n;

        /* Like pam_loginuid: a kernel without audit has no loginuid to set. */
        fd = open("/proc/self/loginuid", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 && errno == ENOENT) {
                log_debug("No /proc/self/loginuid (kernel without audit), not setting it.");
                return 0;
        }
        n = snprintf(buf, sizeof buf, "%u", (unsigned) uid);
        if (fd < 0 || write(fd, buf, (size_t) n) != n) {
                *ret_stage = "set the audit login uid";
                return log_error_errno(errno, "Failed to set the audit login uid to %u: %m", (unsigned) uid);
        }
        return 0;
}

int privileges_join_session_keyring(const char **ret_stage) {
        /* Anonymous, owned by the (new) uid: what pam_keyinit and systemd's
         * setup_keyring() give a session. Without it the job would keep the
         * daemon's session keyring, shared by every job of every user. */
        if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) < 0) {
                /* A kernel without keys has no keyring to share either. */
                if (errno == ENOSYS) {
                        log_debug("Kernel without key management, no session keyring to set up.");
                        return 0;
                }
                *ret_stage = "set up the session keyring";
                return log_error_errno(errno, "Failed to join a new session keyring: %m");
        }
        /* So the user's own keys (@u) are found from the session, as in a
         * login session. */
        if (syscall(SYS_keyctl, KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING, 0, 0) < 0) {
                *ret_stage = "set up the session keyring";
                return log_error_errno(errno, "Failed to link the user keyring into the session keyring: %m");
        }
        return 0;
}
