/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* init: PID 1 of the job's namespaces. Furnishes the sandbox, drops to the
 * caller, starts the command, forwards signals to it, reaps every child and
 * reports the command's end to the shim in one record. Modelled on
 * bubblewrap's do_init. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "job-status.h"
#include "log.h"
#include "shim.h"

static void send_record(int status_fd, JobExitKind kind, int value, const char *stage) {
        JobInitRecord r = { .kind = kind, .value = value };
        char buf[JOB_INIT_RECORD_MAX];

        if (stage)
                snprintf(r.stage, sizeof r.stage, "%s", stage);
        size_t n = job_init_record_encode(&r, buf);
        /* One write of at most PIPE_BUF bytes into an empty pipe: atomic. */
        if (write(status_fd, buf, n) != (ssize_t) n)
                log_error_errno(errno, "Failed to send the job status to the shim: %m");
}

_noreturn_ static void fail_start(int status_fd, int error, const char *stage) {
        send_record(status_fd, JOB_START_FAILED, error < 0 ? -error : error, stage);
        _exit(EXIT_FAILURE);
}

int close_fds_from(unsigned first, unsigned last) {
        if (first > last)
                return 0;
        if (syscall(SYS_close_range, first, last, 0) == 0)
                return 0;
        if (errno != ENOSYS)
                return -errno;

        /* Kernels before 5.9. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return -errno;
        for (unsigned fd = first; fd <= last && fd < rl.rlim_cur; fd++)
                (void) close((int) fd);
        return 0;
}

/* Leaves fds 0-2 and the n fds of keep (those >= 3, in any order) open:
 * nothing of the daemon's or ours reaches the job (runc CVE-2024-21626). */
static int close_all_fds_but(const int *keep, size_t n) {
        unsigned next = 3;

        for (;;) {
                /* The lowest kept fd at or above next, if any. */
                int low = -1;
                for (size_t i = 0; i < n; i++)
                        if (keep[i] >= (int) next && (low < 0 || keep[i] < low))
                                low = keep[i];
                if (low < 0)
                        return close_fds_from(next, ~0U);
                if ((unsigned) low > next) {
                        int r = close_fds_from(next, (unsigned) low - 1);
                        if (r < 0)
                                return r;
                }
                next = (unsigned) low + 1;
        }
}

_noreturn_ static void exec_command(char **command, int error_fd, int tty_fd) {
        sigset_t none;
        int r;

        /* The job starts with default signal handling and an empty mask. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
        sigemptyset(&none);
        if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) {
                r = errno;
                goto fail;
        }

        /* No controlling terminal: an inherited tty cannot be used to push
         * input to whoever reads it (TIOCSTI, bubblewrap CVE-2017-5226). */
        (void) setsid();

        /* A terminal job: its own fresh pty as stdio and controlling
         * terminal, the command the session leader. */
        if (tty_fd >= 0 &&
            (ioctl(tty_fd, TIOCSCTTY, 0) < 0 || dup2(tty_fd, STDIN_FILENO) < 0 ||
             dup2(tty_fd, STDOUT_FILENO) < 0 || dup2(tty_fd, STDERR_FILENO) < 0)) {
                r = errno;
                goto fail;
        }

        r = close_all_fds_but(&error_fd, 1);
        if (r < 0) {
                r = -r;
                goto fail;
        }

        execvp(command[0], command);
        r = errno;
fail:
        (void) !write(error_fd, &r, sizeof r);
        _exit(127);
}

/* fd 0 onto /dev/null (closed if there is none), so that no later fd of
 * ours lands there. */
void stdin_release(void) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0) {
                (void) close(STDIN_FILENO);
                return;
        }
        if (fd != STDIN_FILENO) {
                (void) dup2(fd, STDIN_FILENO);
                (void) close(fd);
        }
}

/* Returns the command's pid, or fails the start. */
static pid_t start_command(char **command, int status_fd, int tty_fd) {
        _cleanup_close_pair_ int error_pipe[2] = { -EBADF, -EBADF };
        _cleanup_free_ char *stage = NULL;
        int error = 0;
        ssize_t n;
        pid_t pid;

        if (pipe2(error_pipe, O_CLOEXEC) < 0)
                fail_start(status_fd, errno, "create the exec error pipe");

        pid = fork();
        if (pid < 0)
                fail_start(status_fd, errno, "fork the command");
        if (pid == 0)
                exec_command(command, error_pipe[1], tty_fd);

        closep(&error_pipe[1]);
        error_pipe[1] = -EBADF;
        do
                n = read(error_pipe[0], &error, sizeof error);
        while (n < 0 && errno == EINTR);
        if (n == 0)
                return pid;     /* EOF: execve() succeeded and closed the pipe */

        if (n != (ssize_t) sizeof error || error <= 0)
                error = EPROTO;
        (void) waitpid(pid, NULL, 0);
        if (asprintf(&stage, "execute %s", command[0]) < 0)
                stage = NULL;
        log_error_errno(error, "Failed to execute %s: %m", command[0]);
        fail_start(status_fd, error, stage ?: "execute the command");
}

/* What was sent to the scope while it held us but not init yet (a stop's
 * SIGTERM right after the go) reached only us, and waits here, blocked:
 * it goes on to init, now in the scope, which hands it to the command. */
void init_forward_early_signals(pid_t init_pid) {
        static const struct timespec now = {};
        sigset_t mask;
        int sig;

        shim_forwarded_signals(&mask);
        while ((sig = sigtimedwait(&mask, NULL, &now)) > 0)
                (void) kill(init_pid, sig);
}

static int setup_signals(void) {
        sigset_t mask;

        /* The forwarded signals are blocked since the shim was spawned
         * (shim_forwarded_signals()), so none sent since is lost; take them
         * and SIGCHLD through the signalfd. */
        shim_forwarded_signals(&mask);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;

        int fd = signalfd(-1, &mask, SFD_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

/* Forwards signals and reaps until the command has exited; returns its
 * wait status. */
static int supervise(int signal_fd, pid_t command_pid) {
        for (;;) {
                struct signalfd_siginfo si;
                ssize_t n = read(signal_fd, &si, sizeof si);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n != (ssize_t) sizeof si) {
                        log_error_errno(n < 0 ? errno : EIO, "Failed to read from the signalfd: %m");
                        return -1;
                }

                if (si.ssi_signo != SIGCHLD) {
                        (void) kill(command_pid, (int) si.ssi_signo);
                        continue;
                }

                /* Reap everything: the command and any orphan reparented to us. */
                int command_status = -1;
                for (;;) {
                        int status;
                        pid_t pid = waitpid(-1, &status, WNOHANG);
                        if (pid <= 0)
                                break;
                        if (pid == command_pid)
                                command_status = status;
                }
                if (command_status >= 0)
                        return command_status;
        }
}

/* Die with the shim. getppid() cannot tell: our parent is outside our PID
 * namespace, so it reads 0 whether the shim lives or not. The shim holds
 * the only read end of the status pipe; if it is gone, the pipe reports
 * POLLERR. */
static void die_with_shim(int status_fd) {
        struct pollfd p = { .fd = status_fd, .events = POLLOUT };

        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                fail_start(status_fd, errno, "set the parent death signal");
        if (poll(&p, 1, 0) < 0 || (p.revents & POLLERR))
                _exit(EXIT_FAILURE);
}

/* The shim's word that we are in the scope, which we echo: had we died
 * before it, the shim tells a start that failed from a job that was killed.
 * Anything else (EOF: it could not move us, or it is gone) ends us before
 * the job began; the shim records why. */
static void wait_for_release(int release_fd) {
        char c;
        ssize_t n;

        do
                n = read(release_fd, &c, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1 || c != SHIM_BYTE_GO)
                _exit(EXIT_FAILURE);
        if (send(release_fd, &c, 1, MSG_NOSIGNAL) != 1)
                _exit(EXIT_FAILURE);
        (void) close(release_fd);
}

void init_main(const ShimSpec *spec, int status_fd, int release_fd, int terminal_listen_fd) {
        _cleanup_free_ char *chdir_stage = NULL;
        const char *stage = NULL;
        int r, signal_fd, master = -EBADF, slave = -EBADF, client = -EBADF;

        /* For the set-up as root. */
        die_with_shim(status_fd);

        /* We keep running as the caller next to the job: hold nothing but
         * the standard fds, the status pipe (and the release pipe and
         * terminal socket while we need them). */
        r = close_all_fds_but((const int[]) { status_fd, release_fd, terminal_listen_fd }, 3);
        if (r < 0)
                fail_start(status_fd, r, "close file descriptors");

        signal_fd = setup_signals();
        if (signal_fd < 0)
                fail_start(status_fd, signal_fd, "set up signal handling");

        r = sandbox_setup(spec, &stage);
        if (r < 0)
                fail_start(status_fd, r, stage);

        if (spec->terminal != SHIM_TERMINAL_NONE && !spec->root_directory) {
                r = pty_mount_devpts(&stage);
                if (r < 0)
                        fail_start(status_fd, r, stage);
        }

        r = privileges_set_loginuid(spec->uid, &stage);
        if (r < 0)
                fail_start(status_fd, r, stage);

        /* After the last file root writes (/proc/self/loginuid): from here
         * on the caller's binds and root may be in the way. A root of the
         * job's own without binds is built while PID 1 is still making the
         * scope: none of it depends on the scope (after pivot_root the job
         * has no /sys/fs/cgroup). Binds wait for the job's /sys/fs/cgroup,
         * which a bind's source may name: such a job has a /sys, one
         * without binds none. */
        bool root_before_release = !sandbox_wants_sys(spec);
        if (root_before_release) {
                r = root_setup(spec, &stage);
                if (r < 0)
                        fail_start(status_fd, r, stage);
        }

        /* Again: root_setup() took the caller's fsuid to resolve the
         * caller's paths, which cleared the death signal (commit_creds()),
         * and we wait on a shim that may die. */
        die_with_shim(status_fd);

        /* Up to here outside the scope; what follows is the job's, inside
         * it. */
        wait_for_release(release_fd);

        r = sandbox_enter_cgroup(spec, &stage);
        if (r < 0)
                fail_start(status_fd, r, stage);

        if (!root_before_release) {
                r = root_setup(spec, &stage);
                if (r < 0)
                        fail_start(status_fd, r, stage);
        }

        r = privileges_drop(spec->uid, spec->gid, spec->groups, spec->n_groups, &stage);
        if (r < 0)
                fail_start(status_fd, r, stage);

        r = privileges_join_session_keyring(&stage);
        if (r < 0)
                fail_start(status_fd, r, stage);

        /* Again: changing the uid cleared the death signal (commit_creds()),
         * and the shim may have died since. */
        die_with_shim(status_fd);

        /* As the caller, so reachability is the caller's, not root's. */
        if (chdir(spec->workdir) < 0) {
                r = errno;
                log_error_errno(r, "Failed to change directory to %s: %m", spec->workdir);
                if (asprintf(&chdir_stage, "change directory to %s", spec->workdir) < 0)
                        chdir_stage = NULL;
                fail_start(status_fd, r, chdir_stage ?: "change directory");
        }

        /* Exactly the requested environment, so execvp() uses the job's PATH. */
        if (clearenv() != 0)
                fail_start(status_fd, ENOMEM, "set up the environment");
        for (char **e = spec->env; e && *e; e++)
                if (putenv(*e) != 0)
                        fail_start(status_fd, errno, "set up the environment");

        if (spec->terminal != SHIM_TERMINAL_NONE) {
                r = pty_open(&master, &slave, &stage);
                if (r < 0)
                        fail_start(status_fd, r, stage);
        }
        if (spec->terminal == SHIM_TERMINAL_WAIT) {
                int sig;
                r = pty_wait_for_client(terminal_listen_fd, signal_fd, &client, &sig);
                if (r < 0)
                        fail_start(status_fd, r, "wait for a terminal client to attach");
                if (sig > 0) {
                        send_record(status_fd, JOB_KILLED, sig, NULL);
                        _exit(EXIT_SUCCESS);
                }
        }

        pid_t command_pid = start_command(spec->command, status_fd, slave);

        /* The job's stdin is the command's: holding it would keep a writer
         * from seeing EPIPE once the command closed it. */
        stdin_release();

        int status;
        if (spec->terminal != SHIM_TERMINAL_NONE) {
                /* Only the job holds the slave: EIO on the master once it is gone. */
                (void) close(slave);
                status = pty_relay(master, terminal_listen_fd, client, signal_fd, command_pid);
        } else
                status = supervise(signal_fd, command_pid);
        if (status < 0)
                _exit(EXIT_FAILURE);    /* the shim records how we ended */

        if (WIFEXITED(status))
                send_record(status_fd, JOB_EXITED, WEXITSTATUS(status), NULL);
        else
                send_record(status_fd, JOB_KILLED, WTERMSIG(status), NULL);

        /* Leaving kills whatever the job left behind in the namespace. */
        _exit(EXIT_SUCCESS);
}
