/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.jobworker1.Manager: StartJob, ListJobs, GetJob. Each handler parses,
 * checks who is calling, does one thing, replies. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "access.h"
#include "bus-names.h"
#include "caller-check.h"
#include "caller-watch.h"
#include "job.h"
#include "job-policy.h"
#include "job-retention.h"
#include "job-spec.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "network.h"
#include "parse-util.h"

/* JobNew and JobRemoved go to the client that caused them, not to everyone:
 * a broadcast would tell every user of the host about other users' jobs. */
int bus_send_signal_to(sd_bus *bus, const char *destination, const char *member, const char *id,
                       const char *path) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        if (!destination)
                return 0;
        r = sd_bus_message_new_signal(bus, &m, JOBWORKER_MANAGER_PATH, JOBWORKER_MANAGER_INTERFACE, member);
        if (r >= 0)
                r = sd_bus_message_set_destination(m, destination);
        if (r >= 0)
                r = sd_bus_message_append(m, "so", id, path);
        if (r >= 0)
                r = sd_bus_send(bus, m, NULL);
        return r;
}

/* A StartJob call between its authorization and its job: waiting for the
 * lookup of the caller's user and the check, as the caller, of the paths
 * it names (caller-check.c). */
typedef struct PendingStart {
        Manager *manager;
        sd_bus_message *request;
        uid_t uid;
        UserRecord user;      /* once the check resolved it */
        JobSpec spec;         /* environment: as passed, until the user is known */
} PendingStart;

static void pending_start_free(void *userdata) {
        PendingStart *p = userdata;

        if (!p)
                return;
        sd_bus_message_unref(p->request);
        user_record_done(&p->user);
        job_spec_done(&p->spec);
        free(p);
}

static inline void pending_start_freep(PendingStart **p) {
        pending_start_free(*p);
}

/* [Ceilings] of jobworkerd.conf: what l asks above one needs
 * privileged-options (polkit, asked only then; root passes). For a new job
 * (old NULL) what l does not ask is then filled in from the [Jobs] Default*
 * keys, capped by the ceilings; for a change of a running job's limits from
 * old, only what changes is checked. The access_check() convention: 1 go
 * on, 0 the call is held (polkit asked, dispatched again from the start),
 * < 0 refused. */
int check_ceilings(Manager *m, sd_bus_message *message, JobLimits *l, const JobLimits *old, sd_bus_error *error) {
        _cleanup_free_ char *why = NULL;
        int r;

        r = old ? job_limits_check_ceilings_changed(old, l, &m->settings.ceilings, &why)
                : job_limits_check_ceilings(l, &m->settings.ceilings, &why);
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                r = access_check(m->access, message, ACTION_PRIVILEGED_OPTIONS, true, error);
                if (r == 0)
                        return 0;
                if (r < 0) {
                        sd_bus_error_free(error);
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED, "%s",
                                                 why ?: "A limit is above its ceiling.");
                }
        }
        if (!old)
                job_limits_fill_defaults(l, &m->settings);
        return 1;
}

/* Root is exempt; counted again when the job is made, since other starts
 * of the same user may have finished their checks meanwhile. */
static int check_active_jobs_of(Manager *m, uid_t uid, sd_bus_error *error) {
        unsigned n = 0;

        if (uid == 0)
                return 0;
        for (size_t i = 0; i < m->n_jobs; i++)
                if (m->jobs[i]->owner == uid && job_is_active(m->jobs[i]))
                        n++;
        if (n >= m->max_jobs_per_user)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "User %u already has %u running jobs, the most one user may have.",
                                         (unsigned) uid, n);
        return 0;
}

/* A name is unique among its owner's unfinished jobs: a start retried after
 * a lost reply finds the first and starts nothing. Checked again when the
 * job is made (nothing runs between that check and the job's entry in the
 * table), so of two starts with one name only one can win. */
static int check_name_free(Manager *m, uid_t uid, const char *name, sd_bus_error *error) {
        Job *j;

        if (!name)
                return 0;
        j = manager_find_job_by_name(m, uid, name, true);
        if (!j)
                return 0;
        return sd_bus_error_setf(error, JOBWORKER_ERROR_ALREADY_EXISTS,
                                 "Your job %s is named %s already and is %s.", j->id, name, job_state_shown(j));
}

/* /run and our memory are bounded in bytes, not only in jobs: the new
 * job's record must fit next to the active ones (finished ones make room,
 * retention forgets them). */
static int check_record_budget(Manager *m, const Job *j, sd_bus_error *error) {
        JobRetention limits;
        uint64_t cost = job_record_cost(j), used;
        int r;

        manager_retention_limits(m, &limits);
        r = job_budget_check(m->jobs, m->n_jobs, j->owner, cost, &limits, &used);
        if (r == -EDQUOT)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "The job's record would take %" PRIu64 " bytes; the running jobs of user %u "
                                         "hold %" PRIu64 " of the %" PRIu64 " bytes one user may have "
                                         "(command lines, environments, directories).",
                                         cost, (unsigned) j->owner, used, limits.per_user_bytes);
        if (r == -ENOSPC)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "The job's record would take %" PRIu64 " bytes; running jobs hold %" PRIu64
                                         " of the %" PRIu64 " bytes all users may have "
                                         "(command lines, environments, directories).",
                                         cost, used, limits.total_bytes);
        return r;
}

/* Why a path could not be checked, when the check itself did not finish. */
static const char *check_failure(int error) {
        return error == -ETIMEDOUT ? "no answer in time (a hung file system?)" :
               error == -ECHILD ? "the check was killed before it answered" : NULL;
}

void bus_request_unref(void *userdata) {
        sd_bus_message_unref(userdata);
}

/* The core tells us how the start ended: the caller hears of it, and of the
 * new job (JobNew goes to that caller only), once it runs. */
static void on_job_started(Job *j, int error, const char *reason, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *request = userdata;
        int r;

        assert(j);
        assert(request);

        if (error < 0)
                r = sd_bus_reply_method_errorf(request, JOBWORKER_ERROR_START_FAILED, "%s",
                                               reason ?: "The job failed to start.");
        else {
                (void) bus_send_signal_to(j->manager->bus, sd_bus_message_get_sender(request), "JobNew", j->id,
                                          j->object_path);
                r = sd_bus_reply_method_return(request, "so", j->id, j->object_path);
        }
        if (r < 0)
                log_warning_errno(r, "Failed to answer StartJob for %s: %m", j->id);
}

/* Why the caller's user cannot run a job, as the check found it. */
static int user_lookup_error(const CallerCheckResult *result, uid_t uid, sd_bus_error *error) {
        const char *why = check_failure(result->user_error);

        if (why)
                return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.Failed",
                                         "User %u could not be looked up: %s.", (unsigned) uid, why);
        switch (result->user_error) {
        case -E2BIG:
                return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.Failed",
                                         "User %s is in too many groups.", result->user.name ?: "?");
        case -ENAMETOOLONG:
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "User %u has a passwd entry whose name, home or shell is too long for a job.",
                                         (unsigned) uid);
        case -EBADMSG:
                return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.Failed",
                                         "User %u could not be looked up: the lookup gave a malformed answer.",
                                         (unsigned) uid);
        default:
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "User %u has no passwd entry; jobs run as a known user.", (unsigned) uid);
        }
}

/* Why the user or group a job was to run as (User, Group) cannot be used;
 * 0 for what user_lookup_error() says as for the caller. */
static int run_as_lookup_error(const CallerCheckResult *result, const JobSpec *spec, sd_bus_error *error) {
        if (result->user_error == -ENOENT && spec->user)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "User %s does not exist (no passwd entry).", spec->user);
        if (result->user_error == -ESRCH && spec->group)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "Group %s does not exist.", spec->group);
        return 0;
}

static int start_job_checked(PendingStart *p, CallerCheckResult *result, sd_bus_error *error) {
        _cleanup_strv_free_ char **env = NULL;
        Manager *m;
        const char *why;
        int r;

        assert(p);
        assert(result);
        m = p->manager;

        bool run_as = p->spec.user || p->spec.group;
        if (result->user_error < 0 && run_as) {
                r = run_as_lookup_error(result, &p->spec, error);
                if (r < 0)
                        return r;
        }
        if (result->user_error < 0)
                return user_lookup_error(result, p->uid, error);
        p->user = result->user;
        result->user = (UserRecord) {};

        JobSpecUser user = {
                .uid = p->user.uid,
                .name = p->user.name,
                .home = p->user.home,
                .shell = p->user.shell,
        };
        r = job_spec_build_environment(&user, p->spec.environment, &env, error);
        if (r < 0)
                return r;
        strv_free(p->spec.environment);
        p->spec.environment = TAKE_PTR(env);

        if (p->spec.limits.io_device) {
                why = check_failure(result->io_device_error);
                if (why)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "IODevice %s: %s, looked up as user %s.",
                                                 p->spec.limits.io_device, why, p->user.name);
                /* One answer whatever the reason: the caller learns nothing
                 * about paths they cannot reach. */
                if (result->io_device_error < 0)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "IODevice %s is not a block device, or a file or directory on one, that user %s can reach.",
                                                 p->spec.limits.io_device, p->user.name);
                if (asprintf(&p->spec.limits.io_device_node, "/dev/block/%u:%u",
                             major(result->io_device_number), minor(result->io_device_number)) < 0) {
                        p->spec.limits.io_device_node = NULL;
                        return -ENOMEM;
                }
        }

        if (p->spec.limits.root_directory && result->path_errors[0] < 0) {
                why = check_failure(result->path_errors[0]);
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_OPTION,
                                         "RootDirectory %s: %s (checked as user %s).",
                                         p->spec.limits.root_directory,
                                         why ? why : strerror(-result->path_errors[0]), p->user.name);
        }

        /* Bind sources: as the job's user found them. Missing ones marked
         * ignore-missing are dropped, from the last, so indices hold. */
        size_t first_bind = p->spec.limits.root_directory ? 1 : 0;
        for (size_t i = p->spec.limits.n_binds; i > 0; i--) {
                const JobBind *b = &p->spec.limits.binds[i - 1];
                int e = result->path_errors[first_bind + i - 1];
                if (e == -ENOENT && b->ignore_missing) {
                        job_limits_remove_bind(&p->spec.limits, i - 1);
                        continue;
                }
                if (e < 0) {
                        why = check_failure(e);
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_OPTION,
                                                 "%s source %s: %s (checked as user %s).",
                                                 b->read_only ? "BindReadOnlyPaths" : "BindPaths", b->source,
                                                 why ? why : strerror(-e), p->user.name);
                }
        }

        if (p->spec.limits.root_directory) {
                /* Inside the root, entered as the job's user after pivot_root;
                 * the host's home means nothing there. */
                if (!p->spec.working_directory) {
                        p->spec.working_directory = strdup("/");
                        if (!p->spec.working_directory)
                                return -ENOMEM;
                }
        } else if (p->spec.working_directory) {
                if (result->directory_error < 0) {
                        why = check_failure(result->directory_error);
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_OPTION,
                                                 "Working directory %s: %s (checked as user %s).",
                                                 p->spec.working_directory, why ? why : strerror(-result->directory_error),
                                                 p->user.name);
                }
        } else {
                /* No directory asked for: home, or / where home is not usable. */
                p->spec.working_directory = strdup(result->directory_error < 0 || !p->user.home[0] ? "/" : p->user.home);
                if (!p->spec.working_directory)
                        return -ENOMEM;
        }

        r = check_active_jobs_of(m, p->uid, error);
        if (r < 0)
                return r;
        r = check_name_free(m, p->uid, p->spec.name, error);
        if (r < 0)
                return r;

        char id[JOB_ID_LENGTH + 1];
        do {
                r = job_id_generate(id);
                if (r < 0)
                        return r;
        } while (manager_find_job(m, id));

        Job *j;
        r = job_new(m, id, &j);
        if (r < 0)
                return r;
        j->owner = p->uid;
        j->gid = p->user.gid;
        /* StopWhenCallerExits: the job ends with the connection that
         * started it (jobworkerctl run, an ssh session behind -H). */
        if (p->spec.stop_when_caller_exits && sd_bus_message_get_sender(p->request)) {
                j->stop_with_caller = strdup(sd_bus_message_get_sender(p->request));
                if (!j->stop_with_caller) {
                        job_free(j);
                        return -ENOMEM;
                }
        }
        job_spec_move_to_job(&p->spec, j);
        /* The owner stays the caller; the command runs as the user the
         * check resolved (a bare uid has no groups and no name of its own). */
        if (run_as) {
                j->run_uid = p->user.uid;
                if (p->user.n_groups > 0) {
                        j->run_user = strdup(p->user.name);
                        if (!j->run_user) {
                                job_free(j);
                                return -ENOMEM;
                        }
                }
        }
        r = check_record_budget(m, j, error);
        if (r < 0) {
                job_free(j);
                return r;
        }
        /* Its address (a lease), held from here until the job is over. */
        r = network_job_attach(m, j, &p->user, error);
        if (r < 0) {
                job_free(j);
                return r;
        }
        r = manager_add_job(m, j);
        if (r < 0) {
                network_job_release(j);
                job_free(j);
                return r;
        }
        r = job_start(j, p->user.groups, (int) p->user.n_groups, on_job_started, sd_bus_message_ref(p->request), bus_request_unref);
        if (r < 0) {
                sd_bus_message_unref(p->request);
                network_job_release(j);
                manager_remove_job(m, j);
                return sd_bus_error_setf(error, JOBWORKER_ERROR_START_FAILED,
                                         "Failed to start the job: %s", strerror(-r));
        }
        /* The caller may have gone while the start was being checked. */
        (void) caller_watch_job(j);
        /* Its record counts against the byte budgets: finished jobs of its
         * owner may have to make room. */
        manager_schedule_retention(m);
        return 0;
}

static void on_start_job_checked(CallerCheckResult *result, void *userdata) {
        PendingStart *p = userdata;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        assert(p);

        r = start_job_checked(p, result, &error);
        if (r >= 0)
                return;
        if (sd_bus_error_is_set(&error))
                r = sd_bus_reply_method_error(p->request, &error);
        else
                r = sd_bus_reply_method_errno(p->request, r, NULL);
        if (r < 0)
                log_debug_errno(r, "Failed to answer StartJob: %m");
}

static int method_start_job(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(job_spec_done) JobSpec spec = {};
        uid_t uid;
        int r;

        job_spec_init(&spec);
        /* Not asked for until an option says: DefaultStopTimeoutSec= then. */
        spec.limits.stop_timeout_usec = UINT64_MAX;

        r = job_spec_read(&spec, message, error);
        if (r < 0)
                return r;
        r = job_spec_validate(&spec, error);
        if (r < 0)
                return r;

        r = access_caller_uid(m->access, message, &uid);
        if (r < 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                        "Cannot determine the caller's user.");
        r = access_check(m->access, message, ACTION_START_JOB, true, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = check_ceilings(m, message, &spec.limits, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* Bridged networking: a network that exists, an address that may be
         * a job's there, and polkit's yes for org.jobworker1.network. */
        if (spec.network) {
                r = network_check_request(m, spec.network, spec.address, spec.address_prefix, error);
                if (r < 0)
                        return r;
                r = access_check(m->access, message, ACTION_NETWORK, true, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
        }
        /* Running as someone else gives the job more than its caller has. */
        if (spec.user || spec.group) {
                r = access_check(m->access, message, ACTION_PRIVILEGED_OPTIONS, true, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
        }
        r = check_active_jobs_of(m, uid, error);
        if (r < 0)
                return r;
        r = check_name_free(m, uid, spec.name, error);
        if (r < 0)
                return r;

        /* The caller's passwd entry and groups (NSS: LDAP, sssd, a slow
         * disk) and the paths the call names are looked up by a child the
         * event loop does not wait for: held until it answers. */
        _cleanup_(pending_start_freep) PendingStart *p = calloc(1, sizeof(PendingStart));
        if (!p)
                return -ENOMEM;
        *p = (PendingStart) {
                .manager = m,
                .request = sd_bus_message_ref(message),
                .uid = uid,
                .spec = spec,
        };
        job_spec_init(&spec);

        /* RootDirectory first, then every bind source: readable as the
         * user the job runs as (start_job_checked() relies on this order). */
        const char *paths[CALLER_CHECK_PATHS_MAX];
        bool directories[CALLER_CHECK_PATHS_MAX] = {};
        size_t n_paths = 0;
        if (p->spec.limits.root_directory) {
                directories[n_paths] = true;
                paths[n_paths++] = p->spec.limits.root_directory;
        }
        for (size_t i = 0; i < p->spec.limits.n_binds && n_paths < CALLER_CHECK_PATHS_MAX; i++)
                paths[n_paths++] = p->spec.limits.binds[i].source;
        CallerCheckSpec check = {
                .uid = uid,
                .user_name = p->spec.user,
                .group_name = p->spec.group,
                /* With a root, the working directory is inside it: entered
                 * by the shim as the job's user, after pivot_root. */
                .directory = p->spec.working_directory,
                .no_directory = p->spec.limits.root_directory != NULL,
                .io_device = p->spec.limits.io_device,
                .paths = paths,
                .path_is_directory = directories,
                .n_paths = n_paths,
        };
        r = caller_check_start(m, &check, on_start_job_checked, p, pending_start_free);
        if (r == -EUSERS)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "Too many path checks of user %u are pending (a hung file system?).",
                                         (unsigned) uid);
        if (r < 0)
                return r;
        TAKE_PTR(p);
        /* Answered once the check is done. */
        return 1;
}

static int method_list_jobs(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uid_t uid;
        int r;

        /* Listing one's own jobs reads nothing one could not read from
         * their objects: no polkit, unless they might see everyone's. */
        r = access_caller_uid(m->access, message, &uid);
        if (r < 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                        "Cannot determine the caller's user.");
        r = access_see_all(m->access, message);
        if (r == 0)
                return 1;
        bool see_all = r > 0;
        r = sd_bus_message_new_method_return(message, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(ssusssii)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_jobs; i++) {
                Job *j = m->jobs[i];
                if (!see_all && j->owner != uid)
                        continue;
                /* ExitCode and ExitSignal exactly as the job's properties
                 * give them: one encoding of how a job ended on the bus. */
                r = sd_bus_message_append(reply, "(ssusssii)", j->id, j->object_path, (uint32_t) j->owner,
                                          job_state_shown(j), job_result_to_string(j->result),
                                          j->unit, (int32_t) j->exit_code, (int32_t) j->exit_signal);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_job(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id;
        Job *j;
        int r;

        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = sd_bus_message_read(message, "s", &id);
        if (r < 0)
                return r;
        if (!job_id_valid(id)) {
                /* A name is the caller's own: it is looked up among their
                 * jobs only, so it tells nothing of anyone else's. */
                uid_t uid;

                if (!job_name_valid(id))
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "\"%s\" is not a job id (12 hex digits), nor a job name "
                                                 "(up to %u letters, digits, '_', '.', '-').",
                                                 id, JOB_NAME_LENGTH_MAX);
                r = access_caller_uid(m->access, message, &uid);
                if (r < 0)
                        return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                                "Cannot determine the caller's user.");
                j = manager_find_job_by_name(m, uid, id, false);
                if (!j)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_NO_SUCH_JOB, "No job %s.", id);
                return sd_bus_reply_method_return(message, "o", j->object_path);
        }
        /* Another user's job and no job at all take the same path and get
         * the same answer. */
        j = manager_find_job(m, id);
        r = access_see_job(m->access, message, j);
        if (r == 0)
                return 1;
        if (r == -ENOENT)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NO_SUCH_JOB, "No job %s.", id);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(message, "o", j->object_path);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply,
                                void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_default_stop_timeout(sd_bus *bus, const char *path, const char *interface,
                                             const char *property, sd_bus_message *reply,
                                             void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "t", m->settings.default_stop_timeout_usec);
}

/* systemctl reload jobworkerd (ExecReload=) lands here, and waits for the
 * answer: the new settings are in use once it returns, or the call fails
 * naming the file, line and key, and the old settings stay. Root only. */
static int method_reload(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *why = NULL;
        uid_t uid;
        int r;

        r = access_caller_uid(m->access, message, &uid);
        if (r < 0 || uid != 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                        "Only root may reload the configuration of jobworkerd.");
        r = manager_reload(m, &why);
        if (r == -ENOMEM && !why)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_CONFIGURATION,
                                         "%s; the configuration in use is unchanged.", why ?: strerror(-r));
        return sd_bus_reply_method_return(message, NULL);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("DefaultStopTimeoutUSec", "t", property_get_default_stop_timeout, 0,
                        SD_BUS_VTABLE_PROPERTY_EXPLICIT),
        SD_BUS_METHOD_WITH_ARGS("StartJob",
                                SD_BUS_ARGS("aay", argv, "aay", environment, "ay", working_directory,
                                            "a{sv}", options),
                                SD_BUS_RESULT("s", id, "o", job),
                                method_start_job, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListJobs", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(ssusssii)", jobs),
                                method_list_jobs, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetJob", SD_BUS_ARGS("s", id), SD_BUS_RESULT("o", job),
                                method_get_job, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("JobNew", SD_BUS_ARGS("s", id, "o", job), 0),
        SD_BUS_SIGNAL_WITH_ARGS("JobRemoved", SD_BUS_ARGS("s", id, "o", job), 0),
        SD_BUS_VTABLE_END
};
