/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's one context object: event loop, bus connection, jobs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include "config.h"
#include "network-config.h"

typedef struct Job Job;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        sd_event_source *idle_timer;
        uint64_t idle_timeout_usec;   /* 0 = never exit on idle */
        uint64_t last_activity_usec;  /* CLOCK_MONOTONIC of the last bus message */

        Job **jobs;                   /* sorted by id (job-table.h) */
        size_t n_jobs, n_jobs_allocated;
        /* Finished jobs kept (job-retention.h), and the deferred pass that
         * forgets the oldest beyond that once a job has finished. */
        size_t max_finished_jobs_per_user, max_finished_jobs;
        /* Bytes of job records (job_record_cost()), in /run and in memory,
         * of one user and of all: StartJob refuses a job past them and
         * retention forgets finished jobs to stay within them. */
        uint64_t max_record_bytes_per_user, max_record_bytes;
        sd_event_source *retention_event;
        char *state_dir;              /* RUNSTATEDIR "/jobs" */
        char *shim_path;

        struct OutputReaders *output;  /* clients' output streams (output.c) */
        struct OutputReadCalls *output_read;  /* ReadOutput calls waiting for output (output-read.c) */

        struct Access *access;        /* who may see what (access.c) */
        struct CallerCheck *caller_checks;   /* paths being looked at as the caller (caller-check.c) */

        /* The idle exit (manager.c): the name is being given back; calls
         * already queued are still answered, new jobs are not started. */
        bool exiting;
        bool name_released;           /* NameOwnerChanged confirmed it */
        sd_event_source *exit_check;  /* post source: exit once nothing is in flight */
        unsigned max_jobs_per_user;          /* active jobs; root is exempt */

        /* jobworkerd.conf as last read successfully (built-in values if
         * never); a reload replaces it whole or not at all. Jobs keep the
         * limits they were started with. The environment variables for the
         * two counts, when set, override the file (for tests). */
        Settings settings;
        unsigned env_max_jobs_per_user, env_max_finished_jobs_per_user;  /* 0 = not set */
        sd_event_source *retention_timer;    /* FinishedRetentionSec: the next job to expire */

        /* The unique bus name of PID 1 (systemd.c): its signals are believed
         * only from there. NULL while systemd is off the bus. */
        char *systemd_owner;
        /* Output streams (two per GetOutput call) open at once, counted
         * against the caller who opened them; root is exempt per caller. */
        unsigned max_output_readers, max_output_readers_per_user;
        /* Bridged networks (network-config.h), from settings; and where the
         * next automatic address search begins (lease_take_any()). */
        NetworkList networks;
        uint64_t lease_hint;
        struct VethCleanup *veth_cleanups;   /* veths that outlived their job (veth-cleanup.c) */
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
int manager_startup(Manager *m);
int manager_run(Manager *m);

Job *manager_find_job(Manager *m, const char *id);
Job *manager_find_job_by_unit(Manager *m, const char *unit);
Job *manager_find_job_by_systemd_job(Manager *m, const char *path);
/* The job of owner called name: the unfinished one (there is at most one),
 * else, unless unfinished_only, the most recently started finished one. */
Job *manager_find_job_by_name(Manager *m, uid_t owner, const char *name, bool unfinished_only);
int manager_add_job(Manager *m, Job *j);
void manager_remove_job(Manager *m, Job *j);
unsigned manager_active_jobs(Manager *m);
/* Looks again at every active job (systemd came back, say). */
void manager_check_jobs(Manager *m);
/* A job finished: forget the oldest finished jobs beyond the caps, soon
 * (from the event loop, so that no caller's job is freed under it). */
void manager_schedule_retention(Manager *m);
/* The caps on finished jobs and record bytes, as configured. */
struct JobRetention;
void manager_retention_limits(Manager *m, struct JobRetention *ret);

/* Reads jobworkerd.conf again (systemctl reload, SIGHUP, Manager.Reload):
 * 0, or a negative errno with the error logged (file, line, key) and, if
 * ret_message is not NULL, in a sentence there; the settings are then
 * those before. */
int manager_reload(Manager *m, char **ret_message);
/* bus-manager.c: [Ceilings] and Default* onto limits asked for in a call
 * (StartJob; Job.SetLimits with the job's old limits): 1 go on, 0 held for
 * polkit, < 0 refused. */
struct JobLimits;
int check_ceilings(Manager *m, sd_bus_message *message, struct JobLimits *l, const struct JobLimits *old,
                   sd_bus_error *error);
/* Whether j's owner has active jobs besides j. */
bool manager_owner_has_other_active_jobs(Manager *m, const Job *j);
/* [UserSlice] again onto the slice of every user with active jobs. */
void manager_apply_user_slices(Manager *m);
/* The settings that depend on the configuration, taken from m->settings. */
void manager_apply_settings(Manager *m);

static inline void manager_freep(Manager **m) {
        manager_free(*m);
}

/* bus-manager.c / bus-job.c */
extern const sd_bus_vtable manager_vtable[];
extern const sd_bus_vtable job_vtable[];
int job_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                    void **found, sd_bus_error *error);
int job_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                        sd_bus_error *error);

/* Holds calls to a job's object (and introspection of the job tree) while
 * access.c asks polkit whether the caller may see it: sd-bus answers those
 * without a handler of ours, and must not wait. */
int job_call_filter(sd_bus_message *message, void *userdata, sd_bus_error *error);
int bus_send_signal_to(sd_bus *bus, const char *destination, const char *member, const char *id,
                       const char *path);
/* The free function for a call message handed to the core as the userdata
 * of its completion callback (start, set-limits, pause). */
void bus_request_unref(void *userdata);

