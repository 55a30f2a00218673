/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A terminal session with a job's init (terminal.h). Our terminal goes
 * into raw mode so that every key (Ctrl-C too) reaches the job's own
 * terminal, which does what a local one would; it is put back however the
 * session ends (the job ending, the escape, an error, a signal to us). */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "terminal.h"
#include "terminal-forward.h"
#include "terminal-protocol.h"
#include "time-util.h"

#define HELLO_TIMEOUT_MSEC 10000

typedef struct Session {
        int fd, signal_fd, tty_fd;      /* tty_fd: our terminal, or -1 */
        bool raw;
        struct termios saved;
        const char *id;
        bool job_survives_us;
} Session;

static void restore_terminal(Session *s) {
        if (s->raw)
                (void) tcsetattr(s->tty_fd, TCSANOW, &s->saved);
        s->raw = false;
}

static int send_message(Session *s, char type, const void *data, size_t n) {
        uint8_t buf[1 + TERMINAL_PAYLOAD_MAX];

        buf[0] = (uint8_t) type;
        memcpy(buf + 1, data, n);
        return send(s->fd, buf, 1 + n, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int send_window_size(Session *s) {
        struct winsize ws;

        if (s->tty_fd < 0 || ioctl(s->tty_fd, TIOCGWINSZ, &ws) < 0)
                return 0;
        return send_message(s, TERMINAL_WINDOW_SIZE, &ws, sizeof ws);
}

static int read_hello(Session *s) {
        struct pollfd p = { .fd = s->fd, .events = POLLIN };
        char c;
        int r;

        do
                r = poll(&p, 1, HELLO_TIMEOUT_MSEC);
        while (r < 0 && errno == EINTR);
        if (r == 0) {
                fprintf(stderr, "The terminal of job %s does not answer (is the job paused?).\n", s->id);
                return -ETIMEDOUT;
        }
        ssize_t n = recv(s->fd, &c, 1, 0);
        if (n == 1 && c == TERMINAL_HELLO_ATTACHED)
                return 0;
        if (n == 1 && c == TERMINAL_HELLO_BUSY) {
                fprintf(stderr, "Job %s already has a terminal client attached; only one at a time (it can "
                        "leave with Ctrl-] three times).\n", s->id);
                return -EBUSY;
        }
        fprintf(stderr, "The terminal of job %s is gone (the job ended?).\n", s->id);
        return -ECONNRESET;
}

/* Keystrokes: forwarded, but the escape is ours. 1 on the escape. */
static int forward_input(Session *s, TerminalEscape *escape, bool *stdin_open) {
        uint8_t in[TERMINAL_PAYLOAD_MAX - TERMINAL_ESCAPE_COUNT], out[TERMINAL_PAYLOAD_MAX];
        size_t len;
        ssize_t n = read(STDIN_FILENO, in, sizeof in);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0) {
                *stdin_open = false;    /* nothing more to type; the job's output still comes */
                return 0;
        }
        bool escaped = terminal_escape_feed(escape, in, (size_t) n, now_usec(CLOCK_MONOTONIC), out, &len);
        if (len > 0) {
                int r = send_message(s, TERMINAL_INPUT, out, len);
                if (r < 0)
                        return r;
        }
        return escaped ? 1 : 0;
}

static int run_session(Session *s, int *ret_signal) {
        TerminalEscape escape = {};
        bool stdin_open = true;
        int r;

        r = read_hello(s);
        if (r < 0)
                return r;

        if (s->tty_fd >= 0 && tcgetattr(s->tty_fd, &s->saved) == 0) {
                struct termios raw = s->saved;
                cfmakeraw(&raw);
                if (tcsetattr(s->tty_fd, TCSANOW, &raw) < 0) {
                        fprintf(stderr, "Failed to put the terminal into raw mode: %m\n");
                        return -errno;
                }
                s->raw = true;
        }
        r = send_window_size(s);
        if (r < 0)
                goto lost;

        for (;;) {
                struct pollfd p[3] = {
                        { .fd = s->fd, .events = POLLIN },
                        { .fd = s->signal_fd, .events = POLLIN },
                        { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
                };
                uint64_t deadline = terminal_escape_deadline(&escape), now = now_usec(CLOCK_MONOTONIC);
                int timeout = deadline == UINT64_MAX ? -1 :
                              deadline <= now ? 0 : (int) ((deadline - now) / USEC_PER_MSEC) + 1;

                if (poll(p, ELEMENTSOF(p), timeout) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto lost;
                }

                uint8_t held[TERMINAL_ESCAPE_COUNT];
                size_t n_held = terminal_escape_flush(&escape, now_usec(CLOCK_MONOTONIC), held);
                if (n_held > 0 && (r = send_message(s, TERMINAL_INPUT, held, n_held)) < 0)
                        goto lost;

                if (p[0].revents) {
                        uint8_t buf[TERMINAL_PAYLOAD_MAX];
                        ssize_t n = recv(s->fd, buf, sizeof buf, 0);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                r = -errno;
                                goto lost;
                        }
                        if (n == 0) {
                                restore_terminal(s);
                                return TERMINAL_END_JOB;
                        }
                        r = write_all(STDOUT_FILENO, buf, (size_t) n);
                        if (r < 0) {
                                restore_terminal(s);
                                fprintf(stderr, "Failed to write the job's output: %s\n", strerror(-r));
                                return r;
                        }
                }
                if (p[1].revents) {
                        struct signalfd_siginfo si;
                        if (read(s->signal_fd, &si, sizeof si) == (ssize_t) sizeof si) {
                                if (si.ssi_signo == SIGWINCH) {
                                        if ((r = send_window_size(s)) < 0)
                                                goto lost;
                                } else {
                                        restore_terminal(s);
                                        *ret_signal = (int) si.ssi_signo;
                                        return TERMINAL_END_SIGNAL;
                                }
                        }
                }
                if (p[2].revents) {
                        r = forward_input(s, &escape, &stdin_open);
                        if (r < 0)
                                goto lost;
                        if (r > 0) {
                                restore_terminal(s);
                                if (s->job_survives_us)
                                        fprintf(stderr, "\nDetached from job %s, which keeps running; "
                                                "\"jobworkerctl attach %s\" attaches again.\n", s->id, s->id);
                                else
                                        fprintf(stderr, "\nDetached from job %s, which stops as we exit "
                                                "(run -t --keep leaves it running).\n", s->id);
                                return TERMINAL_END_DETACHED;
                        }
                }
        }

lost:
        restore_terminal(s);
        fprintf(stderr, "Lost the terminal of job %s: %s\n", s->id, strerror(-r));
        return r;
}

int terminal_session(int fd, const char *id, bool job_survives_us, int *ret_signal) {
        Session s = { .fd = fd, .signal_fd = -EBADF, .id = id, .job_survives_us = job_survives_us };
        sigset_t mask, old;
        int r, flags;

        *ret_signal = 0;
        /* The daemon's end was non-blocking; ours waits in poll(). */
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
                fprintf(stderr, "Failed to set up the terminal connection: %m\n");
                return -errno;
        }
        s.tty_fd = isatty(STDIN_FILENO) ? STDIN_FILENO : isatty(STDOUT_FILENO) ? STDOUT_FILENO : -1;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGWINCH);
        if (sigprocmask(SIG_BLOCK, &mask, &old) < 0) {
                fprintf(stderr, "Failed to block signals: %m\n");
                return -errno;
        }
        s.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (s.signal_fd < 0) {
                r = -errno;
                fprintf(stderr, "Failed to set up signal handling: %m\n");
        } else {
                r = run_session(&s, ret_signal);
                close(s.signal_fd);
        }
        restore_terminal(&s);
        (void) sigprocmask(SIG_SETMASK, &old, NULL);
        return r;
}
