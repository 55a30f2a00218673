/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's one context object: event loop, bus connection, jobs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

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
        sd_event_source *retention_event;
        char *state_dir;              /* RUNSTATEDIR "/jobs" */
        char *shim_path;

        /* Output readers (output.c) and the one journal handle that tells
         * followers the journal changed (one inotify instance for all). */
        struct OutputReader *readers;
        sd_journal *journal_watch;
        sd_event_source *journal_watch_source;
        sd_event_source *journal_poll_timer;

        struct PolkitQuery *polkit_queries;  /* calls waiting for polkit */

        /* Unique bus names are never reused while the bus runs, so the uid
         * behind one never changes: remember the last few, saving a round
         * trip to the bus for every call. */
        struct {
                char name[32];
                uid_t uid;
        } caller_cache[64];
        unsigned caller_cache_next;

        /* polkit's recent "yes" answers per connection and action: a client
         * that reads a job's properties and then waits on it asks the same
         * question many times, and polkitd is slow to answer under load. */
        struct {
                char name[32];
                char action[48];
                uint64_t until_usec;  /* CLOCK_MONOTONIC */
        } polkit_cache[128];
        unsigned polkit_cache_next;
        unsigned max_jobs_per_user;          /* active jobs; root is exempt */
        /* Output streams (two per GetOutput call) open at once, counted
         * against the caller who opened them; root is exempt per caller. */
        unsigned max_output_readers, max_output_readers_per_user;
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
int manager_startup(Manager *m);
int manager_run(Manager *m);

Job *manager_find_job(Manager *m, const char *id);
Job *manager_find_job_by_unit(Manager *m, const char *unit);
Job *manager_find_job_by_systemd_job(Manager *m, const char *path);
int manager_add_job(Manager *m, Job *j);
void manager_remove_job(Manager *m, Job *j);
unsigned manager_active_jobs(Manager *m);
/* A job finished: forget the oldest finished jobs beyond the caps, soon
 * (from the event loop, so that no caller's job is freed under it). */
void manager_schedule_retention(Manager *m);

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

int bus_caller_uid(sd_bus_message *m, uid_t *ret);
int manager_caller_uid(Manager *m, sd_bus_message *message, uid_t *ret);
int bus_send_signal_to(sd_bus *bus, const char *destination, const char *member, const char *id,
                       const char *path);
/* Resolves a job id the caller may act on: 1 with *ret set; 0 while polkit
 * is asked (return 1 from the handler, it runs again); < 0 with error set
 * (InvalidArgument, NoSuchJob, AccessDenied). */
int bus_find_job_for_caller(Manager *m, sd_bus_message *message, const char *id, Job **ret,
                            sd_bus_error *error);
/* The same for a job already in hand. */
int bus_authorize_job(Manager *m, sd_bus_message *message, Job *j, sd_bus_error *error);

/* systemd.c: what we ask of and hear from PID 1. */
int systemd_subscribe(Manager *m);
int systemd_unit_state(Manager *m, const char *unit, char **ret_active_state, char **ret_result);
int systemd_kill_unit(Manager *m, const char *unit, int signo);
int systemd_reset_failed_unit(Manager *m, const char *unit);
