/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Job.Wait(): a call answered once its job is finished, with how it ended.
 * `jobworkerctl run` and `wait` learn the end from this answer instead of
 * a PropertiesChanged broadcast (which carries no values) followed by a
 * property read: one bus round trip less at the end of every job. The
 * answer goes out before the job's followers get their EOF, on the same
 * connection as any later reply, so a client that reads the properties
 * after its EOF always has this answer first. */
#pragma once

#include <sys/types.h>
#include <systemd/sd-bus.h>

typedef struct Job Job;

/* Calls held at once, per caller (root too) and in all: each is a message
 * reference and a few bytes; past either the call is refused
 * (LimitExceeded) and the client watches the job as it did before Wait(). */
#define JOB_WAITERS_PER_USER_MAX 256U
#define JOB_WAITERS_MAX 4096U

typedef struct JobWaiter {
        sd_bus_message *call;
        uid_t caller;
} JobWaiter;

/* Answers call (already authorized, from caller) now if j is finished,
 * else holds it until it is. 1: held; 0: answered; < 0 with error set. */
int job_wait_add(Job *j, sd_bus_message *call, uid_t caller, sd_bus_error *error);
/* j is finished: answers every held call. */
void job_wait_answer_all(Job *j);
/* j goes away (the daemon exits): drops the held calls unanswered; the bus
 * answers them with an error once our connection is gone. */
void job_wait_drop_all(Job *j);
/* The client with this unique bus name is gone (caller-watch.c): its held
 * calls, which nobody can receive, no longer count against its user. */
void job_wait_drop_sender(Job *j, const char *unique_name);
