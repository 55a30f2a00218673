/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may see and act on what: the caller's uid, the owner check and the
 * (asynchronous) polkit questions, in one place. The API layer asks here
 * before it reads or acts; nothing here replies to a call. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "polkit.h"

typedef struct Access Access;
typedef struct Job Job;

int access_new(sd_bus *bus, Access **ret);
Access *access_free(Access *a);
static inline void access_freep(Access **a) {
        access_free(*a);
}

/* Installs the bus filter that learns each caller's uid before any handler
 * runs (caller-uid.h). Call after adding every other filter. */
int access_attach(Access *a);

/* Questions to polkit or the bus broker not yet settled: the idle exit
 * waits for them. */
unsigned access_n_pending(const Access *a);
/* Exiting: a call that needs a new question is answered ShuttingDown (the
 * check returns 0, the call is taken care of). */
void access_refuse_new_questions(Access *a);

/* The caller's uid, from the bus broker (never from /proc); known for every
 * method call being dispatched, -ESRCH otherwise. */
int access_caller_uid(Access *a, sd_bus_message *call, uid_t *ret);

/* The return convention of all checks that may ask polkit: 1 = yes; 0 =
 * the call is taken care of, return 1 from the bus callback without
 * replying (polkit is being asked, and the call is dispatched again from the
 * start once it answered; or, while exiting, it was answered ShuttingDown);
 * < 0 = no. Each uid has a few questions out and waiting at most
 * (polkit.h); past that a check says no at once. */

/* An action on no particular job (start-job, privileged-options), asked
 * from a handler that has read and bounded the call's arguments: root may,
 * anyone else as polkit says. < 0 with error set (LimitExceeded past the
 * per-uid limit, which is longer for these: POLKIT_BOUNDED). */
int access_check(Access *a, sd_bus_message *call, const char *action, bool interactive, sd_bus_error *error);

/* May the caller see the job j, which is NULL when no job has the id they
 * named? Its owner and root see it without asking anyone. Anyone else is
 * asked manage-all-jobs, whether the job exists or not, so the answer and
 * its timing tell nothing about other users' jobs: interactively (if the
 * client allowed it) only for the Job methods Stop, GetOutput and Remove,
 * never for what only reads. -ENOENT: answer exactly as for a job that does
 * not exist (also past the per-uid limit on questions). The decision is
 * remembered for this call (see below). */
int access_see_job(Access *a, sd_bus_message *call, const Job *j);

/* May the caller act on the visible job j (Stop, GetOutput, Remove, Pause,
 * Resume)? The owner needs manage-own-jobs; anyone else was decided by
 * access_see_job() for this very call. -ENOENT: answer as for a job that does not exist;
 * other < 0 with error set. */
int access_manage_job(Access *a, sd_bus_message *call, const Job *j, sd_bus_error *error);

/* For listings (ListJobs, introspection of the job tree): does the caller see
 * every user's jobs (root, admins) or only their own? Never prompts, and
 * gives polkit a few seconds, counted from the question (waiting for a free
 * slot included): a slow polkitd, or a busy one, delays a user's listing of
 * their own jobs by seconds only. 1 = all, -EACCES = only their own (also
 * past the per-uid limit on questions). */
int access_see_all(Access *a, sd_bus_message *call);

/* What the last two decided for call, for sd-bus's callbacks that run later
 * in the same dispatch (object lookup, node enumerator) and cannot wait. */
bool access_job_visible(Access *a, sd_bus_message *call, const Job *j);
bool access_sees_all(Access *a, sd_bus_message *call);
