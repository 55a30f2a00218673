/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager object: bus set-up, the org.jobworker1.Manager vtable and the
 * idle exit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-names.h"
#include "log.h"
#include "macro.h"
#include "manager.h"

#define DEFAULT_IDLE_TIMEOUT_USEC (30 * USEC_PER_SEC)

static uint64_t now_monotonic(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / NSEC_PER_USEC;
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply,
                                void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_VTABLE_END
};

static int parse_idle_timeout(uint64_t *ret) {
        const char *e = getenv("JOBWORKERD_IDLE_TIMEOUT_SEC");
        char *end;

        if (!e || !*e) {
                *ret = DEFAULT_IDLE_TIMEOUT_USEC;
                return 0;
        }
        errno = 0;
        unsigned long long v = strtoull(e, &end, 10);
        if (errno != 0 || *end != '\0' || e[0] == '-' || v > UINT64_MAX / USEC_PER_SEC)
                return log_error_errno(EINVAL, "Invalid JOBWORKERD_IDLE_TIMEOUT_SEC=%s", e);
        *ret = v * USEC_PER_SEC;
        return 0;
}

/* Every incoming message counts as activity, so the idle timer only fires
 * after a whole quiet period. */
static int on_bus_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Manager *manager = userdata;
        manager->last_activity_usec = now_monotonic();
        return 0;
}

static int on_idle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_monotonic();

        if (m->n_running_jobs == 0 && now - m->last_activity_usec >= m->idle_timeout_usec) {
                log_info("Idle for %llu s with no running jobs, exiting.",
                         (unsigned long long) (m->idle_timeout_usec / USEC_PER_SEC));
                return sd_event_exit(m->event, 0);
        }
        uint64_t next = m->last_activity_usec + m->idle_timeout_usec;
        if (next <= now)
                next = now + m->idle_timeout_usec;
        return sd_event_source_set_time(s, next);
}

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(Manager));
        int r;

        if (!m)
                return -ENOMEM;
        r = parse_idle_timeout(&m->idle_timeout_usec);
        if (r < 0)
                return r;
        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m");
        (void) sd_event_set_watchdog(m->event, 1);
        r = sd_event_add_signal(m->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGTERM: %m");
        r = sd_event_add_signal(m->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGINT: %m");

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        sd_event_source_unref(m->idle_timer);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

int manager_startup(Manager *m) {
        int r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = sd_bus_add_filter(m->bus, NULL, on_bus_message, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add bus filter: %m");
        r = sd_bus_add_object_vtable(m->bus, NULL, JOBWORKER_MANAGER_PATH,
                                     JOBWORKER_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add manager object: %m");
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach bus to event loop: %m");

        /* Objects first, name last: a client activated us by calling a method,
         * and it must find the objects the moment the name appears. */
        r = sd_bus_request_name(m->bus, JOBWORKER_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name " JOBWORKER_BUS_NAME ": %m");

        m->last_activity_usec = now_monotonic();
        if (m->idle_timeout_usec > 0) {
                r = sd_event_add_time(m->event, &m->idle_timer, CLOCK_MONOTONIC,
                                      m->last_activity_usec + m->idle_timeout_usec,
                                      USEC_PER_SEC / 10, on_idle_timer, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to arm idle timer: %m");
                r = sd_event_source_set_enabled(m->idle_timer, SD_EVENT_ON);
                if (r < 0)
                        return r;
        }
        return 0;
}

int manager_run(Manager *m) {
        int r;

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");

        /* Give the name back before the last look at the queue: anything that
         * arrives after this goes to the next activated instance, anything that
         * arrived before is answered here. */
        r = sd_bus_release_name(m->bus, JOBWORKER_BUS_NAME);
        if (r < 0)
                log_warning_errno(r, "Failed to release bus name: %m");
        while ((r = sd_bus_process(m->bus, NULL)) > 0)
                ;
        return 0;
}
