/* Test helper (installed only with -Dinstall_tests=true): hold many
 * Job.Wait() calls at once, as one user, and tell how each was answered.
 *
 *   wait-many JOB_PATH N
 *
 * Sends N Wait() calls on ceil(N / 100) connections (dbus-daemon lets one
 * connection have 128 calls awaiting replies), no timeout. Prints "sent N"
 * once all are out, then, once every call is answered, one line per kind of
 * answer: "COUNT ok STATE" or "COUNT error NAME". Exit status 0, or 2 for
 * trouble of its own (no bus, bad arguments). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#define PER_CONNECTION 100
#define KINDS_MAX 16

static struct { char name[256]; unsigned n; } kinds[KINDS_MAX];
static unsigned n_kinds, n_answered;

static void count(const char *name) {
        for (unsigned i = 0; i < n_kinds; i++)
                if (strcmp(kinds[i].name, name) == 0) {
                        kinds[i].n++;
                        return;
                }
        if (n_kinds < KINDS_MAX) {
                snprintf(kinds[n_kinds].name, sizeof kinds[n_kinds].name, "%s", name);
                kinds[n_kinds++].n = 1;
        }
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        char what[300];

        n_answered++;
        if (e) {
                snprintf(what, sizeof what, "error %s", e->name);
                count(what);
                return 0;
        }
        /* a{sv}: find State. */
        const char *state = "?";
        if (sd_bus_message_enter_container(m, 'a', "{sv}") > 0)
                while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                        const char *key;
                        if (sd_bus_message_read(m, "s", &key) < 0)
                                break;
                        if (strcmp(key, "State") == 0) {
                                if (sd_bus_message_read(m, "v", "s", &state) < 0)
                                        break;
                        } else if (sd_bus_message_skip(m, "v") < 0)
                                break;
                        if (sd_bus_message_exit_container(m) < 0)
                                break;
                }
        snprintf(what, sizeof what, "ok %s", state);
        count(what);
        return 0;
}

int main(int argc, char *argv[]) {
        if (argc != 3)
                return fprintf(stderr, "usage: wait-many JOB_PATH N\n"), 2;
        unsigned n = (unsigned) strtoul(argv[2], NULL, 10);
        unsigned n_buses = (n + PER_CONNECTION - 1) / PER_CONNECTION;
        sd_bus **buses = calloc(n_buses ? n_buses : 1, sizeof(sd_bus *));
        int r;

        if (!buses)
                return 2;
        for (unsigned b = 0; b < n_buses; b++) {
                r = sd_bus_open_system(&buses[b]);
                if (r < 0)
                        return fprintf(stderr, "bus: %s\n", strerror(-r)), 2;
        }
        for (unsigned i = 0; i < n; i++) {
                sd_bus *bus = buses[i / PER_CONNECTION];
                sd_bus_message *m = NULL;
                r = sd_bus_message_new_method_call(bus, &m, "org.jobworker1", argv[1], "org.jobworker1.Job", "Wait");
                if (r >= 0)
                        r = sd_bus_call_async(bus, NULL, m, on_reply, NULL, UINT64_MAX);
                sd_bus_message_unref(m);
                if (r < 0)
                        return fprintf(stderr, "call: %s\n", strerror(-r)), 2;
        }
        for (unsigned b = 0; b < n_buses; b++) {
                r = sd_bus_flush(buses[b]);
                if (r < 0)
                        return fprintf(stderr, "flush: %s\n", strerror(-r)), 2;
        }
        printf("sent %u\n", n);
        fflush(stdout);
        while (n_answered < n)
                for (unsigned b = 0; b < n_buses; b++) {
                        r = sd_bus_process(buses[b], NULL);
                        if (r < 0)
                                return fprintf(stderr, "process: %s\n", strerror(-r)), 2;
                        if (r == 0 && b == n_buses - 1)
                                (void) sd_bus_wait(buses[b], 100 * 1000);
                }
        for (unsigned i = 0; i < n_kinds; i++)
                printf("%u %s\n", kinds[i].n, kinds[i].name);
        return 0;
}
