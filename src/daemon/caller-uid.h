/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The uid behind each caller, asked of the bus broker without waiting for
 * it in the event loop. A bus filter, run before every other one,
 * holds a method call whose sender is not yet known, asks the broker
 * (GetConnectionUnixUser) asynchronously, and dispatches the call again
 * once the answer is in; so by the time any handler runs, its caller's uid
 * is known and caller_uid_get() is a lookup. */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

typedef struct CallerUids CallerUids;

int caller_uids_new(sd_bus *bus, CallerUids **ret);
CallerUids *caller_uids_free(CallerUids *c);
static inline void caller_uids_freep(CallerUids **c) {
        caller_uids_free(*c);
}

/* Installs the filter. Call after adding every other filter: sd-bus runs
 * the filter added last first. */
int caller_uids_attach(CallerUids *c);

/* The uid of call's sender, if the filter learned it (always, for a method
 * call being dispatched); -ESRCH if not. */
int caller_uid_get(CallerUids *c, sd_bus_message *call, uid_t *ret);

/* Senders being asked about: their calls are held, and the idle exit waits
 * for them. */
unsigned caller_uids_pending(const CallerUids *c);
