/* Test helper (installed only with -Dinstall_tests=true): stop a job while
 * it is still starting, the way an impatient client can.
 *
 *   stop-while-starting STOP_SEC JOB_STOP_TIMEOUT_SEC COMMAND...
 *
 * Calls StartJob(COMMAND, no environment, no directory,
 * {StopTimeoutUSec: JOB_STOP_TIMEOUT_SEC}) without waiting, polls ListJobs
 * for the new job and calls its Stop(STOP_SEC) as soon as it shows up.
 * jobworkerd answers in order, so when Stop's reply comes before StartJob's
 * the stop reached the job while it was starting.
 *
 * Prints "starting ID" (the stop came while starting) or "running ID" (too
 * late) and exits 0; 1 when a call failed; 2 for anything else. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#define USEC_PER_SEC UINT64_C(1000000)

static int start_reply_seen, stop_reply_seen;
static bool stop_first;
static char job_id[64];

static int on_start_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                printf("error StartJob %s: %s\n", e->name, e->message ? e->message : "");
                exit(1);
        }
        start_reply_seen = 1;
        return 0;
}

static int on_stop_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(m);
        if (e) {
                printf("error Stop %s: %s\n", e->name, e->message ? e->message : "");
                exit(1);
        }
        stop_reply_seen = 1;
        stop_first = !start_reply_seen;
        return 0;
}

/* The path of a job of ours that is not in known (NULL-terminated), or NULL. */
static char *find_new_job(sd_bus *bus, char **known) {
        sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *id, *path, *state, *result, *unit;
        uint32_t owner;
        int32_t exit_code, exit_signal;
        char *found = NULL;

        if (sd_bus_call_method(bus, "org.jobworker1", "/org/jobworker1", "org.jobworker1.Manager",
                               "ListJobs", &error, &reply, NULL) < 0) {
                fprintf(stderr, "ListJobs: %s\n", error.message ? error.message : "failed");
                exit(2);
        }
        if (sd_bus_message_enter_container(reply, 'a', "(ssusssii)") < 0)
                exit(2);
        while (sd_bus_message_read(reply, "(ssusssii)", &id, &path, &owner, &state, &result, &unit,
                                   &exit_code, &exit_signal) > 0) {
                bool old = false;
                for (char **k = known; k && *k; k++)
                        old = old || strcmp(*k, id) == 0;
                if (!old && !found) {
                        found = strdup(path);
                        snprintf(job_id, sizeof job_id, "%s", id);
                }
        }
        sd_bus_message_unref(reply);
        return found;
}

int main(int argc, char **argv) {
        sd_bus *bus = NULL;
        sd_bus_message *m = NULL;
        char *known[4096] = {};
        size_t n_known = 0;
        int r;

        if (argc < 4) {
                fprintf(stderr, "usage: stop-while-starting STOP_SEC JOB_STOP_TIMEOUT_SEC COMMAND...\n");
                return 2;
        }
        uint64_t stop_usec = strtoull(argv[1], NULL, 10) * USEC_PER_SEC;
        uint64_t job_stop_usec = strtoull(argv[2], NULL, 10) * USEC_PER_SEC;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "cannot connect to the system bus: %s\n", strerror(-r));
                return 2;
        }

        /* The jobs we already have, so the new one stands out. */
        {
                sd_bus_message *reply = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                const char *id, *path, *state, *result, *unit;
                uint32_t owner;
                int32_t exit_code, exit_signal;
                if (sd_bus_call_method(bus, "org.jobworker1", "/org/jobworker1", "org.jobworker1.Manager",
                                       "ListJobs", &error, &reply, NULL) < 0 ||
                    sd_bus_message_enter_container(reply, 'a', "(ssusssii)") < 0)
                        return 2;
                while (n_known + 1 < sizeof known / sizeof known[0] &&
                       sd_bus_message_read(reply, "(ssusssii)", &id, &path, &owner, &state, &result, &unit,
                                           &exit_code, &exit_signal) > 0)
                        known[n_known++] = strdup(id);
                sd_bus_message_unref(reply);
        }

        r = sd_bus_message_new_method_call(bus, &m, "org.jobworker1", "/org/jobworker1",
                                           "org.jobworker1.Manager", "StartJob");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "ay");
        for (int i = 3; r >= 0 && i < argc; i++)
                r = sd_bus_message_append_array(m, 'y', argv[i], strlen(argv[i]));
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_append(m, "aay", 0);
        if (r >= 0)
                r = sd_bus_message_append_array(m, 'y', "", 0);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "StopTimeoutUSec", "t", job_stop_usec);
        if (r >= 0)
                r = sd_bus_call_async(bus, NULL, m, on_start_reply, NULL, 300 * USEC_PER_SEC);
        sd_bus_message_unref(m);
        if (r < 0) {
                fprintf(stderr, "cannot call StartJob: %s\n", strerror(-r));
                return 2;
        }

        char *path = NULL;
        while (!path) {
                path = find_new_job(bus, known);
                /* sd_bus_call_method() above already dispatched StartJob's
                 * reply if it came: then we are too late anyway. */
        }
        r = sd_bus_call_method_async(bus, NULL, "org.jobworker1", path, "org.jobworker1.Job", "Stop",
                                     on_stop_reply, NULL, "t", stop_usec);
        if (r < 0) {
                fprintf(stderr, "cannot call Stop: %s\n", strerror(-r));
                return 2;
        }
        while (!start_reply_seen || !stop_reply_seen) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        return 2;
                if (r == 0 && sd_bus_wait(bus, UINT64_MAX) < 0)
                        return 2;
        }
        printf("%s %s\n", stop_first ? "starting" : "running", job_id);
        sd_bus_flush_close_unref(bus);
        return 0;
}
