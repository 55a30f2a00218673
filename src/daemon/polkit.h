/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Asking polkit, asynchronously, whether the sender of a call may do an
 * action. Knows nothing of jobs or uids: access.c decides who is asked what. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#define ACTION_START_JOB          "org.jobworker1.start-job"
#define ACTION_MANAGE_OWN_JOBS    "org.jobworker1.manage-own-jobs"
#define ACTION_MANAGE_ALL_JOBS    "org.jobworker1.manage-all-jobs"
#define ACTION_PRIVILEGED_OPTIONS "org.jobworker1.privileged-options"

typedef struct Polkit Polkit;

typedef enum PolkitFlags {
        /* Let polkit ask for a password, if the client allowed that. */
        POLKIT_INTERACTIVE = 1 << 0,
        /* A question whose "no" costs little (may they see other users' jobs
         * in a listing?): give polkit a few seconds, not minutes, so a slow
         * or stopped polkitd delays a listing only briefly. */
        POLKIT_QUICK = 1 << 1,
} PolkitFlags;

int polkit_new(sd_bus *bus, Polkit **ret);
Polkit *polkit_free(Polkit *p);
static inline void polkit_freep(Polkit **p) {
        polkit_free(*p);
}

/* Returns 1 when the sender of call may do action, or < 0 with error set
 * (AccessDenied; InteractiveAuthorizationRequired (-EBUSY) when polkit wants
 * an authentication the client did not allow). Returns 0 when polkit is being
 * asked: the caller then returns 1 from its bus callback without replying;
 * the call is dispatched again from the start (filters, handler) once polkit
 * answered, and the same check then returns the answer. The event loop never
 * waits on polkit. */
int polkit_check(Polkit *p, sd_bus_message *call, const char *action, PolkitFlags flags, sd_bus_error *error);

/* Queries not yet freed: asked, or answered and waiting for their call to
 * come back. An idle exit waits for these (an authentication may take a
 * person minutes). */
unsigned polkit_n_queries(const Polkit *p);
