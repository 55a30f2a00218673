/* Test helper (installed only with -Dinstall_tests=true): call StartJob with
 * a command line and environment too large for busctl's own command line.
 *
 *   big-call ARGV_BYTES [ENV_BYTES]
 *
 * Sends argv ["true", "xxx…" (ARGV_BYTES bytes)] and, with ENV_BYTES > 0,
 * environment ["BIG=yyy…" (ENV_BYTES bytes in all)], no working directory,
 * no options.
 *
 * Output and exit status: "started ID" and 0 when the daemon accepted it;
 * "error NAME: MESSAGE" and 1 when it answered with an error; 2 for anything
 * else (no bus, out of memory, bad arguments). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

static int append_bytes(sd_bus_message *m, const char *prefix, char fill, size_t total) {
        size_t plen = strlen(prefix);
        char *p = malloc(total > plen ? total : plen);
        int r;

        if (!p)
                return -ENOMEM;
        memcpy(p, prefix, plen);
        if (total > plen)
                memset(p + plen, fill, total - plen);
        r = sd_bus_message_append_array(m, 'y', p, total > plen ? total : plen);
        free(p);
        return r;
}

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        unsigned long long argv_bytes, env_bytes = 0;
        char *end;
        int r;

        if (argc < 2 || argc > 3) {
                fprintf(stderr, "usage: big-call ARGV_BYTES [ENV_BYTES]\n");
                return 2;
        }
        argv_bytes = strtoull(argv[1], &end, 10);
        if (*end || (argc > 2 && (env_bytes = strtoull(argv[2], &end, 10), *end))) {
                fprintf(stderr, "big-call: sizes are decimal byte counts\n");
                return 2;
        }

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect to the system bus: %s\n", strerror(-r));
                return 2;
        }
        r = sd_bus_message_new_method_call(bus, &m, "org.jobworker1", "/org/jobworker1",
                                           "org.jobworker1.Manager", "StartJob");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "ay");
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', "true", 4);
        if (r >= 0)
                r = append_bytes(m, "", 'x', argv_bytes);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "ay");
        if (r >= 0 && env_bytes > 0)
                r = append_bytes(m, "BIG=", 'y', env_bytes);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', "", 0);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0) {
                fprintf(stderr, "cannot build the call: %s\n", strerror(-r));
                return 2;
        }

        r = sd_bus_call(bus, m, 300 * UINT64_C(1000000), &error, &reply);
        if (r < 0) {
                if (sd_bus_error_is_set(&error) && error.name) {
                        printf("error %s: %s\n", error.name, error.message ? error.message : "");
                        return 1;
                }
                fprintf(stderr, "call failed: %s\n", strerror(-r));
                return 2;
        }
        const char *id, *path;
        r = sd_bus_message_read(reply, "so", &id, &path);
        if (r < 0) {
                fprintf(stderr, "bad reply: %s\n", strerror(-r));
                return 2;
        }
        printf("started %s\n", id);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(bus);
        return 0;
}
