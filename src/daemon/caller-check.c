/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks of caller-named paths, done as the caller by a child process and
 * awaited asynchronously. The kernel decides what the caller may reach, so
 * root's view of the file system never leaks into an answer; and a path
 * that never answers (hung NFS, FUSE, automount) or a child its user stops
 * costs the daemon a timer, not its event loop. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "caller-check.h"
#include "log.h"
#include "macro.h"
#include "manager.h"

/* What the child writes, one record per finished step. Smaller than
 * PIPE_BUF, so each write is atomic: the parent reads whole records or
 * none, even from a child killed half-way. */
typedef struct CheckReport {
        int32_t step;
        int32_t error;      /* 0 or -errno */
        uint64_t device;    /* STEP_IO_DEVICE: the device number; STEP_PATH: the index */
} CheckReport;

enum {
        STEP_IO_DEVICE = 1,
        STEP_DIRECTORY = 2,
        STEP_PATH = 3,
};

typedef struct CallerCheck {
        Manager *manager;
        struct CallerCheck *next;
        uid_t uid;
        bool want_io_device, want_directory;
        bool have_io_device, have_directory;
        size_t want_paths;
        bool have_path[CALLER_CHECK_PATHS_MAX];

        pid_t pid;
        int fd;                         /* read end of the child's report pipe */
        sd_event_source *child_source;  /* until the child is reaped */
        sd_event_source *timer;         /* until the check is answered */

        CallerCheckResult result;
        caller_check_done_t done;       /* NULL once answered */
        void *userdata;
        void (*free_userdata)(void *);
} CallerCheck;

static void check_free(CallerCheck *c) {
        assert(c);

        for (CallerCheck **p = &c->manager->caller_checks; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        sd_event_source_disable_unref(c->timer);
        /* Not owned by the source (sd-event would wait for an owned child
         * to die, and this one may be stuck in the kernel): a child still
         * running here is the daemon exiting, and dies of its death signal. */
        sd_event_source_disable_unref(c->child_source);
        if (c->fd >= 0)
                close(c->fd);
        if (c->free_userdata && c->userdata)
                c->free_userdata(c->userdata);
        free(c);
}

/* Readable by us (the caller), searchable if a directory; found without
 * magic links, so /proc/PID/fd/N of someone else's open file is no way in. */
static int check_path_readable(const char *path, bool directory) {
        struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
        struct stat st;
        int fd = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how), r = 0;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (directory && !S_ISDIR(st.st_mode))
                r = -ENOTDIR;
        else if (syscall(SYS_faccessat2, fd, "", S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK, AT_EMPTY_PATH | AT_EACCESS) < 0)
                r = -errno;
        close(fd);
        return r;
}

/* The child: everything here runs between fork and _exit in a copy of the
 * daemon, so only plain system calls. It holds nothing of the daemon but
 * its report pipe, has the caller's ids and no capabilities, and dies with
 * the daemon. */
static _noreturn_ void child_run(const CallerCheckSpec *spec, int fd, pid_t parent) {
        CheckReport report;
        struct stat st;

        if ((fd > 0 && syscall(SYS_close_range, 0U, (unsigned) fd - 1, 0U) < 0) ||
            syscall(SYS_close_range, (unsigned) fd + 1, ~0U, 0U) < 0)
                _exit(EXIT_FAILURE);
        if (setgroups((size_t) spec->n_groups, spec->groups) < 0 ||
            setresgid(spec->gid, spec->gid, spec->gid) < 0 ||
            setresuid(spec->uid, spec->uid, spec->uid) < 0)
                _exit(EXIT_FAILURE);
        /* The uid change cleared any death signal, so set it now; and the
         * daemon may have died before that. Not dumpable: the caller, whose
         * uid this is, must not ptrace a forged answer into the pipe. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent ||
            prctl(PR_SET_DUMPABLE, 0) < 0)
                _exit(EXIT_FAILURE);

        if (spec->io_device) {
                /* As systemd resolves an IO limit's path: a block device
                 * node stands for itself, a file or directory for the
                 * device its file system is on. */
                report = (CheckReport) { .step = STEP_IO_DEVICE };
                if (stat(spec->io_device, &st) < 0)
                        report.error = -errno;
                else if (S_ISBLK(st.st_mode))
                        report.device = st.st_rdev;
                else if ((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) && major(st.st_dev) != 0)
                        report.device = st.st_dev;
                else
                        report.error = -ENODEV;  /* fifo, socket, char device, tmpfs, NFS... */
                if (write(fd, &report, sizeof report) != sizeof report)
                        _exit(EXIT_FAILURE);
        }
        if (spec->directory) {
                report = (CheckReport) { .step = STEP_DIRECTORY };
                if (chdir(spec->directory) < 0)
                        report.error = -errno;
                else if (stat(".", &st) < 0)
                        report.error = -errno;
                else if (!S_ISDIR(st.st_mode))
                        report.error = -ENOTDIR;
                if (write(fd, &report, sizeof report) != sizeof report)
                        _exit(EXIT_FAILURE);
        }
        for (size_t i = 0; i < spec->n_paths; i++) {
                report = (CheckReport) { .step = STEP_PATH, .device = i, 
                                         .error = check_path_readable(spec->paths[i],
                                                                      spec->path_is_directory &&
                                                                      spec->path_is_directory[i]) };
                if (write(fd, &report, sizeof report) != sizeof report)
                        _exit(EXIT_FAILURE);
        }
        _exit(EXIT_SUCCESS);
}

/* Takes in whatever the child has reported so far. */
static void read_reports(CallerCheck *c) {
        CheckReport report;
        ssize_t n;

        assert(c);

        if (c->fd < 0)
                return;
        for (;;) {
                n = read(c->fd, &report, sizeof report);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno != EAGAIN)
                        log_warning_errno(errno, "Failed to read a caller check's report: %m");
                if (n != sizeof report)
                        break;
                /* Written by our own code, but be strict all the same. */
                if (report.error > 0 || report.error < -4095)
                        continue;
                if (report.step == STEP_IO_DEVICE && c->want_io_device && !c->have_io_device) {
                        c->result.io_device_error = report.error;
                        c->result.io_device_number = (dev_t) report.device;
                        c->have_io_device = true;
                } else if (report.step == STEP_DIRECTORY && c->want_directory && !c->have_directory) {
                        c->result.directory_error = report.error;
                        c->have_directory = true;
                } else if (report.step == STEP_PATH && report.device < c->want_paths && !c->have_path[report.device]) {
                        c->result.path_errors[report.device] = report.error;
                        c->have_path[report.device] = true;
                }
        }
}

/* Answers the check: what the child reported, and reason for every step it
 * did not report. May free c (when the child is already reaped). */
static void check_answer(CallerCheck *c, int reason) {
        assert(c);

        read_reports(c);
        if (c->done) {
                caller_check_done_t done = TAKE_PTR(c->done);
                if (c->want_io_device && !c->have_io_device)
                        c->result.io_device_error = reason;
                if (c->want_directory && !c->have_directory)
                        c->result.directory_error = reason;
                for (size_t i = 0; i < c->want_paths; i++)
                        if (!c->have_path[i])
                                c->result.path_errors[i] = reason;
                c->timer = sd_event_source_disable_unref(c->timer);
                done(&c->result, c->userdata);
                if (c->free_userdata)
                        c->free_userdata(c->userdata);
                c->userdata = NULL;
        }
        if (!c->child_source)
                check_free(c);
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        CallerCheck *c = userdata;

        assert(c);

        c->child_source = sd_event_source_disable_unref(c->child_source);
        if (si->si_code != CLD_EXITED || si->si_status != EXIT_SUCCESS)
                log_debug("Caller check of uid %u ended without an answer (code %d, status %d).",
                          (unsigned) c->uid, si->si_code, si->si_status);
        /* Exited: every report it made is in the pipe already. */
        check_answer(c, -ECHILD);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        CallerCheck *c = userdata;
        int r;

        assert(c);

        log_warning("A path check as uid %u gave no answer in %llu s, killing it (hung file system, or a stopped check).",
                    (unsigned) c->uid, (unsigned long long) (CALLER_CHECK_TIMEOUT_USEC / USEC_PER_SEC));
        /* The child stays watched: reaped whenever the kernel lets it go
         * (a task stuck in D state only dies when its file system answers). */
        r = sd_event_source_send_child_signal(c->child_source, SIGKILL, NULL, 0);
        if (r < 0)
                log_warning_errno(r, "Failed to kill caller check %d: %m", (int) c->pid);
        check_answer(c, -ETIMEDOUT);
        return 0;
}

static unsigned count_children(Manager *m, uid_t uid, unsigned *ret_of_uid) {
        unsigned n = 0, of_uid = 0;

        for (CallerCheck *c = m->caller_checks; c; c = c->next)
                if (c->child_source) {
                        n++;
                        if (c->uid == uid)
                                of_uid++;
                }
        *ret_of_uid = of_uid;
        return n;
}

int caller_check_start(Manager *m, const CallerCheckSpec *spec, caller_check_done_t done, void *userdata,
                       void (*free_userdata)(void *)) {
        _cleanup_close_pair_ int pipe_fds[2] = { -1, -1 };
        unsigned of_uid;
        int r;

        assert(m);
        assert(spec);
        assert(done);
        assert(spec->n_groups == 0 || spec->groups);
        assert(spec->n_paths <= CALLER_CHECK_PATHS_MAX);
        assert(spec->n_paths == 0 || spec->paths);

        if (count_children(m, spec->uid, &of_uid) >= CALLER_CHECKS_MAX || of_uid >= CALLER_CHECKS_PER_USER_MAX)
                return -EUSERS;

        CallerCheck *c = calloc(1, sizeof(CallerCheck));
        if (!c)
                return -ENOMEM;
        *c = (CallerCheck) {
                .manager = m,
                .uid = spec->uid,
                .want_io_device = spec->io_device,
                .want_directory = spec->directory,
                .want_paths = spec->n_paths,
                .fd = -1,
        };

        if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
                r = log_error_errno(errno, "Failed to create a pipe: %m");
                free(c);
                return r;
        }
        if (fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK) < 0) {
                r = log_error_errno(errno, "Failed to make a pipe non-blocking: %m");
                free(c);
                return r;
        }

        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                r = log_error_errno(errno, "Failed to fork a caller check: %m");
                free(c);
                return r;
        }
        if (pid == 0)
                child_run(spec, pipe_fds[1], parent);

        pipe_fds[1] = (close(pipe_fds[1]), -1);
        c->pid = pid;
        c->fd = TAKE_FD(pipe_fds[0]);
        r = sd_event_add_child(m->event, &c->child_source, pid, WEXITED, on_child_exit, c);
        if (r < 0) {
                /* Not waited for: it may be stuck in a hung path already.
                 * Killed, it is a zombie until the daemon exits. */
                (void) kill(pid, SIGKILL);
                log_error_errno(r, "Failed to watch caller check %d: %m", (int) pid);
                check_free(c);
                return r;
        }
        r = sd_event_add_time_relative(m->event, &c->timer, CLOCK_MONOTONIC, CALLER_CHECK_TIMEOUT_USEC, 0,
                                       on_timeout, c);
        if (r < 0) {
                /* Killed but still watched: reaped when it is gone (never
                 * waited for here, it may be stuck in the kernel). */
                log_error_errno(r, "Failed to arm caller check %d: %m", (int) pid);
                (void) sd_event_source_send_child_signal(c->child_source, SIGKILL, NULL, 0);
                c->next = m->caller_checks;
                m->caller_checks = c;
                return r;
        }
        c->done = done;
        c->userdata = userdata;
        c->free_userdata = free_userdata;
        c->next = m->caller_checks;
        m->caller_checks = c;
        return 0;
}

unsigned caller_checks_pending(Manager *m) {
        unsigned n = 0;

        assert(m);

        for (CallerCheck *c = m->caller_checks; c; c = c->next)
                if (c->done)
                        n++;
        return n;
}

void caller_check_free_all(Manager *m) {
        assert(m);

        while (m->caller_checks)
                check_free(m->caller_checks);
}
