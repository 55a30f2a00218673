/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager object: bus set-up, the org.jobworker1.Manager vtable and the
 * idle exit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include <systemd/sd-daemon.h>

#include "access.h"
#include "time-util.h"
#include "bus-names.h"
#include "caller-check.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "output.h"
#include "parse-util.h"
#include "systemd.h"

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

#define DEFAULT_IDLE_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define DEFAULT_MAX_JOBS_PER_USER 64

static int parse_idle_timeout(uint64_t *ret) {
        const char *e = getenv("JOBWORKERD_IDLE_TIMEOUT_SEC");
        char *end;

        if (!e || !*e) {
                *ret = DEFAULT_IDLE_TIMEOUT_USEC;
                return 0;
        }
        errno = 0;
        unsigned long long v = strtoull(e, &end, 10);
        if (errno != 0 || *end != '\0' || e[0] == '-' || v > UINT64_MAX / USEC_PER_SEC)
                return log_error_errno(EINVAL, "Invalid JOBWORKERD_IDLE_TIMEOUT_SEC=%s", e);
        *ret = v * USEC_PER_SEC;
        return 0;
}

static int parse_max_jobs_per_user(unsigned *ret) {
        const char *e = getenv("JOBWORKERD_MAX_JOBS_PER_USER");
        char *end;

        if (!e || !*e) {
                *ret = DEFAULT_MAX_JOBS_PER_USER;
                return 0;
        }
        errno = 0;
        unsigned long v = strtoul(e, &end, 10);
        if (errno != 0 || *end != '\0' || e[0] == '-' || v == 0 || v > 1000000)
                return log_error_errno(EINVAL, "Invalid JOBWORKERD_MAX_JOBS_PER_USER=%s (1..1000000)", e);
        *ret = (unsigned) v;
        return 0;
}

/* Every call from a client counts as activity, so the idle timer only fires
 * after a whole quiet period. Signals do not: as a subscriber of systemd we
 * hear about every unit on the host. Once exiting, StartJob is refused
 * before it does anything: the job would belong to a daemon that is about
 * to go, and the client's next call reaches the next instance. */
static int on_bus_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Manager *manager = userdata;

        if (sd_bus_message_is_method_call(m, NULL, NULL) <= 0)
                return 0;
        manager->last_activity_usec = now_usec(CLOCK_MONOTONIC);
        if (manager->exiting && sd_bus_message_is_method_call(m, JOBWORKER_MANAGER_INTERFACE, "StartJob") > 0) {
                log_info("Refusing StartJob from %s while exiting.", sd_bus_message_get_sender(m) ?: "?");
                (void) sd_bus_reply_method_errorf(m, JOBWORKER_ERROR_SHUTTING_DOWN,
                                                  "jobworkerd is exiting and started nothing; call again.");
                return 1;
        }
        return 0;
}

/* Anything a client still waits for, which an exit would drop: running
 * jobs (and starting ones, whose StartJob is unanswered), output readers
 * (their pipes end with us), questions to polkit (an authentication may take
 * a person minutes). */
static bool manager_busy(Manager *m) {
        return manager_active_jobs(m) > 0 || m->readers || access_n_pending(m->access) > 0;
}

/* Runs after every event while exiting: exit once the bus confirmed the
 * name is gone (everything sent to it before is read by then) and what was
 * queued is answered. */
static int on_exit_check(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        if (m->name_released && !manager_busy(m)) {
                log_debug("Name released and nothing in flight, exiting.");
                return sd_event_exit(m->event, 0);
        }
        return 0;
}

static int on_name_owner_changed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        log_debug("The bus confirmed " JOBWORKER_BUS_NAME " is released.");
        m->name_released = true;
        return 0;
}

/* If the bus cannot confirm, do not wait forever for it. */
static int on_exit_step_reply(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e) {
                log_warning("Releasing the bus name on idle exit failed: %s", e->message ? e->message : e->name);
                m->name_released = true;
        }
        return 0;
}

/* What systemd's bus_event_loop_with_idle() does: tell PID 1 we are going
 * (it then queues a new activation instead of handing it to us), ask to
 * hear when the name is gone, give it back, and keep answering what was
 * already sent to us until the bus confirms. */
static int manager_begin_exit(Manager *m) {
        _cleanup_free_ char *match = NULL;
        const char *unique;
        int r;

        m->exiting = true;
        (void) sd_event_source_set_enabled(m->idle_timer, SD_EVENT_OFF);
        (void) sd_notify(false, "STOPPING=1");

        r = sd_event_add_post(m->event, &m->exit_check, on_exit_check, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->exit_check, SD_EVENT_ON);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for the end of the idle exit: %m");

        r = sd_bus_get_unique_name(m->bus, &unique);
        if (r >= 0 && asprintf(&match, "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                               "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
                               "arg0='" JOBWORKER_BUS_NAME "',arg1='%s'", unique) < 0) {
                match = NULL;
                r = -ENOMEM;
        }
        if (r >= 0)
                r = sd_bus_add_match_async(m->bus, NULL, match, on_name_owner_changed, on_exit_step_reply, m);
        if (r >= 0)
                r = sd_bus_release_name_async(m->bus, NULL, JOBWORKER_BUS_NAME, on_exit_step_reply, m);
        if (r < 0) {
                log_warning_errno(r, "Failed to release the bus name asynchronously, exiting now: %m");
                m->name_released = true;
        }
        return 0;
}

static int on_idle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (!manager_busy(m) && now - m->last_activity_usec >= m->idle_timeout_usec) {
                log_info("Idle for %llu s with no running jobs, exiting.",
                         (unsigned long long) (m->idle_timeout_usec / USEC_PER_SEC));
                int r = manager_begin_exit(m);
                return r < 0 ? sd_event_exit(m->event, 0) : 0;
        }
        uint64_t next = m->last_activity_usec + m->idle_timeout_usec;
        if (next <= now)
                next = now + m->idle_timeout_usec;
        return sd_event_source_set_time(s, next);
}

Job *manager_find_job(Manager *m, const char *id) {
        for (size_t i = 0; i < m->n_jobs; i++)
                if (strcmp(m->jobs[i]->id, id) == 0)
                        return m->jobs[i];
        return NULL;
}

Job *manager_find_job_by_unit(Manager *m, const char *unit) {
        for (size_t i = 0; i < m->n_jobs; i++)
                if (strcmp(m->jobs[i]->unit, unit) == 0)
                        return m->jobs[i];
        return NULL;
}

Job *manager_find_job_by_systemd_job(Manager *m, const char *path) {
        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i]->systemd_job && strcmp(m->jobs[i]->systemd_job, path) == 0)
                        return m->jobs[i];
        return NULL;
}

int manager_add_job(Manager *m, Job *j) {
        if (m->n_jobs == m->n_jobs_allocated) {
                size_t n = m->n_jobs_allocated ? m->n_jobs_allocated * 2 : 16;
                Job **l = realloc(m->jobs, n * sizeof(Job *));
                if (!l)
                        return -ENOMEM;
                m->jobs = l;
                m->n_jobs_allocated = n;
        }
        m->jobs[m->n_jobs++] = j;
        return 0;
}

void manager_remove_job(Manager *m, Job *j) {
        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i] == j) {
                        m->jobs[i] = m->jobs[--m->n_jobs];
                        break;
                }
        job_free(j);
}

unsigned manager_active_jobs(Manager *m) {
        unsigned n = 0;
        for (size_t i = 0; i < m->n_jobs; i++)
                if (job_is_active(m->jobs[i]))
                        n++;
        return n;
}

void manager_check_jobs(Manager *m) {
        for (size_t i = 0; i < m->n_jobs; i++)
                job_check(m->jobs[i]);
}

/* A restarted daemon finds every job again from its records, and settles
 * those that ended, or were left half-started, while it was away. It asks
 * PID 1 about each scope without waiting: the answers come back through
 * the event loop, and clients are served meanwhile. */
static void on_recovered_unit_state(UnitStateQuery *q, int error, const char *active_state, const char *result,
                                    void *userdata) {
        Job *j = userdata;
        bool unit_running;

        j->state_query = unit_state_query_free(j->state_query);
        j->recovering = false;
        if (error < 0)
                unit_running = true;  /* unsure: keep it, job_check() asks again */
        else {
                unit_running = unit_active_state_is_running(active_state);
                free(j->unit_active_state);
                free(j->unit_result);
                j->unit_active_state = active_state ? strdup(active_state) : NULL;
                j->unit_result = result ? strdup(result) : NULL;
        }

        if (j->state == JOB_STARTING) {
                _cleanup_free_ char *status = job_status_path(j);
                struct stat st;
                /* The go byte may have been written just before we died: a
                 * live scope or a status file proves the command was released. */
                if (unit_running || (status && stat(status, &st) >= 0))
                        j->state = JOB_RUNNING;
                else {
                        j->state = JOB_FINISHED;
                        j->result = JOB_RESULT_START_FAILED;
                        free(j->status_text);
                        j->status_text = strdup("jobworkerd stopped while the job was starting");
                        (void) job_save(j);
                        (void) job_send_properties_changed(j);
                        return;
                }
                (void) job_save(j);
                (void) job_send_properties_changed(j);
                /* A Stop() that came while it was starting still holds. */
                job_apply_pending_stop(j);
        }
        log_info("Found job %s (%s), %s.", j->id, j->unit, unit_running ? "still running" : "ended meanwhile");
        job_check(j);
}

static void manager_recover_job(Manager *m, Job *j) {
        int r;

        if (!job_is_active(j))
                return;
        if (j->state == JOB_STOPPING)
                (void) job_arm_kill_timer(j);
        j->recovering = true;
        r = systemd_query_unit_state(m, j->unit, on_recovered_unit_state, j, &j->state_query);
        if (r < 0)
                on_recovered_unit_state(NULL, r, NULL, NULL, j);
}

static int manager_load_jobs(Manager *m) {
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (mkdir(RUNSTATEDIR, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", RUNSTATEDIR);
        if (mkdir(m->state_dir, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", m->state_dir);
        d = opendir(m->state_dir);
        if (!d)
                return log_error_errno(errno, "Failed to open %s: %m", m->state_dir);
        while ((de = readdir(d))) {
                char id[JOB_ID_LENGTH + 1];
                size_t len = strlen(de->d_name);
                Job *j;

                if (len != JOB_ID_LENGTH + 4 || strcmp(de->d_name + JOB_ID_LENGTH, ".job") != 0)
                        continue;
                memcpy(id, de->d_name, JOB_ID_LENGTH);
                id[JOB_ID_LENGTH] = '\0';
                if (!job_id_valid(id))
                        continue;
                if (job_load(m, id, &j) < 0)
                        continue;
                if (manager_add_job(m, j) < 0) {
                        job_free(j);
                        return -ENOMEM;
                }
        }
        /* Settle after loading all, so a job's signals find their peers. */
        for (size_t i = 0; i < m->n_jobs; i++)
                manager_recover_job(m, m->jobs[i]);
        return 0;
}

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(Manager));
        int r;

        if (!m)
                return -ENOMEM;
        r = parse_idle_timeout(&m->idle_timeout_usec);
        if (r < 0)
                return r;
        r = parse_max_jobs_per_user(&m->max_jobs_per_user);
        if (r < 0)
                return r;
        m->state_dir = strdup(RUNSTATEDIR "/jobs");
        m->shim_path = strdup(getenv("JOBWORKER_SHIM") ?: PKGLIBEXECDIR "/jobworker-shim");
        if (!m->state_dir || !m->shim_path)
                return -ENOMEM;

        /* sd-event reaps our shims; SIGCHLD must be blocked for that. A shim
         * that dies before reading its go byte must not kill us with SIGPIPE. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to allocate event loop: %m");
        (void) sd_event_set_watchdog(m->event, 1);
        r = sd_event_add_signal(m->event, NULL, SIGTERM | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGTERM: %m");
        r = sd_event_add_signal(m->event, NULL, SIGINT | SD_EVENT_SIGNAL_PROCMASK, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGINT: %m");

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        output_free_all(m);
        access_free(m->access);
        caller_check_free_all(m);
        sd_event_source_disable_unref(m->exit_check);
        while (m->n_jobs > 0)
                manager_remove_job(m, m->jobs[m->n_jobs - 1]);
        free(m->jobs);
        free(m->state_dir);
        free(m->shim_path);
        free(m->systemd_owner);
        sd_event_source_unref(m->idle_timer);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

int manager_startup(Manager *m) {
        int r;

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        r = access_new(m->bus, &m->access);
        if (r < 0)
                return log_error_errno(r, "Failed to set up access checks: %m");
        /* Filters run last added first: refuse StartJob while exiting before
         * anything else looks at it. */
        r = sd_bus_add_filter(m->bus, NULL, job_call_filter, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add bus filter: %m");
        r = sd_bus_add_filter(m->bus, NULL, on_bus_message, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add bus filter: %m");
        r = sd_bus_add_object_vtable(m->bus, NULL, JOBWORKER_MANAGER_PATH,
                                     JOBWORKER_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add manager object: %m");
        r = sd_bus_add_fallback_vtable(m->bus, NULL, JOBWORKER_JOB_PATH_PREFIX, JOBWORKER_JOB_INTERFACE,
                                       job_vtable, job_object_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add job objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, JOBWORKER_JOB_PATH_PREFIX, job_node_enumerator, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add job enumerator: %m");
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach bus to event loop: %m");

        r = systemd_subscribe(m);
        if (r < 0)
                return r;
        r = manager_load_jobs(m);
        if (r < 0)
                return r;

        /* Objects first, name last: a client activated us by calling a method,
         * and it must find the objects the moment the name appears. */
        r = sd_bus_request_name(m->bus, JOBWORKER_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire bus name " JOBWORKER_BUS_NAME ": %m");

        m->last_activity_usec = now_usec(CLOCK_MONOTONIC);
        if (m->idle_timeout_usec > 0) {
                r = sd_event_add_time(m->event, &m->idle_timer, CLOCK_MONOTONIC,
                                      m->last_activity_usec + m->idle_timeout_usec,
                                      USEC_PER_SEC / 10, on_idle_timer, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to arm idle timer: %m");
                r = sd_event_source_set_enabled(m->idle_timer, SD_EVENT_ON);
                if (r < 0)
                        return r;
        }
        return 0;
}

int manager_run(Manager *m) {
        int r;

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");

        return 0;
}
