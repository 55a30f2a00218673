/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Asking polkit whether the caller of a method may do an action. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

typedef struct Manager Manager;

#define ACTION_START_JOB          "org.jobworker1.start-job"
#define ACTION_MANAGE_OWN_JOBS    "org.jobworker1.manage-own-jobs"
#define ACTION_MANAGE_ALL_JOBS    "org.jobworker1.manage-all-jobs"
#define ACTION_PRIVILEGED_OPTIONS "org.jobworker1.privileged-options"

/* For method handlers. Returns 1 when the caller may do the action, or < 0
 * with error set (AccessDenied, or InteractiveAuthorizationRequired when
 * polkit wants an authentication the caller did not allow). Returns 0 when
 * polkit is being asked: the handler then returns 1 without replying, and
 * runs again from the start (with the message rewound) once polkit answered,
 * when this call returns the answer. The event loop never waits on polkit.
 * interactive=false never prompts (used for "may they see everything?"). */
int polkit_check_async(Manager *m, sd_bus_message *call, const char *action, bool interactive,
                       sd_bus_error *error);

/* For property reads, which sd-bus answers synchronously: a non-interactive
 * check. 1 = allowed, < 0 with error set. */
int polkit_check_sync(Manager *m, sd_bus_message *call, const char *action, sd_bus_error *error);

void polkit_free_all(Manager *m);
