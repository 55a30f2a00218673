/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's one context object: event loop, bus connection, jobs. */
#pragma once

#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        sd_event_source *idle_timer;
        uint64_t idle_timeout_usec;   /* 0 = never exit on idle */
        uint64_t last_activity_usec;  /* CLOCK_MONOTONIC of the last bus message */
        unsigned n_running_jobs;      /* the daemon never idles out while jobs run */
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
int manager_startup(Manager *m);
int manager_run(Manager *m);

extern const sd_bus_vtable manager_vtable[];

static inline void manager_freep(Manager **m) {
        manager_free(*m);
}
