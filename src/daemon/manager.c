/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager object: bus set-up, the org.jobworker1.Manager vtable and the
 * idle exit. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "time-util.h"
#include "bus-names.h"
#include "job.h"
#include "job-retention.h"
#include "job-table.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "output.h"
#include "polkit.h"
#include "parse-util.h"

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

#define DEFAULT_IDLE_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define DEFAULT_MAX_JOBS_PER_USER 64
#define DEFAULT_MAX_FINISHED_JOBS_PER_USER 100
#define DEFAULT_MAX_FINISHED_JOBS 1000
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
        r = parse_env_number("JOBWORKERD_MAX_JOBS_PER_USER", DEFAULT_MAX_JOBS_PER_USER, 1, 1000000, &v);
        if (r < 0)
                return r;
        m->max_jobs_per_user = (unsigned) v;
        r = parse_env_number("JOBWORKERD_MAX_FINISHED_JOBS_PER_USER", DEFAULT_MAX_FINISHED_JOBS_PER_USER, 1,
                             1000000, &v);
        if (r < 0)
                return r;
        m->max_finished_jobs_per_user = (size_t) v;
        r = parse_env_number("JOBWORKERD_MAX_FINISHED_JOBS", DEFAULT_MAX_FINISHED_JOBS, 1, 1000000, &v);
        if (r < 0)
                return r;
        m->max_finished_jobs = (size_t) v;
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
 * hear about every unit on the host. */
static int on_bus_message(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Manager *manager = userdata;
        if (sd_bus_message_is_method_call(m, NULL, NULL) > 0)
                manager->last_activity_usec = now_usec(CLOCK_MONOTONIC);
        return 0;
}

/* Gives the name back and answers what is already queued: anything that
 * arrives after this goes to the next activated instance. Must run before
 * the event loop exits, which closes the bus. */
static void manager_release_name(Manager *m) {
        int r = sd_bus_release_name(m->bus, JOBWORKER_BUS_NAME);
        if (r < 0)
                log_warning_errno(r, "Failed to release bus name: %m");
        while (sd_bus_process(m->bus, NULL) > 0)
                ;
}

static int on_idle_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        /* Attached output readers keep us too: their pipes end with us. */
        if (manager_active_jobs(m) == 0 && !m->readers &&
            now - m->last_activity_usec >= m->idle_timeout_usec) {
                log_info("Idle for %llu s with no running jobs, exiting.",
                         (unsigned long long) (m->idle_timeout_usec / USEC_PER_SEC));
                manager_release_name(m);
                return sd_event_exit(m->event, 0);
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

/* Forgets the oldest finished jobs beyond the caps: record, object, id.
 * Their output and finish record stay in the journal. Finished jobs also
 * let go of their environment, which is never shown and only needed to
 * start them. */
static void manager_apply_retention(Manager *m) {
        _cleanup_free_ Job **victims = NULL;
        size_t n_victims = 0;
        JobRetention limits = {
                .per_user = m->max_finished_jobs_per_user,
                .total = m->max_finished_jobs,
        };

        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i]->state == JOB_FINISHED && m->jobs[i]->environment) {
                        strv_free(m->jobs[i]->environment);
                        m->jobs[i]->environment = NULL;
                }
        if (job_retention_choose(m->jobs, m->n_jobs, &limits, &victims, &n_victims) < 0) {
                log_warning("Out of memory while forgetting old finished jobs; trying again later.");
                return;
        }
        for (size_t i = 0; i < n_victims; i++) {
                log_info("Forgetting finished job %s of uid %u (more than %zu finished jobs of that user or %zu in all).",
                         victims[i]->id, (unsigned) victims[i]->owner, limits.per_user, limits.total);
                job_forget_files(victims[i]);
                manager_remove_job(m, victims[i]);
        }
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

/* A restarted daemon finds every job again from its records, and settles
 * those that ended, or were left half-started, while it was away. */
static void manager_recover_job(Manager *m, Job *j) {
        _cleanup_free_ char *active = NULL, *result = NULL;
        bool unit_running;

        if (!job_is_active(j))
                return;
        if (systemd_unit_state(m, j->unit, &active, &result) < 0)
                unit_running = true; /* unsure: keep it, job_check() retries */
        else
                unit_running = STR_IN_SET(active, "active", "activating", "deactivating", "reloading");

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
                        return;
                }
        }
        log_info("Found job %s (%s), %s.", j->id, j->unit, unit_running ? "still running" : "ended meanwhile");
        if (j->state == JOB_STOPPING)
                (void) job_arm_kill_timer(j);
        job_check(j);
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

int manager_new(Manager **ret) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(Manager));
        int r;

        if (!m)
                return -ENOMEM;
        r = parse_limits(m);
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
        polkit_free_all(m);
        while (m->n_jobs > 0)
                manager_remove_job(m, m->jobs[m->n_jobs - 1]);
        free(m->jobs);
        free(m->state_dir);
        free(m->shim_path);
        sd_event_source_disable_unref(m->retention_event);
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
