/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A job's lifecycle: spawn the shim, put it in its scope, release it, stop
 * it, and find out how it ended. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "time-util.h"
#include "bus-names.h"
#include "fd-util.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "network.h"
#include "scope-properties.h"
#include "systemd.h"
#include "shim-spec.h"
#include "job-output.h"
#include "job-retention.h"
#include "job-wait.h"
#include "output.h"
#include <systemd/sd-journal.h>

#define START_TIMEOUT_USEC (90 * USEC_PER_SEC)
/* From systemd's answer to the end of its start job: normally milliseconds.
 * JobRemoved can be lost (ignored while PID 1 reexecutes, dropped when our
 * queue on the bus is full), so after this long we ask for the scope's
 * state instead. Well inside the 25 s a D-Bus client (busctl, and the bus
 * itself for pending replies) waits by default, so a lost signal costs the
 * caller 10 s, not an unanswered StartJob. */
#define START_JOB_WAIT_USEC (10 * USEC_PER_SEC)
/* A scope neither active nor failed may still have its start job queued
 * (a busy PID 1): look this many times in all, 10 s apart, before giving
 * up. */
#define START_CHECKS_MAX 6U
#define RECHECK_USEC (2 * USEC_PER_SEC)
/* After SIGKILL, as long as the job is not over: SIGKILL again. */
#define KILL_RETRY_USEC (5 * USEC_PER_SEC)

int job_new(Manager *m, const char *id, Job **ret) {
        _cleanup_(job_freep) Job *j = calloc(1, sizeof(Job));
        if (!j)
                return -ENOMEM;
        j->manager = m;
        j->go_fd = -1;
        j->stdin_fd = -1;
        j->run_uid = UID_UNSET;
        j->exit_code = -1;
        j->cpu_usage_nsec = UINT64_MAX;
        j->memory_peak = UINT64_MAX;
        j->output_bytes[0] = j->output_bytes[1] = UINT64_MAX;
        job_limits_init(&j->limits);
        job_limits_init(&j->pending_limits);
        snprintf(j->id, sizeof j->id, "%s", id);
        if (asprintf(&j->unit, JOBWORKER_UNIT_PREFIX "%s" JOBWORKER_UNIT_SUFFIX, id) < 0) {
                j->unit = NULL;
                return -ENOMEM;
        }
        /* Ids are plain hex, a valid path element as they are: no escaping,
         * so the path is /org/jobworker1/job/<id> as documented. */
        if (asprintf(&j->object_path, JOBWORKER_JOB_PATH_PREFIX "/%s", id) < 0) {
                j->object_path = NULL;
                return -ENOMEM;
        }
        *ret = TAKE_PTR(j);
        return 0;
}

struct JobFreezerOp {
        Job *job;
        bool freeze;
        sd_bus_slot *slot;
        job_freezer_done_t done;
        void *userdata;
        void (*userdata_free)(void *userdata);
        JobFreezerOp *next;
};

static void job_freezer_op_unlink(JobFreezerOp *op) {
        Job *j = op->job;

        for (JobFreezerOp **p = &j->freezer_ops; *p; p = &(*p)->next)
                if (*p == op) {
                        *p = op->next;
                        j->n_freezer_ops--;
                        break;
                }
        /* Frees the adapter's part of the call, without an answer. */
        op->slot = sd_bus_slot_unref(op->slot);
}

static int on_discarded_shim_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        /* Reaped by sd-event; drop the loop's reference to this floating
         * source (freed once this callback returns). */
        sd_event_source_unref(s);
        return 0;
}

/* Leaves the shim's reaping to the event loop, with a fresh, floating
 * source for the same child: the old one would call back into j, which is
 * about to go. A waitpid() here could hang the loop on a shim stuck in the
 * kernel. */
static void job_leave_shim(Job *j) {
        pid_t pid = j->shim_pid;

        if (pid <= 0 || !j->shim_source)
                return;
        j->shim_source = sd_event_source_disable_unref(j->shim_source);
        int r = sd_event_add_child(j->manager->event, NULL, pid, WEXITED, on_discarded_shim_exit, NULL);
        if (r < 0) {
                log_warning_errno(r, "Cannot watch the shim %d of job %s, reaping it now: %m", (int) pid, j->id);
                (void) waitpid(pid, NULL, 0);
        }
}

Job *job_free(Job *j) {
        if (!j)
                return NULL;
        while (j->freezer_ops) {
                JobFreezerOp *op = j->freezer_ops;
                job_freezer_op_unlink(op);
                if (op->userdata && op->userdata_free)
                        op->userdata_free(op->userdata);
                free(op);
        }
        /* A finished job's shim may still be exiting (the job finished on
         * its status record): it is reaped all the same. A running job's
         * shim goes on without us (the daemon exits). */
        if (j->state == JOB_FINISHED)
                job_leave_shim(j);
        sd_event_source_disable_unref(j->shim_source);
        sd_event_source_disable_unref(j->kill_timer);
        sd_event_source_disable_unref(j->recheck_timer);
        sd_event_source_disable_unref(j->start_timer);
        unit_state_query_free(j->state_query);
        sd_bus_slot_unref(j->start_slot);
        sd_bus_slot_unref(j->limits_slot);
        job_limits_done(&j->pending_limits);
        if (j->limits_userdata && j->limits_userdata_free)
                j->limits_userdata_free(j->limits_userdata);
        if (j->start_userdata && j->start_userdata_free)
                j->start_userdata_free(j->start_userdata);
        sd_event_source_disable_unref(j->go_source);
        if (j->go_fd >= 0)
                close(j->go_fd);
        if (j->stdin_fd >= 0)
                close(j->stdin_fd);
        sd_bus_slot_unref(j->caller_query_slot);
        job_wait_drop_all(j);
        free(j->stop_with_caller);
        free(j->unit);
        free(j->object_path);
        strv_free(j->argv);
        strv_free(j->environment);
        free(j->working_directory);
        free(j->name);
        free(j->network);
        free(j->host_interface);
        free(j->run_user);
        job_limits_done(&j->limits);
        free(j->status_text);
        free(j->systemd_job);
        free(j->unit_active_state);
        free(j->unit_result);
        free(j);
        return NULL;
}

static const char *const limit_properties[] = {
        "CPUQuotaPerSecUSec", "MemoryMax", "MemorySwapMax", "IOReadBandwidthMax", "IOWriteBandwidthMax",
        "AllowedCPUs", "TasksMax", "RuntimeMaxUSec",
};

static void on_limits_set(int error, const char *message, void *userdata) {
        Job *j = userdata;
        job_limits_set_t done = j->limits_done;
        void *done_userdata = j->limits_userdata;

        j->limits_slot = sd_bus_slot_unref(j->limits_slot);
        j->limits_done = NULL;
        j->limits_userdata = NULL;
        if (error < 0) {
                log_warning("systemd refused new limits for job %s (%s): %s", j->id, j->unit, message ?: "?");
                job_limits_done(&j->pending_limits);
        } else {
                job_limits_done(&j->limits);
                j->limits = j->pending_limits;
                job_limits_init(&j->pending_limits);
                log_info("Job %s has new limits.", j->id);
                /* The record keeps them: a restarted daemon shows them too. */
                (void) job_save(j);
                int r = sd_bus_emit_properties_changed_strv(j->manager->bus, j->object_path, JOBWORKER_JOB_INTERFACE,
                                                            (char **) limit_properties);
                if (r < 0)
                        log_warning_errno(r, "Failed to announce the new limits of job %s: %m", j->id);
        }
        if (done)
                done(j, error, message, done_userdata);
}

int job_set_limits(Job *j, JobLimits *limits, job_limits_set_t done, void *userdata,
                   void (*userdata_free)(void *userdata)) {
        ScopeProperty props[SCOPE_PROPERTIES_MAX];
        size_t n;
        int r;

        assert(j);
        assert(limits);
        assert(done);

        if (j->state != JOB_RUNNING)
                return -ESRCH;
        if (j->limits_slot)
                return -EBUSY;
        r = scope_properties_build_changes(&j->limits, limits, props, ELEMENTSOF(props), &n);
        if (r < 0)
                return r;
        if (n == 0) {
                done(j, 0, NULL, userdata);
                return 0;
        }
        r = systemd_set_unit_properties(j->manager, j->unit, props, n, on_limits_set, j, &j->limits_slot);
        if (r < 0)
                return r;
        j->pending_limits = *limits;
        job_limits_init(limits);
        j->limits_done = done;
        j->limits_userdata = userdata;
        j->limits_userdata_free = userdata_free;
        return 0;
}

bool job_is_active(const Job *j) {
        return j->state != JOB_FINISHED;
}

const char *job_state_shown(const Job *j) {
        if (j->state == JOB_RUNNING && j->paused)
                return "paused";
        return job_state_to_string(j->state);
}

/* Only State changes with it; the record does not (the cgroup keeps it). */
static void job_set_paused(Job *j, bool paused) {
        if (j->paused == paused)
                return;
        j->paused = paused;
        log_info("Job %s %s.", j->id, paused ? "paused" : "resumed");
        int r = sd_bus_emit_properties_changed(j->manager->bus, j->object_path, JOBWORKER_JOB_INTERFACE, "State",
                                               NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to announce the state of job %s: %m", j->id);
}

int job_send_properties_changed(Job *j) {
        int r = sd_bus_emit_properties_changed(j->manager->bus, j->object_path, JOBWORKER_JOB_INTERFACE,
                                               "State", "Result", "ExitCode", "ExitSignal", "StatusText", "StartErrno",
                                               "FinishTimestamp", "CPUUsageNSec", "MemoryPeak", "StdoutBytes",
                                               "StderrBytes", NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to announce the state of job %s: %m", j->id);
        return r;
}

/* Moves the job to a new state, persists it, and tells the bus. The record
 * is written before anyone hears of the change, so a crash never leaves a
 * client knowing more than a restarted daemon would. */
static void job_set_state(Job *j, JobState state) {
        j->state = state;
        (void) job_save(j);
        (void) job_send_properties_changed(j);
}

/* Tells whoever started the job how the start ended, once. */
static void job_report_start(Job *j, int error, const char *reason) {
        job_started_t done = j->start_done;
        void *userdata = j->start_userdata;

        j->start_done = NULL;
        j->start_userdata = NULL;
        if (done)
                done(j, error, reason, userdata);
}

/* Kills a shim we give up on and leaves its reaping to the event loop. */
static void job_discard_shim(Job *j) {
        if (j->shim_pid <= 0 || !j->shim_source)
                return;
        (void) kill(j->shim_pid, SIGKILL);
        job_leave_shim(j);
}

/* The start failed before the command could run: the caller hears why, and
 * the job leaves no trace but the log. The shim sees EOF on its go pipe and
 * exits without running anything. */
static void job_abort_start(Job *j, const char *reason) {
        log_warning("Job %s (%s) failed to start: %s", j->id, j->argv[0], reason);
        network_job_release(j);
        j->go_source = sd_event_source_disable_unref(j->go_source);
        if (j->go_fd >= 0)
                j->go_fd = (close(j->go_fd), -1);
        j->start_slot = sd_bus_slot_unref(j->start_slot);
        job_report_start(j, -ECANCELED, reason);
        job_discard_shim(j);
        (void) systemd_reset_failed_unit(j->manager, j->unit);
        job_forget_files(j);
        manager_remove_job(j->manager, j);
}

/* The structured record of how the job ended. It doubles as the end marker
 * for output readers (job-output.h), so it is written after the state is
 * saved and goes to the journal whatever our own log settings are. */
static void job_log_finished(Job *j) {
        int r = sd_journal_send("MESSAGE=Job %s (%s) finished: %s, exit code %d, signal %d.", j->id, j->argv[0],
                                job_result_to_string(j->result), j->exit_code, j->exit_signal,
                                "MESSAGE_ID=" JOB_FINISHED_MESSAGE_ID,
                                "PRIORITY=%d", j->result == JOB_RESULT_SUCCESS ? LOG_INFO : LOG_NOTICE,
                                "SYSLOG_IDENTIFIER=jobworkerd",
                                JOB_FIELD_ID "=%s", j->id,
                                "OBJECT_SYSTEMD_UNIT=%s", j->unit,
                                "JOB_RESULT=%s", job_result_to_string(j->result),
                                "JOB_EXIT_CODE=%d", j->exit_code,
                                "JOB_EXIT_SIGNAL=%d", j->exit_signal,
                                "JOB_OWNER_UID=%u", (unsigned) j->owner,
                                NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to record the end of job %s in the journal: %m", j->id);
        output_job_finished(j->manager, j->id);
}

/* The one way into JOB_FINISHED, however the job ended: the record is
 * saved, the bus told, the finish record (the followers' end marker)
 * written, and old finished jobs forgotten beyond the caps. */
static void job_enter_finished(Job *j) {
        j->kill_timer = sd_event_source_disable_unref(j->kill_timer);
        j->recheck_timer = sd_event_source_disable_unref(j->recheck_timer);
        j->start_timer = sd_event_source_disable_unref(j->start_timer);
        j->state_query = unit_state_query_free(j->state_query);
        j->go_source = sd_event_source_disable_unref(j->go_source);
        if (j->go_fd >= 0)
                j->go_fd = (close(j->go_fd), -1);
        j->paused = false;
        /* A finished record keeps only what is shown (job-retention.h). */
        strv_free(j->environment);
        j->environment = NULL;
        (void) job_argv_shrink(j->argv, JOB_FINISHED_ARGV_BYTES_MAX);

        job_set_state(j, JOB_FINISHED);
        /* Before the EOFs below: see job-wait.h. */
        job_wait_answer_all(j);
        /* Followers that hold all the output now get their EOF: a client
         * waits for it (and then reads the state) before it exits, and
         * need not wait for the finish record or the journal. */
        output_job_complete(j->manager, j->id);
        /* Its address is free again (the record above says it is over,
         * so a restart does not hand it back). */
        network_job_release(j);
        job_log_finished(j);
        manager_schedule_retention(j->manager);
        /* An OOM kill or timeout leaves the scope failed; we have recorded
         * how it ended, so clear it and keep systemctl --failed clean. A
         * job finished on its shim's exit has a scope that is still being
         * torn down and has not failed: job_on_unit_state() clears it if
         * it ends failed, and PID 1 is spared a call while it is busy. */
        if (!j->scope_outlives_job)
                (void) systemd_reset_failed_unit(j->manager, j->unit);
}

/* How the job ended, from the shim's record (status, read from
 * status_path, or NULL if there is none; it is consumed and the file
 * removed) and the scope's result. */
static void job_finish_with(Job *j, const char *status_path, JobStatus *status, const char *unit_result) {
        JobOutcome o = job_outcome_decide(status, unit_result, j->stop_requested);
        j->result = o.result;
        j->exit_code = o.exit_code;
        j->exit_signal = o.exit_signal;
        if (status) {
                if (status->message) {
                        free(j->status_text);
                        j->status_text = TAKE_PTR(status->message);
                }
                if (status->kind == JOB_START_FAILED)
                        j->start_errno = status->error;
                if (status->cpu_usec != UINT64_MAX)
                        j->cpu_usage_nsec = status->cpu_usec * NSEC_PER_USEC;
                j->memory_peak = status->memory_peak;
                j->output_bytes[0] = status->output_bytes[0];
                j->output_bytes[1] = status->output_bytes[1];
        }
        j->finish_usec = status && status->finished_usec > 0 ? status->finished_usec : now_usec(CLOCK_REALTIME);
        if (status)
                job_status_done(status);

        job_enter_finished(j);
        if (status_path)
                (void) unlink(status_path);
}

static void job_finish(Job *j, const char *unit_result) {
        _cleanup_free_ char *status_path = job_status_path(j);
        JobStatus status = JOB_STATUS_INIT;
        int r = -ENOMEM;

        if (status_path) {
                r = job_status_read_file(status_path, &status);
                if (r < 0 && r != -ENOENT)
                        log_warning_errno(r, "Failed to read %s: %m", status_path);
        }
        job_finish_with(j, status_path, r >= 0 ? &status : NULL, unit_result);
}

void job_finish_unstarted(Job *j, const char *reason) {
        char *text = strdup(reason);

        if (text) {
                free(j->status_text);
                j->status_text = text;
        }
        j->result = JOB_RESULT_START_FAILED;
        j->exit_code = -1;
        j->exit_signal = 0;
        j->finish_usec = now_usec(CLOCK_REALTIME);
        job_enter_finished(j);
}

static void job_set_unit_state(Job *j, const char *active_state, const char *result) {
        if (active_state) {
                char *a = strdup(active_state);
                if (a) {
                        free(j->unit_active_state);
                        j->unit_active_state = a;
                }
        }
        if (result) {
                char *r = strdup(result);
                if (r) {
                        free(j->unit_result);
                        j->unit_result = r;
                }
        }
}

static void on_unit_state_read(UnitStateQuery *q, int error, const char *active_state, const char *result,
                               void *userdata) {
        Job *j = userdata;

        j->state_query = unit_state_query_free(j->state_query);
        if (error >= 0)
                job_set_unit_state(j, active_state, result);
        job_check(j);
}

static int on_recheck_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        int r;

        j->recheck_timer = sd_event_source_disable_unref(j->recheck_timer);
        if (j->state_query)
                return 0;
        /* A PropertiesChanged may have been lost (or systemd restarted):
         * read the state afresh, without waiting for the answer here. */
        r = systemd_query_unit_state(j->manager, j->unit, on_unit_state_read, j, &j->state_query);
        if (r < 0)
                job_check(j);  /* arms the timer again */
        return 0;
}

void job_check(Job *j) {
        if (j->state != JOB_RUNNING && j->state != JOB_STOPPING)
                return;
        /* Our own shim tells us it is done by exiting; wait for that. A job
         * found at start-up waits for its first look at the scope. */
        if (j->shim_source || j->recovering)
                return;

        if (j->unit_active_state && !unit_active_state_is_running(j->unit_active_state)) {
                job_finish(j, j->unit_result);
                return;
        }
        /* The scope ends when its cgroup is empty, a moment after the shim:
         * systemd tells us, and the timer covers a lost signal. */
        if (!j->recheck_timer && !j->state_query)
                (void) sd_event_add_time_relative(j->manager->event, &j->recheck_timer, CLOCK_MONOTONIC,
                                                  RECHECK_USEC, 0, on_recheck_timer, j);
}

void job_on_unit_state(Job *j, const char *active_state, const char *result) {
        if (j->state == JOB_FINISHED && j->scope_outlives_job && active_state &&
            !unit_active_state_is_running(active_state)) {
                j->scope_outlives_job = false;
                /* job_outcome_final_at_exit() said PID 1 could not add
                 * anything. Should it still say oom-kill or timeout (it
                 * never should), its word wins, as it would have on the
                 * slow path; and a failed scope is cleared, as for every
                 * finished job. */
                if (strcmp(active_state, "failed") == 0) {
                        JobResult later = result && strcmp(result, "oom-kill") == 0 ? JOB_RESULT_OOM_KILL :
                                          result && strcmp(result, "timeout") == 0 ? JOB_RESULT_TIMEOUT :
                                          JOB_RESULT_NONE;
                        if (later != JOB_RESULT_NONE) {
                                log_warning("Scope %s of job %s ended %s after the job was finished as %s; "
                                            "it is %s now.", j->unit, j->id, result, job_result_to_string(j->result),
                                            result);
                                j->result = later;
                                (void) job_save(j);
                                (void) job_send_properties_changed(j);
                        }
                        (void) systemd_reset_failed_unit(j->manager, j->unit);
                }
                return;
        }
        /* While starting, the unit of that name may still be a failed one
         * left over (UnitExists, reset, retry): what it says is not ours. */
        if (j->state == JOB_STARTING || j->state == JOB_FINISHED)
                return;
        job_set_unit_state(j, active_state, result);
        job_check(j);
}

/* The shim has written its status file (it says so on the go socket, then
 * exits) or has exited: every process of the job is gone (they all lived
 * in init's PID namespace, and init was reaped first), and the record says
 * how the command ended. If the scope cannot add anything to that, the job
 * is over now; the shim's own exit and PID 1 tearing the scope down take
 * as long again, and nobody need wait for them. Returns true if the job
 * was finished here. */
static bool job_finish_on_status(Job *j) {
        _cleanup_free_ char *status_path = job_status_path(j);
        JobStatus status = JOB_STATUS_INIT;
        uint64_t oom_kills;
        bool final;

        if (j->state != JOB_RUNNING || j->paused || j->limits_slot || !status_path ||
            j->scope_requested_usec == 0)
                return false;
        if (job_status_read_file(status_path, &status) < 0)
                return false;
        /* Read after init was reaped: no process of the job is left to be
         * killed (an OOM kill of the exiting shim still shows in the scope's
         * result, job_on_unit_state()). */
        final = systemd_scope_oom_kills(j->owner, j->unit, &oom_kills) >= 0 &&
                job_outcome_final_at_exit(&status, oom_kills, j->stop_requested, j->limits.runtime_max_usec,
                                          now_usec(CLOCK_MONOTONIC) - j->scope_requested_usec);
        if (!final) {
                job_status_done(&status);
                return false;
        }
        j->scope_outlives_job = true;
        job_finish_with(j, status_path, &status, NULL);
        return true;
}

static int on_shim_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Job *j = userdata;

        j->shim_source = sd_event_source_disable_unref(j->shim_source);
        if (j->state == JOB_FINISHED)
                return 0;  /* on its status record (on_shim_sent_output()) */
        log_debug("Shim of job %s exited (code %d, status %d).", j->id, si->si_code, si->si_status);
        if (j->state == JOB_STARTING) {
                job_abort_start(j, "the job's supervisor exited before the scope was ready");
                return 0;
        }
        if (job_finish_on_status(j))
                return 0;
        job_check(j);
        return 0;
}

/* The shim sent output to the journal, or wrote its status file (then it
 * is about to exit); EOF once it has exited. */
static int on_shim_sent_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Job *j = userdata;
        char buf[64];
        ssize_t n;

        do
                n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n > 0) {
                if (memchr(buf, SHIM_BYTE_SENT, (size_t) n))
                        output_job_sent(j->manager, j->id);
                /* The job is over as its exit would tell: its processes
                 * are gone with init, and the record is written. Finishing
                 * closes this socket. */
                if (memchr(buf, SHIM_BYTE_STATUS, (size_t) n))
                        (void) job_finish_on_status(j);
                return 0;
        }
        if (n < 0 && errno == EAGAIN)
                return 0;
        j->go_source = sd_event_source_disable_unref(j->go_source);
        j->go_fd = (close(j->go_fd), -1);
        return 0;
}

static void job_release(Job *j) {
        ssize_t n;
        int r;

        j->start_timer = sd_event_source_disable_unref(j->start_timer);
        free(j->systemd_job);
        j->systemd_job = NULL;

        /* systemd said the scope is ready; the kernel must agree before the
         * command may run, or it would run outside its limits. */
        char slice[JOBWORKER_USER_SLICE_NAME_MAX];
        r = systemd_scope_holds_pid(user_slice_name(j->owner, slice), j->unit, j->shim_pid);
        if (r <= 0) {
                _cleanup_free_ char *msg = NULL;
                if (r < 0)
                        log_warning_errno(r, "Cannot read the cgroup of the shim of job %s: %m", j->id);
                if (asprintf(&msg, "the job's supervisor is not in the cgroup of %s%s%s", j->unit,
                             r < 0 ? ": " : "", r < 0 ? strerror(-r) : "") < 0)
                        msg = NULL;
                job_abort_start(j, msg ? msg : "the job's supervisor is not in its scope's cgroup");
                return;
        }

        /* The scope holds the shim now, and the shim moves init (forked
         * outside, nothing of the job run yet) into it before it releases
         * it: every process of the job is born inside the scope or moved
         * in before the command starts. */
        do
                n = write(j->go_fd, &(const char) { SHIM_BYTE_GO }, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1) {
                job_abort_start(j, "the job's supervisor went away before it was released");
                return;
        }
        /* Only a speed-up for followers: without it they learn of new
         * output from journald's notification, a little later. */
        r = sd_event_add_io(j->manager->event, &j->go_source, j->go_fd, EPOLLIN, on_shim_sent_output, j);
        if (r < 0) {
                log_debug_errno(r, "Cannot watch the go socket of job %s: %m", j->id);
                j->go_fd = (close(j->go_fd), -1);
        }
        if (j->run_uid != UID_UNSET)
                log_info("Job %s of uid %u started in %s as uid %u: %s", j->id, (unsigned) j->owner, j->unit,
                         (unsigned) j->run_uid, j->argv[0]);
        else
                log_info("Job %s started in %s as uid %u: %s", j->id, j->unit, (unsigned) j->owner, j->argv[0]);
        job_set_state(j, JOB_RUNNING);
        job_report_start(j, 0, NULL);
        job_apply_pending_stop(j);
}

void job_on_systemd_job_removed(Job *j, const char *result) {
        if (j->state != JOB_STARTING)
                return;
        free(j->systemd_job);
        j->systemd_job = NULL;
        j->start_timer = sd_event_source_disable_unref(j->start_timer);
        if (strcmp(result, "done") != 0) {
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "systemd could not start %s (job result: %s)", j->unit, result) < 0)
                        msg = NULL;
                job_abort_start(j, msg ? msg : "systemd could not start the scope");
                return;
        }
        job_release(j);
}

static int on_start_timer(sd_event_source *s, uint64_t usec, void *userdata);

static int job_arm_start_timer(Job *j) {
        j->start_timer = sd_event_source_disable_unref(j->start_timer);
        return sd_event_add_time_relative(j->manager->event, &j->start_timer, CLOCK_MONOTONIC, START_JOB_WAIT_USEC,
                                          0, on_start_timer, j);
}

/* JobRemoved did not come in time: what the scope is now decides. Active
 * (and holding the shim, which job_release() checks) means the start job
 * is done and its signal was lost. Not active yet (or PID 1 away): its
 * start job may still be queued, look again later, a few times. Failed, no
 * answer, or still not active at the last look: the start has failed. */
static void on_start_state_read(UnitStateQuery *q, int error, const char *active_state, const char *result,
                                void *userdata) {
        Job *j = userdata;

        j->state_query = unit_state_query_free(j->state_query);
        if (j->state != JOB_STARTING) {
                /* JobRemoved came after all, meanwhile. */
                job_check(j);
                return;
        }
        if (error >= 0 && active_state && strcmp(active_state, "active") == 0) {
                log_info("No end of the start job of %s heard, but the scope is active: releasing job %s.",
                         j->unit, j->id);
                job_release(j);
                return;
        }
        /* Not failed, or no answer while PID 1 is off the bus (reexecuting). */
        bool pending = error >= 0 ? active_state && strcmp(active_state, "failed") != 0
                                  : !j->manager->systemd_owner;
        if (pending && j->start_checks < START_CHECKS_MAX && job_arm_start_timer(j) >= 0) {
                log_info("Scope %s is %s, its start job has not ended: looking again in %llu s.", j->unit,
                         active_state ? active_state : "unknown",
                         (unsigned long long) (START_JOB_WAIT_USEC / USEC_PER_SEC));
                return;
        }
        _cleanup_free_ char *msg = NULL;
        if (error < 0) {
                if (asprintf(&msg, "systemd did not start %s in time, and its state cannot be read: %s", j->unit,
                             strerror(-error)) < 0)
                        msg = NULL;
        } else if (asprintf(&msg, "systemd did not start %s in time (unit state: %s)", j->unit,
                            active_state ? active_state : "unknown") < 0)
                msg = NULL;
        job_abort_start(j, msg ? msg : "systemd did not start the scope in time");
}

static int on_start_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;
        int r;

        j->start_timer = sd_event_source_disable_unref(j->start_timer);
        if (j->state != JOB_STARTING || j->state_query)
                return 0;
        j->start_checks++;
        log_warning("Start job of %s did not end within %llu s, asking for the scope's state.", j->unit,
                    (unsigned long long) (j->start_checks * START_JOB_WAIT_USEC / USEC_PER_SEC));
        r = systemd_query_unit_state(j->manager, j->unit, on_start_state_read, j, &j->state_query);
        if (r < 0)
                on_start_state_read(NULL, r, NULL, NULL, j);
        return 0;
}

static int start_transient_scope(Job *j);

static int on_start_transient_unit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Job *j = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        const char *path;
        int r;

        j->start_slot = sd_bus_slot_unref(j->start_slot);
        if (e) {
                /* A failed unit of the same name is left over: clear it and
                 * try once more, as crun does. */
                if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitExists") && !j->reset_failed_tried) {
                        j->reset_failed_tried = true;
                        (void) systemd_reset_failed_unit(j->manager, j->unit);
                        r = start_transient_scope(j);
                        if (r >= 0)
                                return 0;
                }
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "systemd refused to create %s: %s", j->unit, e->message ? e->message : e->name) < 0)
                        msg = NULL;
                job_abort_start(j, msg ? msg : "systemd refused to create the scope");
                return 0;
        }
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0) {
                job_abort_start(j, "unexpected reply from systemd");
                return 0;
        }
        j->systemd_job = strdup(path);
        if (!j->systemd_job) {
                job_abort_start(j, "out of memory");
                return 0;
        }
        /* Nothing else bounds the wait for JobRemoved. */
        r = job_arm_start_timer(j);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the start deadline of job %s: %m", j->id);
                job_abort_start(j, "cannot bound the wait for systemd");
        }
        return 0;
}

static int start_transient_scope(Job *j) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_free_ char *description = NULL;
        ScopeProperty props[SCOPE_PROPERTIES_MAX];
        size_t n_props;
        int r;

        /* Unit metadata is public (systemctl show): the job's id, nothing of
         * its command line or owner. */
        if (asprintf(&description, "jobworker job %s", j->id) < 0)
                return -ENOMEM;
        char slice[JOBWORKER_USER_SLICE_NAME_MAX];
        r = scope_properties_build(&j->limits, description, user_slice_name(j->owner, slice), j->shim_pid, props,
                                   ELEMENTSOF(props), &n_props);
        if (r < 0)
                return log_error_errno(r, "Failed to build scope properties for %s: %m", j->unit);

        r = sd_bus_message_new_method_call(j->manager->bus, &m, "org.freedesktop.systemd1",
                                           "/org/freedesktop/systemd1",
                                           "org.freedesktop.systemd1.Manager", "StartTransientUnit");
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "ss", j->unit, "fail");
        if (r < 0)
                return r;
        r = scope_properties_append(m, props, n_props);
        if (r < 0)
                return r;
        r = sd_bus_message_append(m, "a(sa(sv))", 0);
        if (r < 0)
                return r;
        /* The owner's slice is made by PID 1 on demand as the scope names
         * it; [UserSlice] goes to it first, on the same connection, so PID 1
         * has set it before the scope is in it. Only for the owner's first
         * running job (and on reload): while the user has jobs, an admin's
         * systemctl set-property on the slice holds. A failure is logged and
         * does not stop the job: jobworker.slice still caps. */
        if (!manager_owner_has_other_active_jobs(j->manager, j))
                (void) systemd_apply_user_slice(j->manager, j->owner);
        /* PID 1 starts the clock of RuntimeMaxSec later than this. */
        j->scope_requested_usec = now_usec(CLOCK_MONOTONIC);
        r = sd_bus_call_async(j->manager->bus, &j->start_slot, m, on_start_transient_unit_reply, j,
                              START_TIMEOUT_USEC);
        if (r < 0)
                return log_error_errno(r, "Failed to ask systemd for %s: %m", j->unit);
        return 0;
}

/* The job spec goes to the shim on a sealed memfd: on its command line
 * every local user would read it in ps and journald would copy it into
 * _CMDLINE of every output entry. argv holds only the public job id. */
static int shim_spec_memfd(Job *j, const gid_t *groups, int n_groups) {
        _cleanup_free_ char *status = job_status_path(j), *data = NULL;
        _cleanup_free_ char *terminal_socket = j->terminal != SHIM_TERMINAL_NONE ? job_terminal_socket_path(j) : NULL;
        _cleanup_free_ ShimBind *binds = NULL;
        size_t size;
        int r;

        if (!status || (j->terminal != SHIM_TERMINAL_NONE && !terminal_socket))
                return -ENOMEM;
        if (j->limits.n_binds > 0) {
                binds = calloc(j->limits.n_binds, sizeof(ShimBind));
                if (!binds)
                        return -ENOMEM;
                for (size_t i = 0; i < j->limits.n_binds; i++)
                        binds[i] = (ShimBind) { .source = j->limits.binds[i].source,
                                                .destination = j->limits.binds[i].destination,
                                                .read_only = j->limits.binds[i].read_only };
        }
        /* Bridged: the lease taken for it (network_job_attach()). */
        ShimNetwork network = {};
        const Network *n = j->network && j->address ? network_list_find(&j->manager->networks, j->network) : NULL;
        if (j->network && j->address) {
                if (!n || !j->host_interface)
                        return log_error_errno(ENOENT, "Network %s of job %s is not configured.", j->network, j->id);
                /* With the bridge's particulars: the shim makes it if need be. */
                r = network_shim_network(n, j->id, j->address, &network);
                if (r < 0)
                        return log_error_errno(r, "Address of job %s is not on network %s: %m", j->id, j->network);
        }
        const ShimSpec spec = {
                .id = j->id,
                .uid = job_run_uid(j),
                .gid = j->gid,
                .groups = groups,
                .n_groups = n_groups > 0 ? (size_t) n_groups : 0,
                .workdir = j->working_directory,
                .status_path = status,
                .output = SHIM_OUTPUT_JOURNAL,
                .user_runtime_directory = j->limits.user_runtime_directory,
                .root_directory = j->limits.root_directory,
                .host_system = j->limits.host_system,
                .private_tmp = j->limits.private_tmp,
                .binds = binds,
                .n_binds = j->limits.n_binds,
                .terminal = j->terminal,
                .terminal_socket = terminal_socket,
                .network = n ? &network : NULL,
                .env = j->environment,
                .command = j->argv,
        };
        r = shim_spec_encode(&spec, &data, &size);
        if (r < 0)
                return log_error_errno(r, "Failed to encode the spec of job %s: %m", j->id);
        r = memfd_new_sealed("jobworker-spec", data, size);
        if (r < 0)
                return log_error_errno(r, "Failed to pass the spec of job %s on a memfd: %m", j->id);
        return r;
}

static int spawn_shim(Job *j, const gid_t *groups, int n_groups) {
        _cleanup_close_pair_ int go[2] = { -1, -1 };
        _cleanup_close_ int devnull = -1, spec_fd = -1;
        char *argv[] = { j->manager->shim_path, j->id, NULL };
        char *empty_env[] = { NULL };

        spec_fd = shim_spec_memfd(j, groups, n_groups);
        if (spec_fd < 0)
                return spec_fd;
        /* A socket, not a pipe: the shim answers on it (on_shim_sent_output()). */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0)
                return log_error_errno(errno, "Failed to create the go socket: %m");
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0)
                return log_error_errno(errno, "Failed to open /dev/null: %m");

        /* posix_spawn(): the child shares our memory until it execs, so
         * none of our (possibly large) address space is copied for it, as
         * fork() would. Its sources sit above the fds they are dup'ed onto,
         * so one dup2() cannot close another's source; what is not dup'ed
         * is closed. The shim keeps our stderr (the journal) for its own
         * messages until it connects the job's output. */
        _cleanup_close_ int go_high = fcntl(go[0], F_DUPFD_CLOEXEC, SHIM_SPEC_FD + 1);
        _cleanup_close_ int spec_high = fcntl(spec_fd, F_DUPFD_CLOEXEC, SHIM_SPEC_FD + 1);
        if (go_high < 0 || spec_high < 0)
                return log_error_errno(errno, "Failed to duplicate the shim's fds: %m");
        /* The job's stdin: the caller's fd (StartJob's Stdin), which the
         * shim passes on to the command without reading it. */
        int in = j->stdin_fd >= 0 ? j->stdin_fd : devnull;
        posix_spawn_file_actions_t actions;
        posix_spawnattr_t attr;
        sigset_t forwarded, pipe_only;
        pid_t pid;
        int r;

        shim_forwarded_signals(&forwarded);
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        r = posix_spawn_file_actions_init(&actions);
        if (r != 0)
                return log_error_errno(r, "Failed to prepare the shim's fds: %m");
        r = posix_spawnattr_init(&attr);
        if (r != 0) {
                posix_spawn_file_actions_destroy(&actions);
                return log_error_errno(r, "Failed to prepare the shim's attributes: %m");
        }
        if ((r = posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO)) == 0 &&
            (r = posix_spawn_file_actions_adddup2(&actions, devnull, STDOUT_FILENO)) == 0 &&
            (r = posix_spawn_file_actions_adddup2(&actions, go_high, SHIM_GO_FD)) == 0 &&
            (r = posix_spawn_file_actions_adddup2(&actions, spec_high, SHIM_SPEC_FD)) == 0 &&
            (r = posix_spawn_file_actions_addclosefrom_np(&actions, SHIM_SPEC_FD + 1)) == 0 &&
            /* Our signals are blocked for sd-event, SIGPIPE ignored; the
             * shim's blocked ones are those it hands on to the job (a stop's
             * SIGTERM while it sets up waits, instead of ending it). */
            (r = posix_spawnattr_setsigmask(&attr, &forwarded)) == 0 &&
            (r = posix_spawnattr_setsigdefault(&attr, &pipe_only)) == 0 &&
            (r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0)
                r = posix_spawn(&pid, argv[0], &actions, &attr, argv, empty_env);
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (r != 0)
                return log_error_errno(r, "Failed to start the shim %s: %m", argv[0]);

        j->shim_pid = pid;
        j->go_fd = TAKE_FD(go[1]);
        /* The shim has it now; we never hold the caller's stdin longer. */
        if (j->stdin_fd >= 0) {
                close(j->stdin_fd);
                j->stdin_fd = -1;
        }
        r = sd_event_add_child(j->manager->event, &j->shim_source, pid, WEXITED, on_shim_exit, j);
        if (r < 0) {
                /* Not yet watched: nothing but this wait can reap it. It has
                 * done nothing but wait for its go byte, so it dies at once. */
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return log_error_errno(r, "Failed to watch the shim of job %s: %m", j->id);
        }
        return 0;
}

int job_start(Job *j, const gid_t *groups, int n_groups, job_started_t done, void *userdata,
              void (*userdata_free)(void *userdata)) {
        int r;

        assert(j);
        assert(done);

        j->state = JOB_STARTING;
        j->start_usec = now_usec(CLOCK_REALTIME);
        r = job_save(j);
        if (r < 0)
                return r;
        r = spawn_shim(j, groups, n_groups);
        if (r < 0) {
                job_forget_files(j);
                return r;
        }
        /* Again, now with the shim's pid: output readers believe only that
         * process, also those of a daemon restarted before the release. */
        (void) job_save(j);
        r = start_transient_scope(j);
        if (r < 0) {
                job_discard_shim(j);
                job_forget_files(j);
                return r;
        }
        j->start_done = done;
        j->start_userdata = userdata;
        j->start_userdata_free = userdata_free;
        return 0;
}

/* SIGKILL through both ways we have: PID 1's KillUnit, and the scope's
 * cgroup directly (cgroup.kill), which needs nobody's answer. */
static void job_kill_now(Job *j) {
        (void) systemd_kill_unit(j->manager, j->unit, SIGKILL);
        (void) systemd_kill_scope_cgroup(j->owner, j->unit);
}

static int on_kill_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Job *j = userdata;

        j->kill_timer = sd_event_source_disable_unref(j->kill_timer);
        if (j->state != JOB_STOPPING)
                return 0;
        log_info("Job %s did not stop in time, sending SIGKILL.", j->id);
        /* Killing the namespace's init takes every process of the job with it
         * in one step, however fast it forks; the cgroup makes sure of the rest. */
        job_kill_now(j);
        /* Until the job is over: it cannot stay "stopping" for good. */
        int r = sd_event_add_time_relative(j->manager->event, &j->kill_timer, CLOCK_MONOTONIC, KILL_RETRY_USEC,
                                           0, on_kill_timer, j);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the SIGKILL retry of job %s: %m", j->id);
        return 0;
}

int job_arm_kill_timer(Job *j) {
        uint64_t now = now_usec(CLOCK_REALTIME);
        uint64_t left = j->stop_deadline_usec > now ? j->stop_deadline_usec - now : 0;
        int r;

        j->kill_timer = sd_event_source_disable_unref(j->kill_timer);
        r = sd_event_add_time_relative(j->manager->event, &j->kill_timer, CLOCK_MONOTONIC, left, 0,
                                       on_kill_timer, j);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the SIGKILL timer of job %s: %m", j->id);
        return r;
}

void job_apply_pending_stop(Job *j) {
        if (j->state != JOB_RUNNING || !j->stop_requested)
                return;
        (void) job_stop(j, j->pending_stop_timeout_usec);
}

int job_stop(Job *j, uint64_t timeout_usec) {
        uint64_t now = now_usec(CLOCK_REALTIME);

        assert(j);
        if (j->state == JOB_FINISHED)
                return -EALREADY;
        if (timeout_usec == 0)
                timeout_usec = j->limits.stop_timeout_usec;

        if (j->state == JOB_STARTING) {
                /* Released and stopped at once when the scope is ready, with
                 * the shortest timeout asked for, counted from then. */
                if (!j->stop_requested || timeout_usec < j->pending_stop_timeout_usec)
                        j->pending_stop_timeout_usec = timeout_usec;
                j->stop_requested = true;
                (void) job_save(j);
                return 0;
        }
        if (j->state == JOB_STOPPING) {
                /* A second stop may only shorten the grace period; one after
                 * the deadline sends SIGKILL again, now. */
                uint64_t deadline = now + timeout_usec;
                if (deadline < j->stop_deadline_usec) {
                        j->stop_deadline_usec = deadline;
                        (void) job_save(j);
                }
                if (!j->kill_timer || j->stop_deadline_usec <= now || deadline == j->stop_deadline_usec)
                        (void) job_arm_kill_timer(j);
                return 0;
        }

        j->stop_requested = true;
        j->stop_deadline_usec = now + timeout_usec;
        log_info("Stopping job %s (SIGKILL in %llu ms).", j->id,
                 (unsigned long long) (timeout_usec / USEC_PER_MSEC));
        /* A frozen job keeps the SIGTERM pending and never acts on it: thaw
         * it first (PID 1 handles our calls in order), so it can stop
         * gracefully. A Pause still under way is undone when it ends. */
        if (j->paused || j->n_freezer_ops > 0)
                (void) systemd_freeze_unit(j->manager, j->unit, false, NULL, NULL, NULL);
        j->paused = false;
        job_set_state(j, JOB_STOPPING);
        /* Whatever becomes of the SIGTERM (KillUnit is answered later, and
         * may fail), the SIGKILL timer ends the job. */
        (void) systemd_kill_unit(j->manager, j->unit, SIGTERM);
        int r = job_arm_kill_timer(j);
        if (r < 0)
                return log_error_errno(r, "Failed to arm the SIGKILL timer of job %s: %m", j->id);
        return 0;
}

static void on_job_freezer_reply(int error, const char *message, void *userdata) {
        JobFreezerOp *op = userdata;
        Job *j = op->job;
        job_freezer_done_t done = op->done;
        void *done_userdata = op->userdata;
        bool freeze = op->freeze;

        /* Unlinking drops the slot, and the adapter's copy of message with
         * it: keep what the answer needs. */
        _cleanup_free_ char *reason = message ? strdup(message) : NULL;
        job_freezer_op_unlink(op);
        free(op);

        if (error >= 0) {
                if (j->state == JOB_RUNNING)
                        job_set_paused(j, freeze);
                else if (freeze && j->state == JOB_STOPPING) {
                        /* A stop came while the freeze was under way: it
                         * must not leave the job frozen and deaf to SIGTERM. */
                        (void) systemd_freeze_unit(j->manager, j->unit, false, NULL, NULL, NULL);
                        error = -ESRCH;
                } else if (j->state == JOB_FINISHED)
                        error = -ESRCH;
        }
        done(j, error, reason, done_userdata);
}

int job_pause(Job *j, bool pause, job_freezer_done_t done, void *userdata, void (*userdata_free)(void *userdata)) {
        _cleanup_free_ JobFreezerOp *op = NULL;
        int r;

        assert(j);
        assert(done);

        if (j->state == JOB_FINISHED)
                return -EALREADY;
        if (j->state != JOB_RUNNING)
                return -EBUSY;
        if (j->n_freezer_ops >= JOB_FREEZER_OPS_MAX)
                return -EUSERS;
        op = calloc(1, sizeof(*op));
        if (!op)
                return -ENOMEM;
        *op = (JobFreezerOp) {
                .job = j,
                .freeze = pause,
                .done = done,
                .userdata = userdata,
                .userdata_free = userdata_free,
        };
        r = systemd_freeze_unit(j->manager, j->unit, pause, on_job_freezer_reply, op, &op->slot);
        if (r < 0)
                return r;
        op->next = j->freezer_ops;
        j->freezer_ops = TAKE_PTR(op);
        j->n_freezer_ops++;
        return 0;
}

void job_on_freezer_state(Job *j, const char *freezer_state) {
        assert(j);
        /* Only the settled states; an admin's systemctl freeze/thaw of the
         * scope shows too. */
        if (j->state != JOB_RUNNING || !freezer_state)
                return;
        if (strcmp(freezer_state, "frozen") == 0)
                job_set_paused(j, true);
        else if (strcmp(freezer_state, "running") == 0)
                job_set_paused(j, false);
}
