/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The work a call needs done outside the event loop, by a child process
 * awaited asynchronously: the NSS lookup of the user, as root, and then a
 * look, as that user, at the paths the call names. The kernel decides what
 * the user may reach, so root's view of the file system never leaks into
 * an answer; and a name service or path that never answers (hung NFS,
 * FUSE, automount, LDAP) or a child its user stops costs the daemon a
 * timer, not its event loop. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "caller-check.h"
#include "parse-util.h"
#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "manager.h"

/* getpwuid_r()'s buffer may grow to this: past it, an entry is not one we
 * can use anyway (caller-report.h's bounds). */
#define PASSWD_BUFFER_MAX (1024U * 1024U)

typedef struct CallerCheck {
        Manager *manager;
        struct CallerCheck *next;
        uid_t uid;
        bool by_uid;                    /* the resolved user must have expect_uid */
        uid_t expect_uid;
        bool want_io_device, want_directory;
        size_t n_paths;

        pid_t pid;
        int fd;                         /* read end of the child's report pipe; -1 at EOF */
        sd_event_source *io_source;     /* drains the pipe as the child writes */
        uint8_t *buf;                   /* what it wrote so far */
        size_t size, allocated;
        bool overflow;                  /* it wrote more than any report takes */
        sd_event_source *child_source;  /* until the child is reaped */
        sd_event_source *timer;         /* until the check is answered */

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
        sd_event_source_disable_unref(c->io_source);
        if (c->fd >= 0)
                close(c->fd);
        free(c->buf);
        if (c->free_userdata && c->userdata)
                c->free_userdata(c->userdata);
        free(c);
}

/* In the child, as root: the user's passwd entry and groups, as NSS has
 * them. Returns the report's error (0, -ENOENT, -E2BIG, -ENAMETOOLONG,
 * -ENOMEM) with as much of ret filled in as the report carries. */
static int child_resolve_user(const CallerCheckSpec *spec, UserRecord *ret) {
        struct passwd pw, *pwp = NULL;
        char *buf = NULL;
        size_t size;
        long n = sysconf(_SC_GETPW_R_SIZE_MAX);
        int r, n_groups = (int) CALLER_REPORT_GROUPS_MAX;
        uint32_t id;
        /* A decimal user_name is a uid (a run-as user), looked up by uid. */
        bool by_id = spec->user_name && parse_user_or_id(spec->user_name, &id) == 1;

        *ret = (UserRecord) { .uid = by_id ? id : spec->uid };
        for (size = n > 0 ? (size_t) n : 16384; ; size *= 2) {
                free(buf);
                buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                r = spec->user_name && !by_id ? getpwnam_r(spec->user_name, &pw, buf, size, &pwp)
                                              : getpwuid_r(ret->uid, &pw, buf, size, &pwp);
                if (r != ERANGE || size >= PASSWD_BUFFER_MAX)
                        break;
        }
        if ((r != 0 || !pwp) && by_id) {
                /* A uid without an entry, as DynamicUser: named by its number. */
                ret->gid = id;
                if (asprintf(&ret->name, "%" PRIu32, id) < 0)
                        ret->name = NULL;
                ret->home = strdup("");
                ret->shell = strdup("");
                return ret->name && ret->home && ret->shell ? 0 : -ENOMEM;
        }
        /* Not found and failed alike: the daemon cannot run the job. */
        if (r != 0 || !pwp)
                return -ENOENT;
        ret->uid = pw.pw_uid;
        ret->gid = pw.pw_gid;
        if (!pw.pw_name || strlen(pw.pw_name) == 0 || strlen(pw.pw_name) > CALLER_REPORT_NAME_MAX ||
            (pw.pw_dir && strlen(pw.pw_dir) > CALLER_REPORT_PATH_MAX) ||
            (pw.pw_shell && strlen(pw.pw_shell) > CALLER_REPORT_PATH_MAX))
                return -ENAMETOOLONG;
        ret->name = strdup(pw.pw_name);
        ret->home = strdup(pw.pw_dir ?: "");
        ret->shell = strdup(pw.pw_shell ?: "");
        ret->groups = calloc(CALLER_REPORT_GROUPS_MAX, sizeof(gid_t));
        if (!ret->name || !ret->home || !ret->shell || !ret->groups)
                return -ENOMEM;
        if (getgrouplist(pw.pw_name, pw.pw_gid, ret->groups, &n_groups) < 0)
                return -E2BIG;
        ret->n_groups = (size_t) n_groups;
        return 0;
}

/* In the child, as root: a group's gid, by name (NSS) or decimal gid.
 * -ESRCH if there is no such group (or the lookup failed). */
static int child_resolve_group(const char *group, gid_t *ret) {
        struct group gr, *grp = NULL;
        _cleanup_free_ char *buf = NULL;
        uint32_t id;
        size_t size;
        long n = sysconf(_SC_GETGR_R_SIZE_MAX);
        int r;

        r = parse_user_or_id(group, &id);
        if (r == 1) {
                *ret = id;
                return 0;
        }
        if (r < 0)
                return -ESRCH;
        for (size = n > 0 ? (size_t) n : 16384; ; size *= 2) {
                free(buf);
                buf = malloc(size);
                if (!buf)
                        return -ENOMEM;
                r = getgrnam_r(group, &gr, buf, size, &grp);
                if (r != ERANGE || size >= PASSWD_BUFFER_MAX)
                        break;
        }
        if (r != 0 || !grp || grp->gr_gid == (gid_t) -1)
                return -ESRCH;
        *ret = grp->gr_gid;
        return 0;
}

/* The user's primary group replaced by group_name: a user with an entry
 * gets the groups initgroups() would give it with that group, a bare uid
 * none. */
static int child_apply_group(const CallerCheckSpec *spec, UserRecord *u) {
        gid_t gid;
        int r, n_groups = (int) CALLER_REPORT_GROUPS_MAX;

        r = child_resolve_group(spec->group_name, &gid);
        if (r < 0)
                return r;
        u->gid = gid;
        if (u->n_groups == 0)
                return 0;
        if (getgrouplist(u->name, gid, u->groups, &n_groups) < 0)
                return -E2BIG;
        u->n_groups = (size_t) n_groups;
        return 0;
}

/* In the child, as the user: readable, searchable if a directory; found
 * without magic links, so /proc/PID/fd/N of someone else's open file is no
 * way in. */
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
        else if (syscall(SYS_faccessat2, fd, "", S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK,
                         AT_EMPTY_PATH | AT_EACCESS) < 0)
                r = -errno;
        close(fd);
        return r;
}

/* The child: everything here runs between fork and _exit in a copy of the
 * daemon. The daemon has one thread, so libc (malloc, NSS) is safe to use
 * here. It holds nothing of the daemon but its report pipe, dies with the
 * daemon, and looks at paths only with the user's ids and no capabilities. */
static _noreturn_ void child_run(const CallerCheckSpec *spec, int fd, pid_t parent) {
        _cleanup_free_ uint8_t *record = NULL;
        uint8_t report[CALLER_REPORT_PATH_SIZE];
        UserRecord user;
        size_t size;
        struct stat st;
        int r, k;

        if ((fd > 0 && syscall(SYS_close_range, 0U, (unsigned) fd - 1, 0U) < 0) ||
            syscall(SYS_close_range, (unsigned) fd + 1, ~0U, 0U) < 0)
                _exit(EXIT_FAILURE);
        /* A lookup that hangs must not outlive the daemon either. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(EXIT_FAILURE);

        /* As root: NSS for the user asked for. One write of up to ~270 KiB
         * (the daemon drains the pipe as it comes); the caller cannot
         * signal a root process, so it is written whole. */
        r = child_resolve_user(spec, &user);
        if (r == 0 && spec->group_name)
                r = child_apply_group(spec, &user);
        if (r == -ENOMEM)
                _exit(EXIT_FAILURE);
        if (r == -ENAMETOOLONG)
                user = (UserRecord) { .uid = user.uid };  /* only the uid fits the report */
        if (r == -E2BIG)
                user.n_groups = 0;
        k = caller_report_format_user(r, r == -ENOENT ? NULL : &user, &record, &size);
        if (k < 0 || write_all(fd, record, size) < 0)
                _exit(EXIT_FAILURE);
        if (r < 0)
                _exit(EXIT_SUCCESS);

        if (setgroups(user.n_groups, user.groups) < 0 ||
            setresgid(user.gid, user.gid, user.gid) < 0 ||
            setresuid(user.uid, user.uid, user.uid) < 0)
                _exit(EXIT_FAILURE);
        /* The uid change cleared the death signal, so set it again; and the
         * daemon may have died before that. Not dumpable: the caller, whose
         * uid this is, must not ptrace a forged answer into the pipe. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent ||
            prctl(PR_SET_DUMPABLE, 0) < 0)
                _exit(EXIT_FAILURE);

        if (spec->io_device) {
                /* As systemd resolves an IO limit's path: a block device
                 * node stands for itself, a file or directory for the
                 * device its file system is on. */
                uint64_t device = 0;
                r = 0;
                if (stat(spec->io_device, &st) < 0)
                        r = -errno;
                else if (S_ISBLK(st.st_mode))
                        device = st.st_rdev;
                else if ((S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) && major(st.st_dev) != 0)
                        device = st.st_dev;
                else
                        r = -ENODEV;  /* fifo, socket, char device, tmpfs, NFS... */
                /* Below PIPE_BUF: whole or not at all, even if killed. */
                caller_report_format_path(CALLER_REPORT_IO_DEVICE, r, device, report);
                if (write(fd, report, sizeof report) != sizeof report)
                        _exit(EXIT_FAILURE);
        }

        if (!spec->no_directory) {
                const char *directory = spec->directory ?: (user.home[0] ? user.home : "/");
                r = 0;
                if (chdir(directory) < 0)
                        r = -errno;
                else if (stat(".", &st) < 0)
                        r = -errno;
                else if (!S_ISDIR(st.st_mode))
                        r = -ENOTDIR;
                caller_report_format_path(CALLER_REPORT_DIRECTORY, r, 0, report);
                if (write(fd, report, sizeof report) != sizeof report)
                        _exit(EXIT_FAILURE);
        }

        /* RootDirectory and bind sources, as the same user: one record
         * each, by index. */
        for (size_t i = 0; i < spec->n_paths; i++) {
                r = check_path_readable(spec->paths[i], spec->path_is_directory && spec->path_is_directory[i]);
                caller_report_format_path(CALLER_REPORT_PATH, r, i, report);
                if (write(fd, report, sizeof report) != sizeof report)
                        _exit(EXIT_FAILURE);
        }
        _exit(EXIT_SUCCESS);
}

/* Takes in whatever the child has written so far; at EOF, closes the pipe. */
static void read_available(CallerCheck *c) {
        ssize_t n;

        assert(c);

        while (c->fd >= 0) {
                if (c->size == c->allocated) {
                        /* One byte past the largest report: more is malformed. */
                        if (c->allocated > CALLER_REPORTS_SIZE_MAX) {
                                c->overflow = true;
                                break;
                        }
                        size_t a = c->allocated ? c->allocated * 2 : 4096;
                        if (a > CALLER_REPORTS_SIZE_MAX + 1)
                                a = CALLER_REPORTS_SIZE_MAX + 1;
                        uint8_t *b = realloc(c->buf, a);
                        if (!b) {
                                log_error("Out of memory reading a caller check's report.");
                                c->overflow = true;
                                break;
                        }
                        c->buf = b;
                        c->allocated = a;
                }
                n = read(c->fd, c->buf + c->size, c->allocated - c->size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return;
                if (n < 0)
                        log_warning_errno(errno, "Failed to read a caller check's report: %m");
                if (n <= 0)
                        break;
                c->size += (size_t) n;
        }
        /* EOF, an error or too much: nothing more to take. */
        c->io_source = sd_event_source_disable_unref(c->io_source);
        if (c->fd >= 0)
                c->fd = (close(c->fd), -1);
}

static int on_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        CallerCheck *c = userdata;

        assert(c);

        read_available(c);
        if (c->overflow && c->child_source)
                (void) sd_event_source_send_child_signal(c->child_source, SIGKILL, NULL, 0);
        return 0;
}

/* Answers the check: what the child reported, and reason for every step it
 * did not report. May free c (when the child is already reaped). */
static void check_answer(CallerCheck *c, int reason) {
        assert(c);

        read_available(c);
        if (c->done) {
                caller_check_done_t done = TAKE_PTR(c->done);
                _cleanup_(caller_reports_done) CallerReports reports = {};
                int r;

                r = c->overflow ? -EBADMSG : caller_reports_parse(c->buf, c->size, c->n_paths, &reports);
                if (r >= 0 && reports.have_user && reports.user_error == 0 && c->by_uid &&
                    reports.user.uid != c->expect_uid)
                        r = -EBADMSG;  /* NSS answered for someone else */
                if (r < 0) {
                        log_warning_errno(r, "Caller check of uid %u sent a report that is not one: %m",
                                          (unsigned) c->uid);
                        caller_reports_done(&reports);
                        reason = r;
                }

                CallerCheckResult result = {
                        .user_error = reports.have_user ? reports.user_error : reason,
                };
                if (result.user_error == 0) {
                        result.user = reports.user;
                        reports.user = (UserRecord) {};
                        if (c->want_directory)
                                result.directory_error = reports.have_directory ? reports.directory_error : reason;
                        for (size_t i = 0; i < c->n_paths; i++)
                                result.path_errors[i] = i < reports.n_paths ? reports.path_errors[i] : reason;
                        if (c->want_io_device) {
                                result.io_device_error = reports.have_io_device ? reports.io_device_error : reason;
                                result.io_device_number = (dev_t) reports.io_device;
                        }
                } else if (result.user_error == -E2BIG) {
                        result.user.name = TAKE_PTR(reports.user.name);  /* for the error */
                }
                c->timer = sd_event_source_disable_unref(c->timer);
                done(&result, c->userdata);
                user_record_done(&result.user);
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

        log_warning("A check for uid %u (user lookup, paths) gave no answer in %llu s, killing it (hung file system, or a stopped check).",
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
        assert(spec->n_paths <= CALLER_CHECK_PATHS_MAX);
        assert(spec->n_paths == 0 || spec->paths);

        if (count_children(m, spec->uid, &of_uid) >= CALLER_CHECKS_MAX || of_uid >= CALLER_CHECKS_PER_USER_MAX)
                return -EUSERS;
        uint32_t id;
        bool by_id = spec->user_name && parse_user_or_id(spec->user_name, &id) == 1;

        CallerCheck *c = calloc(1, sizeof(CallerCheck));
        if (!c)
                return -ENOMEM;
        *c = (CallerCheck) {
                .manager = m,
                .uid = spec->uid,
                .by_uid = !spec->user_name || by_id,
                .expect_uid = by_id ? id : spec->uid,
                .want_io_device = spec->io_device,
                .want_directory = !spec->no_directory,
                .n_paths = spec->n_paths,
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
        r = sd_event_add_io(m->event, &c->io_source, c->fd, EPOLLIN, on_readable, c);
        if (r >= 0)
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
