/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager object: bus set-up, the org.jobworker1.Manager vtable and the
 * idle exit. */
#include <assert.h>
#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "access.h"
#include "time-util.h"
#include "bus-names.h"
#include "caller-check.h"
#include "job.h"
#include "job-recovery.h"
#include "caller-watch.h"
#include "job-retention.h"
#include "job-table.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "network.h"
#include "output.h"
#include "output-read.h"
#include "parse-util.h"
#include "veth-cleanup.h"
#include "systemd.h"

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

#define DEFAULT_IDLE_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define DEFAULT_MAX_FINISHED_JOBS 1000
/* Records cost about twice their strings in /run (job_record_cost()).
 * One job may take ~4 MiB (ARG_MAX of command line and environment), so a
 * user can still start a few of the largest; /run (a tmpfs of 10-20% of
 * RAM) keeps room for everyone else. */
#define DEFAULT_MAX_RECORD_BYTES_PER_USER (UINT64_C(16) * 1024 * 1024)
#define DEFAULT_MAX_RECORD_BYTES (UINT64_C(64) * 1024 * 1024)
#define MIN_RECORD_BYTES (UINT64_C(64) * 1024)
#define DEFAULT_MAX_OUTPUT_READERS_PER_USER 256
#define DEFAULT_MAX_OUTPUT_READERS 1024

/* A whole number from the environment (a drop-in's Environment=), between
 * min and max; unset or empty gives the default. Anything else (a sign,
 * blanks, a suffix, out of range) makes the daemon refuse to start rather
 * than run with a limit nobody asked for. */
static int parse_env_number(const char *name, uint64_t def, uint64_t min, uint64_t max, uint64_t *ret) {
        const char *e = getenv(name);
        uint64_t v;

        if (!e || !*e) {
                *ret = def;
                return 0;
        }
        if (parse_uint64(e, &v) < 0 || v < min || v > max)
                return log_error_errno(EINVAL, "Invalid %s=%s (a whole number, %" PRIu64 "..%" PRIu64 ")",
                                       name, e, min, max);
        *ret = v;
        return 0;
}

static int parse_limits(Manager *m) {
        uint64_t v;
        int r;

        r = parse_env_number("JOBWORKERD_IDLE_TIMEOUT_SEC", DEFAULT_IDLE_TIMEOUT_USEC / USEC_PER_SEC, 0,
                             UINT64_MAX / USEC_PER_SEC, &v);
        if (r < 0)
                return r;
        m->idle_timeout_usec = v * USEC_PER_SEC;
        /* These two are jobworkerd.conf's [Jobs] MaxRunningPerUser= and
         * MaxFinishedPerUser= now; set here, they override it. */
        r = parse_env_number("JOBWORKERD_MAX_JOBS_PER_USER", 0, 1, 1000000, &v);
        if (r < 0)
                return r;
        m->env_max_jobs_per_user = (unsigned) v;
        r = parse_env_number("JOBWORKERD_MAX_FINISHED_JOBS_PER_USER", 0, 1, 1000000, &v);
        if (r < 0)
                return r;
        m->env_max_finished_jobs_per_user = (unsigned) v;
        r = parse_env_number("JOBWORKERD_MAX_FINISHED_JOBS", DEFAULT_MAX_FINISHED_JOBS, 1, 1000000, &v);
        if (r < 0)
                return r;
        m->max_finished_jobs = (size_t) v;
        r = parse_env_number("JOBWORKERD_MAX_RECORD_BYTES_PER_USER", DEFAULT_MAX_RECORD_BYTES_PER_USER,
                             MIN_RECORD_BYTES, UINT64_MAX / 2, &m->max_record_bytes_per_user);
        if (r < 0)
                return r;
        r = parse_env_number("JOBWORKERD_MAX_RECORD_BYTES", DEFAULT_MAX_RECORD_BYTES, MIN_RECORD_BYTES,
                             UINT64_MAX / 2, &m->max_record_bytes);
        if (r < 0)
                return r;
        r = parse_env_number("JOBWORKERD_MAX_OUTPUT_READERS_PER_USER", DEFAULT_MAX_OUTPUT_READERS_PER_USER, 2,
                             1000000, &v);
        if (r < 0)
                return r;
        m->max_output_readers_per_user = (unsigned) v;
        r = parse_env_number("JOBWORKERD_MAX_OUTPUT_READERS", DEFAULT_MAX_OUTPUT_READERS, 2, 1000000, &v);
        if (r < 0)
                return r;
        m->max_output_readers = (unsigned) v;
        return 0;
}

/* Every call from a client counts as activity, so the idle timer only fires
 * after a whole quiet period. Signals do not: as a subscriber of systemd we
 * hear about every unit on the host. Once exiting, nothing that would
 * outlive the call is begun: StartJob (a job) and GetOutput (a reader) are
 * refused before they do anything, and so is any call that needs a new
 * question to polkit (access.c). They would keep a daemon that no longer
 * owns the name alive, and the client's next call reaches the next
 * instance. Everything else already sent to us is answered. */
/* interface.member, or member alone: D-Bus lets a call leave out its
 * interface, and sd-bus then finds the method by name. */
static bool is_call_to(sd_bus_message *m, const char *interface, const char *member) {
        const char *i = sd_bus_message_get_interface(m);
        return (!i || strcmp(i, interface) == 0) && sd_bus_message_is_method_call(m, NULL, member) > 0;
}

static int on_bus_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Manager *manager = userdata;

        if (sd_bus_message_is_method_call(m, NULL, NULL) <= 0)
                return 0;
        manager->last_activity_usec = now_usec(CLOCK_MONOTONIC);
        if (!manager->exiting)
                return 0;
        if (is_call_to(m, JOBWORKER_MANAGER_INTERFACE, "StartJob")) {
                log_info("Refusing StartJob from %s while exiting.", sd_bus_message_get_sender(m) ?: "?");
                (void) sd_bus_reply_method_errorf(m, JOBWORKER_ERROR_SHUTTING_DOWN,
                                                  "jobworkerd is exiting and started nothing; call again.");
                return 1;
        }
        /* Whatever the path: answered alike for every job id, so it tells
         * nothing about other users' jobs. */
        if (is_call_to(m, JOBWORKER_JOB_INTERFACE, "GetOutput")) {
                log_info("Refusing GetOutput from %s while exiting.", sd_bus_message_get_sender(m) ?: "?");
                (void) sd_bus_reply_method_errorf(m, JOBWORKER_ERROR_SHUTTING_DOWN,
                                                  "jobworkerd is exiting and opened nothing; call again.");
                return 1;
        }
        return 0;
}

/* Anything a client still waits for, which an exit would drop: running
 * jobs (and starting ones, whose StartJob is unanswered), output readers
 * (their pipes end with us), questions to polkit (an authentication may take
 * a person minutes), paths being checked as a caller (their StartJob is
 * unanswered). */
static bool manager_busy(Manager *m) {
        return manager_active_jobs(m) > 0 || output_any(m) || output_read_waiting(m) > 0 ||
               access_n_pending(m->access) > 0 ||
               caller_checks_pending(m) > 0;
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

/* Once the name is gone, new activations queue behind our STOPPING=1: what
 * was in flight gets this long to finish (nothing new is begun while
 * exiting), then we go regardless, as bus_event_loop_with_idle() does. */
#define EXIT_DEADLINE_USEC (5 * USEC_PER_SEC)

static int on_exit_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        log_warning("Still busy %llu s after giving the bus name back (%u active jobs, %s, %u polkit questions, "
                    "%u path checks), exiting anyway.",
                    (unsigned long long) (EXIT_DEADLINE_USEC / USEC_PER_SEC), manager_active_jobs(m),
                    output_any(m) ? "output readers" : "no output readers", access_n_pending(m->access),
                    caller_checks_pending(m));
        return sd_event_exit(m->event, 0);
}

static void manager_name_released(Manager *m) {
        int r;

        if (m->name_released)
                return;
        m->name_released = true;
        /* Floating: the event loop owns it, and it goes with the loop. */
        r = sd_event_add_time(m->event, NULL, CLOCK_MONOTONIC, now_usec(CLOCK_MONOTONIC) + EXIT_DEADLINE_USEC, 0,
                              on_exit_deadline, m);
        if (r < 0) {
                log_warning_errno(r, "Failed to arm the exit deadline, exiting now: %m");
                (void) sd_event_exit(m->event, 0);
        }
}

static int on_name_owner_changed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        /* Anyone may send us a unicast NameOwnerChanged; only the bus
         * driver's is news. */
        const char *sender = sd_bus_message_get_sender(message);
        if (!sender || strcmp(sender, "org.freedesktop.DBus") != 0)
                return 0;
        log_debug("The bus confirmed " JOBWORKER_BUS_NAME " is released.");
        manager_name_released(m);
        return 0;
}

/* If the bus cannot confirm, do not wait forever for it. */
static int on_exit_step_reply(sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e) {
                log_warning("Releasing the bus name on idle exit failed: %s", e->message ? e->message : e->name);
                manager_name_released(m);
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
        access_refuse_new_questions(m->access);
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
                manager_name_released(m);
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
        bool found;
        size_t i = job_table_search(m->jobs, m->n_jobs, id, &found);
        return found ? m->jobs[i] : NULL;
}

Job *manager_find_job_by_unit(Manager *m, const char *unit) {
        size_t prefix = strlen(JOBWORKER_UNIT_PREFIX), suffix = strlen(JOBWORKER_UNIT_SUFFIX);
        size_t n = strlen(unit);
        char id[JOB_ID_LENGTH + 1];

        /* Every job's unit is jobworker-<id>.scope: look the id up. */
        if (n != prefix + JOB_ID_LENGTH + suffix || strncmp(unit, JOBWORKER_UNIT_PREFIX, prefix) != 0 ||
            strcmp(unit + prefix + JOB_ID_LENGTH, JOBWORKER_UNIT_SUFFIX) != 0)
                return NULL;
        memcpy(id, unit + prefix, JOB_ID_LENGTH);
        id[JOB_ID_LENGTH] = '\0';
        return manager_find_job(m, id);
}

Job *manager_find_job_by_systemd_job(Manager *m, const char *path) {
        /* Only starting jobs have a start job; there are few of those. */
        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i]->systemd_job && strcmp(m->jobs[i]->systemd_job, path) == 0)
                        return m->jobs[i];
        return NULL;
}

Job *manager_find_job_by_name(Manager *m, uid_t owner, const char *name, bool unfinished_only) {
        Job *newest = NULL;

        assert(m);
        assert(name);
        /* A scan: names are looked up when a start is made and when a
         * client names a job, not per event. */
        for (size_t i = 0; i < m->n_jobs; i++) {
                Job *j = m->jobs[i];
                if (j->owner != owner || !j->name || strcmp(j->name, name) != 0)
                        continue;
                if (job_is_active(j))
                        return j;
                if (!unfinished_only && (!newest || j->start_usec > newest->start_usec))
                        newest = j;
        }
        return newest;
}

int manager_add_job(Manager *m, Job *j) {
        bool found;
        size_t i = job_table_search(m->jobs, m->n_jobs, j->id, &found);

        if (found)
                return -EEXIST;
        if (m->n_jobs == m->n_jobs_allocated) {
                size_t n = m->n_jobs_allocated ? m->n_jobs_allocated * 2 : 16;
                Job **l = realloc(m->jobs, n * sizeof(Job *));
                if (!l)
                        return -ENOMEM;
                m->jobs = l;
                m->n_jobs_allocated = n;
        }
        memmove(m->jobs + i + 1, m->jobs + i, (m->n_jobs - i) * sizeof(Job *));
        m->jobs[i] = j;
        m->n_jobs++;
        return 0;
}

void manager_remove_job(Manager *m, Job *j) {
        bool found;
        size_t i = job_table_search(m->jobs, m->n_jobs, j->id, &found);

        if (found && m->jobs[i] == j) {
                memmove(m->jobs + i, m->jobs + i + 1, (m->n_jobs - i - 1) * sizeof(Job *));
                m->n_jobs--;
        }
        job_free(j);
}

void manager_retention_limits(Manager *m, JobRetention *ret) {
        *ret = (JobRetention) {
                .per_user = m->max_finished_jobs_per_user,
                .total = m->max_finished_jobs,
                .per_user_bytes = m->max_record_bytes_per_user,
                .total_bytes = m->max_record_bytes,
                .forget_finished_before_usec = job_retention_cutoff(now_usec(CLOCK_REALTIME),
                                                                    m->settings.finished_retention_usec),
        };
}

static int on_retention_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        manager_schedule_retention(m);
        return 0;
}

/* FinishedRetentionSec=: wake up when the next finished job becomes too
 * old (a second late at most, so that jobs finishing together go together). */
static void manager_arm_retention_timer(Manager *m) {
        uint64_t next = job_retention_next_expiry(m->jobs, m->n_jobs, m->settings.finished_retention_usec);
        int r;

        if (next == UINT64_MAX) {
                (void) sd_event_source_set_enabled(m->retention_timer, SD_EVENT_OFF);
                return;
        }
        if (!m->retention_timer) {
                r = sd_event_add_time(m->event, &m->retention_timer, CLOCK_REALTIME, next, USEC_PER_SEC,
                                      on_retention_timer, m);
                if (r < 0) {
                        log_warning_errno(r, "Failed to arm the timer that forgets old finished jobs: %m");
                        return;
                }
        } else {
                r = sd_event_source_set_time(m->retention_timer, next);
                if (r < 0) {
                        log_warning_errno(r, "Failed to arm the timer that forgets old finished jobs: %m");
                        return;
                }
        }
        (void) sd_event_source_set_enabled(m->retention_timer, SD_EVENT_ONESHOT);
}

/* Forgets the oldest finished jobs beyond the caps (numbers and bytes):
 * record, object, id. Their output and finish record stay in the journal.
 * Finished jobs also let go of their environment, which is never shown and
 * only needed to start them, and of all but the first few KiB of their
 * command line (records of older versions kept it all). */
static void manager_apply_retention(Manager *m) {
        _cleanup_free_ Job **victims = NULL;
        size_t n_victims = 0;
        JobRetention limits;

        manager_retention_limits(m, &limits);
        for (size_t i = 0; i < m->n_jobs; i++) {
                Job *j = m->jobs[i];
                if (j->state != JOB_FINISHED)
                        continue;
                if (j->environment) {
                        strv_free(j->environment);
                        j->environment = NULL;
                }
                if (job_argv_shrink(j->argv, JOB_FINISHED_ARGV_BYTES_MAX))
                        (void) job_save(j);
        }
        if (job_retention_choose(m->jobs, m->n_jobs, &limits, &victims, &n_victims) < 0) {
                log_warning("Out of memory while forgetting old finished jobs; trying again later.");
                return;
        }
        for (size_t i = 0; i < n_victims; i++) {
                if (limits.forget_finished_before_usec > 0 &&
                    victims[i]->finish_usec <= limits.forget_finished_before_usec)
                        log_info("Forgetting finished job %s of uid %u (finished more than FinishedRetentionSec=%"
                                 PRIu64 "s ago).", victims[i]->id, (unsigned) victims[i]->owner,
                                 m->settings.finished_retention_usec / USEC_PER_SEC);
                else
                        log_info("Forgetting finished job %s of uid %u (more than %zu finished jobs or %" PRIu64
                                 " bytes of records of that user, or %zu jobs or %" PRIu64 " bytes in all).",
                                 victims[i]->id, (unsigned) victims[i]->owner, limits.per_user,
                                 limits.per_user_bytes, limits.total, limits.total_bytes);
                job_forget_files(victims[i]);
                manager_remove_job(m, victims[i]);
        }
        manager_arm_retention_timer(m);
}

static int on_retention_event(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        manager_apply_retention(m);
        return 0;
}

void manager_schedule_retention(Manager *m) {
        int r;

        if (!m->retention_event) {
                r = sd_event_add_defer(m->event, &m->retention_event, on_retention_event, m);
                if (r < 0) {
                        log_warning_errno(r, "Failed to schedule forgetting old jobs: %m");
                        return;
                }
        }
        r = sd_event_source_set_enabled(m->retention_event, SD_EVENT_ONESHOT);
        if (r < 0)
                log_warning_errno(r, "Failed to schedule forgetting old jobs: %m");
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
                /* The go byte may have been written just before we died. */
                if (job_recovery_decide(j->state, unit_running, status && stat(status, &st) >= 0) ==
                    JOB_RECOVERY_RELEASED)
                        j->state = JOB_RUNNING;
                else {
                        /* Through the finish path like any job: followers
                         * see the end marker, retention counts it. */
                        log_info("Found job %s (%s) half-started, finishing it as start-failed.", j->id, j->unit);
                        job_finish_unstarted(j, "jobworkerd stopped while the job was starting");
                        return;
                }
                (void) job_save(j);
                (void) job_send_properties_changed(j);
                /* A Stop() that came while it was starting still holds. */
                job_apply_pending_stop(j);
        }
        /* Paused before we went: the cgroup remembers. */
        if (unit_running && j->state == JOB_RUNNING) {
                int r = systemd_scope_frozen(j->owner, j->unit);
                if (r < 0)
                        log_warning_errno(r, "Cannot read whether job %s is paused: %m", j->id);
                j->paused = r > 0;
        }
        log_info("Found job %s (%s), %s.", j->id, j->unit,
                 !unit_running ? "ended meanwhile" : j->paused ? "paused" : "still running");
        /* A job that ends with its client: is the client still there? */
        if (unit_running)
                (void) caller_watch_job(j);
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

/* The state directory holds every job's command line, environment and
 * working directory: root's alone, whatever mode it was left with. Returns
 * an fd of the directory. */
static int make_private_directory(const char *path) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", path);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", path);
        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "Failed to stat %s: %m", path);
        if ((st.st_uid != 0 || st.st_gid != 0) && fchown(fd, 0, 0) < 0)
                return log_error_errno(errno, "Failed to give %s to root: %m", path);
        if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
                return log_error_errno(errno, "Failed to make %s private: %m", path);
        return TAKE_FD(fd);
}

/* Files there are 0600: a looser one (an older version, an admin's copy)
 * is tightened before anything is read from it. */
static void make_private_file(int dir_fd, const char *name) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return;
        if (((st.st_mode & 07777) != 0600 || st.st_uid != 0) &&
            (fchown(fd, 0, 0) < 0 || fchmod(fd, 0600) < 0))
                log_warning_errno(errno, "Failed to make %s/%s private: %m", RUNSTATEDIR "/jobs", name);
}

static int manager_load_job(Manager *m, const char *id, Job **ret) {
        _cleanup_(job_freep) Job *j = NULL;
        int r = job_new(m, id, &j);
        if (r < 0)
                return r;
        r = job_record_read(j);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(j);
        return 0;
}

static int manager_load_jobs(Manager *m) {
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_close_ int top_fd = -1;
        struct dirent *de;
        int fd;

        top_fd = make_private_directory(RUNSTATEDIR);
        if (top_fd < 0)
                return top_fd;
        fd = make_private_directory(m->state_dir);
        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return log_error_errno(errno, "Failed to open %s: %m", m->state_dir);
        }
        while ((de = readdir(d))) {
                char id[JOB_ID_LENGTH + 1];
                size_t len = strlen(de->d_name);
                Job *j;

                if (de->d_name[0] == '.')
                        continue;
                make_private_file(dirfd(d), de->d_name);
                if (len != JOB_ID_LENGTH + 4 || strcmp(de->d_name + JOB_ID_LENGTH, ".job") != 0)
                        continue;
                memcpy(id, de->d_name, JOB_ID_LENGTH);
                id[JOB_ID_LENGTH] = '\0';
                if (!job_id_valid(id))
                        continue;
                if (manager_load_job(m, id, &j) < 0)
                        continue;
                int r = manager_add_job(m, j);
                if (r < 0) {
                        job_free(j);
                        return r;
                }
        }
        /* Caps lowered since the records were written apply now. */
        manager_apply_retention(m);
        /* Settle after loading all, so a job's signals find their peers. */
        for (size_t i = 0; i < m->n_jobs; i++)
                manager_recover_job(m, m->jobs[i]);
        return 0;
}

void manager_apply_settings(Manager *m) {
        m->max_jobs_per_user = m->env_max_jobs_per_user ?: m->settings.max_running_per_user;
        m->max_finished_jobs_per_user = m->env_max_finished_jobs_per_user ?: m->settings.max_finished_per_user;
}

/* Group= of a network: a gid as it is, a name looked up now (an admin's
 * reload, not a client's call; local groups in practice). Unknown: the
 * network is for root alone, and says so when refused. */
static void networks_resolve_groups(NetworkList *l) {
        for (size_t i = 0; i < l->n_networks; i++) {
                Network *n = &l->networks[i];
                uint32_t id;
                char buf[4096];
                struct group g, *result = NULL;

                if (!n->group)
                        continue;
                if (parse_user_or_id(n->group, &id) == 1) {
                        n->gid = id;
                        continue;
                }
                if (getgrnam_r(n->group, &g, buf, sizeof buf, &result) == 0 && result)
                        n->gid = result->gr_gid;
                else
                        log_warning("Network %s: Group=%s does not exist; only root may use the network.",
                                    n->name, n->group);
        }
}

static int manager_load_settings(Manager *m, char **ret_message) {
        static const char *const dirs[] = CONFIG_DIRS_DEFAULT;
        _cleanup_(config_error_done) ConfigError error = {};
        Settings s;
        int r;

        settings_init(&s);
        r = config_load(dirs, &s, &error);
        if (r < 0) {
                /* Like systemd: "FILE:LINE: message", the key in the message. */
                log_error("%s:%u: %s%s%s Configuration not loaded; keeping the settings in use.",
                          error.file ?: "jobworkerd.conf", error.line, error.key ?: "", error.key ? ": " : "",
                          error.message ?: strerror(-r));
                if (ret_message && asprintf(ret_message, "%s:%u: %s%s%s", error.file ?: "jobworkerd.conf",
                                            error.line, error.key ?: "", error.key ? ": " : "",
                                            error.message ?: strerror(-r)) < 0)
                        *ret_message = NULL;
                settings_done(&s);
                return r;
        }
        /* The networks too: a bad [Network] section refuses the whole file. */
        NetworkList networks = {};
        r = network_list_build(&s, &networks, &error);
        if (r < 0) {
                log_error("%s:%u: %s Configuration not loaded; keeping the settings in use.",
                          error.file ?: "jobworkerd.conf", error.line, error.message ?: strerror(-r));
                if (ret_message && asprintf(ret_message, "%s:%u: %s", error.file ?: "jobworkerd.conf", error.line,
                                            error.message ?: strerror(-r)) < 0)
                        *ret_message = NULL;
                settings_done(&s);
                return r;
        }
        networks_resolve_groups(&networks);
        network_list_move(&m->networks, &networks);

        size_t n = 0;
        for (char **f = s.files; f && *f; f++, n++)
                log_info("Configuration file %s read.", *f);
        if (n == 0)
                log_debug("No configuration file, using built-in settings.");
        settings_move(&m->settings, &s);
        manager_apply_settings(m);
        return 0;
}

bool manager_owner_has_other_active_jobs(Manager *m, const Job *j) {
        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i] != j && m->jobs[i]->owner == j->owner && job_is_active(m->jobs[i]))
                        return true;
        return false;
}

void manager_apply_user_slices(Manager *m) {
        for (size_t i = 0; i < m->n_jobs; i++) {
                bool seen = false;
                if (!job_is_active(m->jobs[i]))
                        continue;
                for (size_t k = 0; k < i && !seen; k++)
                        seen = job_is_active(m->jobs[k]) && m->jobs[k]->owner == m->jobs[i]->owner;
                if (!seen)
                        (void) systemd_apply_user_slice(m, m->jobs[i]->owner);
        }
}

int manager_reload(Manager *m, char **ret_message) {
        int r;

        assert(m);
        log_info("Reloading configuration.");
        r = manager_load_settings(m, ret_message);
        if (r < 0)
                return r;
        /* New caps and retention apply to what is kept now; running jobs
         * keep their limits; user slices get the new [UserSlice]. */
        manager_schedule_retention(m);
        manager_apply_user_slices(m);
        return 0;
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        (void) manager_reload(userdata, NULL);
        return 0;
}

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(Manager));
        int r;

        if (!m)
                return -ENOMEM;
        settings_init(&m->settings);
        r = parse_limits(m);
        if (r < 0)
                return r;
        /* A bad file leaves the built-in settings (logged); never half. */
        (void) manager_load_settings(m, NULL);
        manager_apply_settings(m);
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
        r = sd_event_add_signal(m->event, NULL, SIGHUP | SD_EVENT_SIGNAL_PROCMASK, on_sighup, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch SIGHUP: %m");
        r = output_readers_new(m, &m->output);
        if (r < 0)
                return r;
        r = output_read_calls_new(m, &m->output_read);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        output_readers_free(m->output);
        /* Before the bus goes: waiting ReadOutput calls get their answer. */
        output_read_calls_free(m->output_read);
        access_free(m->access);
        caller_check_free_all(m);
        veth_cleanup_free_all(m);
        sd_event_source_disable_unref(m->exit_check);
        while (m->n_jobs > 0)
                manager_remove_job(m, m->jobs[m->n_jobs - 1]);
        free(m->jobs);
        free(m->state_dir);
        free(m->shim_path);
        free(m->systemd_owner);
        sd_event_source_disable_unref(m->retention_event);
        sd_event_source_disable_unref(m->retention_timer);
        settings_done(&m->settings);
        network_list_done(&m->networks);
        sd_event_source_unref(m->idle_timer);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

/* How long start-up waits for PID 1 to tell how the jobs found in the
 * records are doing. */
#define RECOVERY_WAIT_USEC (20 * USEC_PER_SEC)

/* The recovery asks PID 1 without blocking; until the answers are in, a
 * job that ended while we were away would still look running. So the
 * event loop runs them in before the name is requested: no client can
 * reach us yet (the one that activated us waits for the name), and none
 * ever sees a job's fate half read. */
static int manager_wait_recovered(Manager *m) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + RECOVERY_WAIT_USEC;

        for (;;) {
                size_t n = 0;
                for (size_t i = 0; i < m->n_jobs; i++)
                        n += m->jobs[i]->recovering;
                if (n == 0)
                        return 0;
                uint64_t now = now_usec(CLOCK_MONOTONIC);
                if (now >= deadline || sd_event_get_state(m->event) == SD_EVENT_FINISHED) {
                        log_warning("systemd has not told how %zu job(s) are doing; going on, they are asked again.", n);
                        return 0;
                }
                int r = sd_event_run(m->event, deadline - now);
                if (r < 0)
                        return log_error_errno(r, "Event loop failed while recovering jobs: %m");
        }
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
        /* Added last, so it runs first: every other filter and handler finds
         * the caller's uid known. */
        r = access_attach(m->access);
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
        r = caller_watch_subscribe(m);
        if (r < 0)
                return r;
        r = manager_load_jobs(m);
        if (r < 0)
                return r;
        r = manager_wait_recovered(m);
        if (r < 0)
                return r;
        /* Leases of jobs that ended while we were away, and were not among
         * those just recovered (their record is gone). */
        network_recover_leases(m);

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
