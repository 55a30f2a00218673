/* Test helper (installed only with -Dinstall_tests=true): what any local
 * user can do to jobworkerd if it trusts systemd's signals by their
 * well-known sender name.
 *
 *   forge-job-removed RESULT SECONDS
 *
 * Listens to systemd's broadcast JobNew/JobRemoved to learn the id of the
 * latest systemd job and, for SECONDS, sends unicast signals to
 * org.jobworker1 that claim to come from PID 1:
 * JobRemoved(id, /org/freedesktop/systemd1/job/<id>, "x.scope", RESULT) for
 * that id and the 15 after it, every 5 ms (often enough to land between
 * StartTransientUnit's reply and the real JobRemoved, which under TCG are
 * tens of ms apart; not so often that the daemon does nothing else).
 *
 * Prints "sent N signals, highest job id seen M" and exits 0 at the end or
 * on SIGTERM; 2 on errors. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#define WINDOW 16

static uint32_t latest;
static volatile sig_atomic_t terminated;

static void on_sigterm(int sig) {
        terminated = 1;
}

static int on_job_signal(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        uint32_t id;

        if (sd_bus_message_read(m, "u", &id) >= 0 && id > latest)
                latest = id;
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        unsigned long long n_sent = 0;
        int r;

        if (argc != 3) {
                fprintf(stderr, "usage: forge-job-removed RESULT SECONDS\n");
                return 2;
        }
        uint64_t until = now_usec() + strtoull(argv[2], NULL, 10) * 1000000;
        signal(SIGTERM, on_sigterm);

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "forge-job-removed: cannot connect: %s\n", strerror(-r));
                return 2;
        }
        r = sd_bus_match_signal(bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                "org.freedesktop.systemd1.Manager", "JobNew", on_job_signal, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                        "org.freedesktop.systemd1.Manager", "JobRemoved", on_job_signal, NULL);
        if (r < 0) {
                fprintf(stderr, "forge-job-removed: cannot add matches: %s\n", strerror(-r));
                return 2;
        }

        while (now_usec() < until && !terminated) {
                while ((r = sd_bus_process(bus, NULL)) > 0)
                        ;
                if (r == -EINTR)
                        continue;
                if (r < 0) {
                        fprintf(stderr, "forge-job-removed: bus: %s\n", strerror(-r));
                        return 2;
                }
                if (latest == 0) {
                        (void) sd_bus_wait(bus, 100000);
                        continue;
                }
                for (uint32_t id = latest; id < latest + WINDOW; id++) {
                        sd_bus_message *m = NULL;
                        char path[64];

                        snprintf(path, sizeof path, "/org/freedesktop/systemd1/job/%" PRIu32, id);
                        r = sd_bus_message_new_signal(bus, &m, "/org/freedesktop/systemd1",
                                                      "org.freedesktop.systemd1.Manager", "JobRemoved");
                        if (r >= 0)
                                r = sd_bus_message_set_destination(m, "org.jobworker1");
                        if (r >= 0)
                                r = sd_bus_message_append(m, "uoss", id, path, "x.scope", argv[1]);
                        if (r >= 0)
                                r = sd_bus_send(bus, m, NULL);
                        sd_bus_message_unref(m);
                        if (r < 0) {
                                fprintf(stderr, "forge-job-removed: send: %s\n", strerror(-r));
                                return 2;
                        }
                        n_sent++;
                }
                /* Keep the queue short: a flood the bus drops proves nothing. */
                r = sd_bus_flush(bus);
                if (r == -EINTR)
                        continue;       /* our SIGTERM: the loop ends, the count is printed */
                if (r < 0) {
                        fprintf(stderr, "forge-job-removed: flush: %s\n", strerror(-r));
                        return 2;
                }
                usleep(5000);
        }
        printf("sent %llu signals, highest job id seen %" PRIu32 "\n", n_sent, latest);
        sd_bus_flush_close_unref(bus);
        return 0;
}
