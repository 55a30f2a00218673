/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A terminal job's pty: a devpts instance of the job's own, the pty
 * opened as the caller, and init's relay between its master, the journal
 * stream (init's stdout, read by the shim) and the one attached client
 * (terminal-protocol.h). The job never gets a terminal from outside: what
 * it may push into its pty with TIOCSTI only reaches its own input
 * (CVE-2017-5226). Init writes nothing but the job's bytes to the journal
 * stream: its own messages are never on it. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "shim.h"
#include "terminal-protocol.h"
#include "time-util.h"

/* How long a "wait" job waits for its first client (run -t attaches right
 * after StartJob), and how long the end waits for the rest of the job to
 * go and for a slow client to take the last output. */
#define PTY_ATTACH_TIMEOUT_MSEC (60 * 1000)
#define PTY_DRAIN_TIMEOUT_USEC  (5 * USEC_PER_SEC)

int pty_mount_devpts(const char **ret_stage) {
        /* Over the host's /dev/pts and /dev/ptmx, in our mount namespace
         * only (propagation is private): the host's ptys are out of sight
         * and nothing is created in the host's /dev. */
        if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=0620") < 0) {
                *ret_stage = "mount a devpts instance of the job's own";
                return log_error_errno(errno, "Failed to mount a devpts instance on /dev/pts: %m");
        }
        if (mount("/dev/pts/ptmx", "/dev/ptmx", NULL, MS_BIND, NULL) < 0) {
                *ret_stage = "bind the job's /dev/pts/ptmx over /dev/ptmx";
                return log_error_errno(errno, "Failed to bind /dev/pts/ptmx over /dev/ptmx: %m");
        }
        return 0;
}

int pty_open(int *ret_master, int *ret_slave, const char **ret_stage) {
        _cleanup_close_ int master = -EBADF;
        int unlock = 0, slave;

        /* As the caller: the slave is the caller's (devpts gives it the
         * opener's uid and gid). */
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (master < 0) {
                *ret_stage = "open the job's terminal";
                return -errno;
        }
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0) {
                *ret_stage = "unlock the job's terminal";
                return -errno;
        }
        /* By the master, not by a path the job's mounts could change. */
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0) {
                *ret_stage = "open the job's terminal";
                return -errno;
        }
        struct winsize ws = { .ws_row = 24, .ws_col = 80 };
        (void) ioctl(master, TIOCSWINSZ, &ws);
        *ret_master = TAKE_FD(master);
        *ret_slave = slave;
        return 0;
}

static bool is_forwarded_signal(int sig) {
        return sig != SIGCHLD;
}

static int accept_client(int listen_fd) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
                return -errno;
        return fd;
}

static int send_byte(int fd, char c) {
        return send(fd, &c, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int pty_wait_for_client(int listen_fd, int signal_fd, int *ret_client, int *ret_signal) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + PTY_ATTACH_TIMEOUT_MSEC * USEC_PER_MSEC;

        *ret_signal = 0;
        for (;;) {
                struct pollfd p[2] = { { .fd = listen_fd, .events = POLLIN }, { .fd = signal_fd, .events = POLLIN } };
                uint64_t now = now_usec(CLOCK_MONOTONIC);

                if (now >= deadline)
                        return -ETIMEDOUT;
                if (poll(p, 2, (int) ((deadline - now) / USEC_PER_MSEC) + 1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (p[1].revents) {
                        struct signalfd_siginfo si;
                        if (read(signal_fd, &si, sizeof si) == (ssize_t) sizeof si &&
                            is_forwarded_signal((int) si.ssi_signo)) {
                                /* Stopped before it started: as if killed by it. */
                                *ret_signal = (int) si.ssi_signo;
                                return 0;
                        }
                }
                if (p[0].revents) {
                        int fd = accept_client(listen_fd);
                        if (fd < 0)
                                continue;
                        if (send_byte(fd, TERMINAL_HELLO_ATTACHED) < 0) {
                                close(fd);
                                continue;
                        }
                        /* Its window size comes first: let it arrive before
                         * the command looks at it. */
                        struct pollfd c = { .fd = fd, .events = POLLIN };
                        (void) poll(&c, 1, 2000);
                        *ret_client = fd;
                        return 0;
                }
        }
}

typedef struct Relay {
        int master, listen_fd, client, signal_fd;
        pid_t command_pid;
        int command_status;             /* -1 while it runs */
        uint8_t to_client[TERMINAL_PAYLOAD_MAX];
        size_t to_client_len;           /* one message the client had no room for */
        uint8_t to_master[TERMINAL_PAYLOAD_MAX];
        size_t to_master_len, to_master_offset;
} Relay;

static void client_drop(Relay *r) {
        if (r->client >= 0)
                close(r->client);
        r->client = -EBADF;
        r->to_client_len = 0;
        r->to_master_len = r->to_master_offset = 0;
}

/* One message to the client, or kept until it has room. */
static void client_send(Relay *r, const uint8_t *buf, size_t n) {
        if (r->client < 0)
                return;
        ssize_t k = send(r->client, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k >= 0)
                return;
        if (errno == EAGAIN) {
                memcpy(r->to_client, buf, n);
                r->to_client_len = n;
                return;
        }
        client_drop(r);
}

/* The job's bytes: to the journal stream (blocking, as the job's own writes
 * to a pipe would be), then to the client. 0 at EOF/EIO (no slave left). */
static int master_read(Relay *r) {
        uint8_t buf[TERMINAL_PAYLOAD_MAX];
        ssize_t n = read(r->master, buf, sizeof buf);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 1;
        if (n <= 0)
                return 0;
        (void) write_all(STDOUT_FILENO, buf, (size_t) n);
        client_send(r, buf, (size_t) n);
        return 1;
}

static void client_read(Relay *r) {
        uint8_t buf[1 + TERMINAL_PAYLOAD_MAX];
        ssize_t n = recv(r->client, buf, sizeof buf, MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0)
                return client_drop(r);          /* gone: the job keeps running, to be attached again */
        if (buf[0] == TERMINAL_INPUT && n > 1) {
                memcpy(r->to_master, buf + 1, (size_t) n - 1);
                r->to_master_len = (size_t) n - 1;
                r->to_master_offset = 0;
        } else if (buf[0] == TERMINAL_WINDOW_SIZE && n == 1 + (ssize_t) sizeof(struct winsize)) {
                struct winsize ws;
                memcpy(&ws, buf + 1, sizeof ws);
                (void) ioctl(r->master, TIOCSWINSZ, &ws);   /* the kernel sends SIGWINCH */
        }
        /* Anything else is ignored: the client is the job's owner, nothing
         * it sends can do more than typing could. */
}

static void master_write(Relay *r) {
        ssize_t n = write(r->master, r->to_master + r->to_master_offset, r->to_master_len - r->to_master_offset);

        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n < 0) {
                r->to_master_len = r->to_master_offset = 0;
                return;
        }
        r->to_master_offset += (size_t) n;
        if (r->to_master_offset == r->to_master_len)
                r->to_master_len = r->to_master_offset = 0;
}

static void listen_accept(Relay *r) {
        int fd = accept_client(r->listen_fd);

        if (fd < 0)
                return;
        /* One client at a time; a second one is told so and not let in
         * (it cannot take the terminal from under the first). */
        if (r->client >= 0) {
                (void) send_byte(fd, TERMINAL_HELLO_BUSY);
                close(fd);
                return;
        }
        if (send_byte(fd, TERMINAL_HELLO_ATTACHED) < 0) {
                close(fd);
                return;
        }
        r->client = fd;
}

static void signal_read(Relay *r) {
        struct signalfd_siginfo si;

        if (read(r->signal_fd, &si, sizeof si) != (ssize_t) sizeof si)
                return;
        if (is_forwarded_signal((int) si.ssi_signo)) {
                (void) kill(r->command_pid, (int) si.ssi_signo);
                return;
        }
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);
                if (pid <= 0)
                        break;
                if (pid == r->command_pid)
                        r->command_status = status;
        }
}

/* The command has exited. What is left of the job goes now (it would when
 * we exit anyway), so that the last holder of the slave is gone; then the
 * master returns everything written to it before EIO (the kernel flushes
 * its pending buffer for a closed slave), all of it reaches the journal
 * and the client, and only then does the client see EOF and the shim the
 * exit (systemd#7531). */
static void drain(Relay *r) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + PTY_DRAIN_TIMEOUT_USEC;

        (void) kill(-1, SIGKILL);
        for (;;) {
                pid_t pid = waitpid(-1, NULL, WNOHANG);
                if (pid < 0)
                        break;                  /* ECHILD: nobody left */
                if (pid == 0) {
                        if (now_usec(CLOCK_MONOTONIC) >= deadline)
                                break;
                        (void) usleep(10 * 1000);
                }
        }

        for (;;) {
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (now >= deadline)
                        break;
                int timeout = (int) ((deadline - now) / USEC_PER_MSEC) + 1;
                if (r->to_client_len > 0) {
                        struct pollfd p = { .fd = r->client, .events = POLLOUT };
                        if (poll(&p, 1, timeout) <= 0 || (p.revents & (POLLERR | POLLHUP))) {
                                client_drop(r);
                                continue;
                        }
                        size_t n = r->to_client_len;
                        r->to_client_len = 0;
                        client_send(r, r->to_client, n);
                        continue;
                }
                struct pollfd p = { .fd = r->master, .events = POLLIN };
                if (poll(&p, 1, timeout) <= 0)
                        break;
                if (master_read(r) == 0)
                        break;
        }
}

int pty_relay(int master, int listen_fd, int client, int signal_fd, pid_t command_pid) {
        Relay r = { .master = master, .listen_fd = listen_fd, .client = client, .signal_fd = signal_fd,
                    .command_pid = command_pid, .command_status = -1 };
        bool slave_open = true;

        while (r.command_status < 0) {
                enum { P_SIGNAL, P_LISTEN, P_MASTER, P_CLIENT, _P_MAX };
                struct pollfd p[_P_MAX] = {
                        [P_SIGNAL] = { .fd = r.signal_fd, .events = POLLIN },
                        [P_LISTEN] = { .fd = r.listen_fd, .events = POLLIN },
                        /* While the client has a message pending, the
                         * master waits (and so does the job, as on a slow
                         * terminal). */
                        [P_MASTER] = { .fd = slave_open && r.to_client_len == 0 ? r.master : -1,
                                       .events = POLLIN | (r.to_master_len > 0 ? POLLOUT : 0) },
                        [P_CLIENT] = { .fd = r.client,
                                       .events = (r.to_master_len == 0 ? POLLIN : 0) |
                                                 (r.to_client_len > 0 ? POLLOUT : 0) },
                };

                if (poll(p, _P_MAX, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        log_error_errno(errno, "Failed to poll the job's terminal: %m");
                        return -1;
                }
                if (p[P_SIGNAL].revents)
                        signal_read(&r);
                if (p[P_LISTEN].revents)
                        listen_accept(&r);
                if (p[P_MASTER].revents & POLLOUT)
                        master_write(&r);
                if (p[P_MASTER].revents & (POLLIN | POLLHUP | POLLERR))
                        if (master_read(&r) == 0)
                                slave_open = false;     /* the job closed it; wait for its exit */
                short c = p[P_CLIENT].revents;
                if (r.client < 0 || c == 0)
                        continue;
                if ((c & POLLOUT) && r.to_client_len > 0) {
                        size_t n = r.to_client_len;
                        r.to_client_len = 0;
                        client_send(&r, r.to_client, n);
                }
                if (r.client >= 0 && (c & POLLIN) && r.to_master_len == 0)
                        client_read(&r);
                else if (r.client >= 0 && (c & (POLLHUP | POLLERR)))
                        client_drop(&r);
        }

        drain(&r);
        client_drop(&r);
        return r.command_status;
}

int pty_listen(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -EBADF;

        if (strlen(path) >= sizeof sa.sun_path)
                return log_error_errno(ENAMETOOLONG, "Terminal socket path %s is too long.", path);
        strcpy(sa.sun_path, path);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create the terminal socket: %m");
        /* A leftover of a shim that was killed. The directory is root's
         * alone (0700): only the daemon connects. */
        if (unlink(path) < 0 && errno != ENOENT)
                return log_error_errno(errno, "Failed to remove the old %s: %m", path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return log_error_errno(errno, "Failed to bind the terminal socket %s: %m", path);
        if (chmod(path, 0600) < 0)
                return log_error_errno(errno, "Failed to make %s private: %m", path);
        if (listen(fd, 4) < 0)
                return log_error_errno(errno, "Failed to listen on %s: %m", path);
        return TAKE_FD(fd);
}
