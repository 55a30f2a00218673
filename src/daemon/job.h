/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A job: its spec, its lifecycle state and the runtime handles that drive it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "job-limits.h"
#include "job-result.h"

typedef struct Manager Manager;
typedef struct Job Job;

/* How a start ended, for whoever asked for it (the API layer answers its
 * StartJob call): error 0 means the job runs; else a negative errno and a
 * reason a person understands. Called at most once. */
typedef void (*job_started_t)(Job *j, int error, const char *reason, void *userdata);

/* How a Pause or Resume ended: error 0, or -ESRCH (the job is over or being
 * stopped), -EBUSY (PID 1 is busy with the scope), other -errno; reason is
 * PID 1's message or NULL. Called once, unless the job is freed first
 * (then the userdata free function runs instead). */
typedef void (*job_freezer_done_t)(Job *j, int error, const char *reason, void *userdata);
typedef struct JobFreezerOp JobFreezerOp;

struct Job {
        Manager *manager;

        /* The spec: fixed when the job is created, persisted. */
        char id[13];
        char *unit;           /* jobworker-<id>.scope */
        char *object_path;    /* /org/jobworker1/job/<id> */
        uid_t owner;
        /* Who the command runs as: run_uid, or the owner while it is
         * UID_UNSET (job_run_uid()); gid is its primary group either way.
         * run_user is the run-as user's name, NULL when the owner's or
         * when the uid has no passwd entry. */
        uid_t run_uid;
        char *run_user;
        gid_t gid;
        char **argv;          /* NULL-terminated; bytes without NUL */
        char **environment;   /* NULL-terminated NAME=VALUE, the job's whole environment */
        char *working_directory;
        char *name;           /* the caller's name for it (job_name_valid()), NULL = none */
        int terminal;         /* a ShimTerminal: the job's stdio is a pty of its own (not persisted:
                               * AttachTerminal asks the shim's socket, which outlives a restart) */
        JobLimits limits;
        uint64_t start_usec;  /* CLOCK_REALTIME */

        /* Bridged networking, persisted. network NULL = "none" (loopback
         * only). While the job is active it holds the lease of address on
         * network (lease.h); host_interface is its veth's host end. */
        char *network;
        uint32_t address;               /* 0 = none (yet) */
        unsigned address_prefix;
        char *host_interface;

        /* The outcome: persisted. */
        JobState state;
        JobResult result;
        int exit_code;        /* -1 unless the command exited */
        int exit_signal;      /* 0 unless a signal ended it */
        char *status_text;    /* why it failed to start */
        uint64_t finish_usec;
        uint64_t cpu_usage_nsec;
        uint64_t memory_peak;
        uint64_t output_bytes[2];  /* stdout, stderr: all in the journal; UINT64_MAX unknown */
        int start_errno;      /* 0 unless start-failed in the shim */
        bool stop_requested;
        uint64_t stop_deadline_usec;  /* CLOCK_REALTIME when SIGKILL follows */
        uint64_t pending_stop_timeout_usec;  /* a Stop() while starting: applied once released */

        /* The shim, persisted: output readers trust only its entries. */
        pid_t shim_pid;

        /* Runtime only. */
        sd_event_source *shim_source;   /* set while the shim is our child */
        uint64_t scope_requested_usec;  /* CLOCK_MONOTONIC, when StartTransientUnit went out */
        /* Finished on the shim's record while PID 1 still had the scope
         * (job_outcome_final_at_exit()): its end is still to come. */
        bool scope_outlives_job;
        int go_fd;                      /* our end of the shim's go socket: "G" releases it; */
        sd_event_source *go_source;     /* then it says when it sent output (output_job_sent()) */
        char *systemd_job;              /* object path of the scope's start job */
        sd_bus_slot *start_slot;        /* pending StartTransientUnit call */
        job_started_t start_done;       /* told once the job runs or failed to start */
        void *start_userdata;           /* start_done's; start_userdata_free drops it unused */
        void (*start_userdata_free)(void *userdata);
        sd_event_source *start_timer;   /* stops waiting for JobRemoved of systemd_job */
        unsigned start_checks;          /* times the scope's state was read instead */
        bool reset_failed_tried;
        sd_event_source *kill_timer;    /* SIGKILL at the deadline, then again until it is over */
        sd_event_source *recheck_timer;
        /* The scope's state as PID 1 last told it (PropertiesChanged or a
         * query); NULL = not heard yet. */
        char *unit_active_state;
        char *unit_result;
        struct UnitStateQuery *state_query;  /* a pending read of that state */
        /* A Job.SetLimits on its way to PID 1 (one at a time): the limits
         * the job gets once PID 1 took them, and whom to tell. */
        sd_bus_slot *limits_slot;
        JobLimits pending_limits;
        void (*limits_done)(Job *j, int error, const char *reason, void *userdata);
        void *limits_userdata;
        void (*limits_userdata_free)(void *userdata);
        bool recovering;                     /* found at start-up, state not read yet */
        /* Frozen by Pause() (the cgroup freezer, through PID 1): shown as
         * state "paused", while state stays JOB_RUNNING. Not persisted: a
         * restarted daemon reads it back from the scope's cgroup. */
        bool paused;
        JobFreezerOp *freezer_ops;           /* Pause/Resume calls PID 1 has not answered */
        unsigned n_freezer_ops;

        /* stdin and the client's lifetime (StartJob's Stdin and
         * StopWhenCallerExits, caller-watch.c). stdin_fd: our dup of the
         * caller's fd until the shim has it (runtime only; -1 = /dev/null).
         * stop_with_caller: the unique bus name of the StartJob caller
         * whose disconnection stops the job, persisted (a restarted daemon
         * asks the bus whether it is still there); NULL = none. */
        int stdin_fd;
        char *stop_with_caller;
        sd_bus_slot *caller_query_slot;      /* NameHasOwner(stop_with_caller) pending */
        /* Job.Wait() calls held until the job is finished (job-wait.h). */
        struct JobWaiter *waiters;
        size_t n_waiters;
};

/* At most this many Pause/Resume calls of one job waiting for PID 1. */
#define JOB_FREEZER_OPS_MAX 8U

int job_new(Manager *m, const char *id, Job **ret);
Job *job_free(Job *j);
static inline void job_freep(Job **j) {
        job_free(*j);
}

#define UID_UNSET ((uid_t) -1)
static inline uid_t job_run_uid(const Job *j) {
        return j->run_uid == UID_UNSET ? j->owner : j->run_uid;
}

bool job_is_active(const Job *j);
/* The state as clients see it: "paused" for a frozen running job, else
 * job_state_to_string(j->state). */
const char *job_state_shown(const Job *j);

/* Persistence under RUNSTATEDIR/jobs (job-record.c): <id>.job is ours,
 * <id>.status the shim's; both 0600 in a 0700 directory. A record holds at
 * most 2 MiB of command line and environment, hex-encoded. */
#define JOB_RECORD_SIZE_MAX (8U * 1024U * 1024U)
int job_save(const Job *j);
/* The record's text, and a job filled in from one (j->id and j->manager set,
 * the rest as job_new() leaves it). Parsing is strict: malformed numbers,
 * hex, NULs, a foreign ID= or no command fail with -EBADMSG/-EINVAL/-ERANGE. */
int job_record_format(const Job *j, char **ret, size_t *ret_size);
int job_record_parse(Job *j, const char *text, size_t size);
/* Reads RUNSTATEDIR/jobs/<id>.job into j (as job_record_parse()). */
int job_record_read(Job *j);
void job_forget_files(const Job *j);
char *job_status_path(const Job *j);
/* Where a terminal job's shim listens for AttachTerminal. */
char *job_terminal_socket_path(const Job *j);

/* Lifecycle. */
/* Spawns the shim, asks systemd for the scope, and calls done once the job
 * runs or failed to start (userdata_free(userdata) instead, if the job is
 * freed first, e.g. when the daemon exits). On an error returned here done
 * is not called and userdata stays the caller's. */
int job_start(Job *j, const gid_t *groups, int n_groups, job_started_t done, void *userdata,
              void (*userdata_free)(void *userdata));
int job_arm_kill_timer(Job *j);
/* SIGTERM now, SIGKILL after timeout_usec (0: the job's own stop timeout);
 * -EALREADY if it has finished. */
int job_stop(Job *j, uint64_t timeout_usec);
/* A Stop() that came while the job was starting, applied once it runs. */
void job_apply_pending_stop(Job *j);
void job_on_systemd_job_removed(Job *j, const char *result);
/* Freezes (pause = true) or thaws the job's scope; done reports the end.
 * -EALREADY: it has finished; -EBUSY: it is starting or stopping (nothing
 * to pause yet, or a stop under way); -EUSERS: JOB_FREEZER_OPS_MAX calls
 * are pending. On an error returned here done is not called. */
int job_pause(Job *j, bool pause, job_freezer_done_t done, void *userdata, void (*userdata_free)(void *userdata));
/* PID 1's FreezerState of the scope ("frozen", "running", ...). */
void job_on_freezer_state(Job *j, const char *freezer_state);
/* Finishes a job that never ran (found half-started at start-up) as
 * start-failed, the way every job finishes: record, bus, journal, retention. */
void job_finish_unstarted(Job *j, const char *reason);
/* What PID 1 says of the scope; NULL leaves that part as it was. */
void job_on_unit_state(Job *j, const char *active_state, const char *result);
/* Looks at the scope's last known state and the shim's status file and
 * finishes the job when both say it is over; asks PID 1 (asynchronously)
 * when unsure. Called on every hint: shim exit, unit change, start-up. */
void job_check(Job *j);

int job_send_properties_changed(Job *j);

/* Changes a running job's limits to *limits (moved out of it on success):
 * SetUnitProperties(runtime) of what differs, asynchronously; once PID 1
 * took them they are the job's (record, properties) and done runs with 0,
 * or with a negative errno and PID 1's reason (the job keeps its old
 * limits). Nothing to change: done runs before this returns. -EBUSY while
 * another change is pending, -ESRCH unless the job is running; on any
 * error returned done is not called and userdata stays the caller's. */
typedef void (*job_limits_set_t)(Job *j, int error, const char *reason, void *userdata);
int job_set_limits(Job *j, JobLimits *limits, job_limits_set_t done, void *userdata,
                   void (*userdata_free)(void *userdata));
