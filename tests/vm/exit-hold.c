/* Test helper (installed only with -Dinstall_tests=true): an LD_PRELOAD
 * library for jobworkerd that stops it at the moment it decides to exit, so
 * tests/integration/53-idle-exit-race.sh can send calls into exactly that
 * window instead of hoping a sleep lands in it.
 *
 *   Environment=LD_PRELOAD=.../exit-hold.so
 *   Environment=JOBWORKER_EXIT_HOLD_DIR=DIR
 *
 * It wraps sd_bus_release_name_async(), sd_bus_release_name() and
 * sd_event_exit(): whichever the daemon calls first is where it has decided
 * to go. Every call is logged to DIR/events as "PID N FUNCTION" (N counts
 * the process's calls from 1). A call is held only in the process that
 * claimed the hold: the first to find DIR/arm, which it renames to
 * DIR/held-PID (so one arm holds one daemon, never the next instance). A
 * held call logs "PID N FUNCTION held", then waits, before doing anything,
 * until DIR/go-PID-N or DIR/done (the test's clean-up) exists (logged "PID N
 * go"), or for HOLD_MAX_SEC at most (logged "PID N timeout"): a test that
 * dies never leaves the daemon stuck. The daemon's event loop does nothing meanwhile, as if frozen at a
 * breakpoint; what clients send queues in its bus socket.
 *
 * Only the process that loaded it holds (not forked copies such as the
 * caller checks), and it takes itself out of the environment so nothing the
 * daemon executes loads it. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define HOLD_MAX_SEC 30

static char *dir;
static pid_t main_pid;
static unsigned n_calls;
static bool claimed;

__attribute__((constructor)) static void exit_hold_init(void) {
        const char *d = getenv("JOBWORKER_EXIT_HOLD_DIR");

        if (d && *d)
                dir = strdup(d);
        main_pid = getpid();
        unsetenv("LD_PRELOAD");
        unsetenv("JOBWORKER_EXIT_HOLD_DIR");
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...) {
        char path[PATH_MAX], line[256];
        va_list ap;
        int fd, n;

        va_start(ap, fmt);
        n = vsnprintf(line, sizeof line - 1, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t) n > sizeof line - 2)
                n = sizeof line - 2;
        line[n++] = '\n';
        snprintf(path, sizeof path, "%s/events", dir);
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        /* One write(): lines of several processes never interleave. */
        (void) !write(fd, line, n);
        close(fd);
}

static void hold(const char *function) {
        char arm[PATH_MAX], held[PATH_MAX], go[PATH_MAX], done[PATH_MAX];
        int saved_errno = errno;

        if (!dir || getpid() != main_pid)
                return;
        unsigned n = ++n_calls;
        snprintf(arm, sizeof arm, "%s/arm", dir);
        snprintf(held, sizeof held, "%s/held-%d", dir, (int) main_pid);
        if (!claimed)
                claimed = rename(arm, held) == 0;
        if (!claimed) {
                note("%d %u %s", (int) main_pid, n, function);
                errno = saved_errno;
                return;
        }
        note("%d %u %s held", (int) main_pid, n, function);
        snprintf(go, sizeof go, "%s/go-%d-%u", dir, (int) main_pid, n);
        snprintf(done, sizeof done, "%s/done", dir);
        for (unsigned i = 0; i < HOLD_MAX_SEC * 20; i++) {
                if (access(go, F_OK) == 0 || access(done, F_OK) == 0) {
                        note("%d %u go", (int) main_pid, n);
                        errno = saved_errno;
                        return;
                }
                nanosleep(&(struct timespec) { .tv_nsec = 50 * 1000 * 1000 }, NULL);
        }
        note("%d %u timeout", (int) main_pid, n);
        errno = saved_errno;
}

/* The real function, or abort: a wrapper that cannot forward would turn the
 * test's daemon into a different program. */
static void *real(const char *name) {
        void *f = dlsym(RTLD_NEXT, name);
        if (!f) {
                fprintf(stderr, "exit-hold: %s not found: %s\n", name, dlerror());
                abort();
        }
        return f;
}

int sd_bus_release_name_async(sd_bus *bus, sd_bus_slot **ret_slot, const char *name,
                              sd_bus_message_handler_t callback, void *userdata) {
        static int (*f)(sd_bus *, sd_bus_slot **, const char *, sd_bus_message_handler_t, void *);
        if (!f)
                f = real("sd_bus_release_name_async");
        hold("sd_bus_release_name_async");
        return f(bus, ret_slot, name, callback, userdata);
}

int sd_bus_release_name(sd_bus *bus, const char *name) {
        static int (*f)(sd_bus *, const char *);
        if (!f)
                f = real("sd_bus_release_name");
        hold("sd_bus_release_name");
        return f(bus, name);
}

int sd_event_exit(sd_event *e, int code) {
        static int (*f)(sd_event *, int);
        if (!f)
                f = real("sd_event_exit");
        hold("sd_event_exit");
        return f(e, code);
}
