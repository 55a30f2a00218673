/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Asking polkit, asynchronously, whether the sender of a call may do an
 * action. Knows nothing of jobs: access.c decides who is asked what; the
 * caller's uid is passed in only to share polkit's time fairly. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#define ACTION_START_JOB          "org.jobworker1.start-job"
#define ACTION_MANAGE_OWN_JOBS    "org.jobworker1.manage-own-jobs"
#define ACTION_MANAGE_ALL_JOBS    "org.jobworker1.manage-all-jobs"
#define ACTION_PRIVILEGED_OPTIONS "org.jobworker1.privileged-options"
/* StartJob with a Network other than "none". */
#define ACTION_NETWORK "org.jobworker1.network"

typedef struct Polkit Polkit;

typedef enum PolkitFlags {
        /* Let polkit ask for a password, if the client allowed that. */
        POLKIT_INTERACTIVE = 1 << 0,
        /* A question whose "no" costs little (may they see other users' jobs
         * in a listing?): give polkit a few seconds, not minutes, so a slow
         * or stopped polkitd delays a listing only briefly. */
        POLKIT_QUICK = 1 << 1,
        /* The call's arguments were read and bounded before asking
         * (StartJob's handler, not a filter that holds any message): it may
         * wait in a longer queue, so that a user's many parallel starts are
         * not refused while polkitd is slow. */
        POLKIT_BOUNDED = 1 << 2,
} PolkitFlags;

/* Fairness: one user must not hold up everyone's answers. Questions of one
 * uid out with polkit at once, and waiting for a free slot; a question past
 * both is refused at once (-EUSERS, LimitExceeded). Waiting questions are
 * asked round-robin over uids, and wait no longer than their own timeout
 * (a quick one's few seconds include the wait). */
#define POLKIT_ASKED_PER_UID_MAX   4U
#define POLKIT_WAITING_PER_UID_MAX 16U
#define POLKIT_WAITING_BOUNDED_PER_UID_MAX 64U

int polkit_new(sd_bus *bus, Polkit **ret);
Polkit *polkit_free(Polkit *p);
static inline void polkit_freep(Polkit **p) {
        polkit_free(*p);
}

/* Returns 1 when the sender of call (whose uid is uid) may do action, or < 0
 * with error set (AccessDenied; InteractiveAuthorizationRequired (-EBUSY)
 * when polkit wants an authentication the client did not allow;
 * LimitExceeded (-EUSERS) when that uid has too many questions pending).
 * Returns 0 when the call is taken care of: the caller then returns 1 from
 * its bus callback without replying. That is: polkit is being asked, and the
 * call is dispatched again from the start (filters, handler) once polkit
 * answered, and the same check then returns the answer; or new questions
 * are refused (polkit_refuse_new()) and the call was answered ShuttingDown.
 * The event loop never waits on polkit. */
int polkit_check(Polkit *p, sd_bus_message *call, uid_t uid, const char *action, PolkitFlags flags,
                 sd_bus_error *error);

/* The daemon is exiting: from now on a call that needs a new question is
 * answered org.jobworker1.Error.ShuttingDown; questions already put are
 * still answered. */
void polkit_refuse_new(Polkit *p);

/* Which waiting question to ask next, round-robin over uids: uids[i] is the
 * uid of the i-th waiting question (oldest first), asked[i] how many
 * questions of that uid are out. Picks the oldest question of the next uid
 * after last (numerically, wrapping round; any uid when !have_last) that has
 * fewer than per_uid_max out. Returns its index, or -1 when none may be
 * asked now. Pure, for the unit tests. */
ssize_t polkit_pick_waiting(const uid_t *uids, const unsigned *asked, size_t n, uid_t last, bool have_last,
                            unsigned per_uid_max);

/* Queries not yet freed: asked, or answered and waiting for their call to
 * come back. An idle exit waits for these (an authentication may take a
 * person minutes). */
unsigned polkit_n_queries(const Polkit *p);
