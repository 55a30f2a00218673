/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Jobs that end with their client (StartJob's StopWhenCallerExits, what
 * `jobworkerctl run` asks for): the daemon watches the caller's unique bus
 * name and stops the job, as Stop() would, once the bus says it is gone,
 * like a shell's SIGHUP. Unique names are never reused on a bus, so "gone"
 * is final. Only the bus driver's NameOwnerChanged counts. The same news
 * lets go of the gone client's held Wait() calls (job-wait.h). */
#pragma once

#include <stdbool.h>

typedef struct Manager Manager;
typedef struct Job Job;

/* Adds the match for NameOwnerChanged; before any job is made or found. */
int caller_watch_subscribe(Manager *m);

/* Asks the bus (asynchronously) whether j->stop_with_caller is still
 * connected, and stops the job if not: for a new job (its caller may have
 * gone while the start was being checked) and for one a restarted daemon
 * found. The match is in place first, so no disconnection slips between. */
int caller_watch_job(Job *j);
