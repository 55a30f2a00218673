/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.jobworker1.Job: one object per job under /org/jobworker1/job. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "access.h"
#include "bus-names.h"
#include "job.h"
#include "job-spec.h"
#include "job-wait.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "net-address.h"
#include "output.h"
#include "output-read.h"
#include "parse-util.h"
#include "scope-properties.h"

/* Another user's job must look exactly like a job that does not exist, so
 * whoever may not see it gets what sd-bus answers for an unknown path. */
static int set_unknown_object(sd_bus_message *message, sd_bus_error *error) {
        return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.UnknownObject", "Unknown object '%s'.",
                                 sd_bus_message_get_path(message));
}

static bool is_introspect(sd_bus_message *message) {
        const char *interface = sd_bus_message_get_interface(message);
        return (!interface || strcmp(interface, "org.freedesktop.DBus.Introspectable") == 0) &&
               sd_bus_message_is_method_call(message, NULL, "Introspect") > 0;
}

/* sd-bus answers property reads, introspection and Peer calls itself, from
 * job_object_find() and job_node_enumerator(), which cannot wait. So every
 * call to a job path, whatever its interface, stops here first while
 * access.c decides (maybe asking polkit) whether its caller sees the job;
 * held calls are dispatched again once polkit answered. A path with a valid
 * id is treated the same whether the job exists or not. */
int job_call_filter(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *prefix = JOBWORKER_JOB_PATH_PREFIX "/";
        const char *path;
        int r;

        if (sd_bus_message_is_method_call(message, NULL, NULL) <= 0)
                return 0;
        path = sd_bus_message_get_path(message);
        if (!path)
                return 0;
        if (strcmp(path, JOBWORKER_JOB_PATH_PREFIX) == 0) {
                /* Lists the jobs: whose, decided now for the enumerator. */
                if (!is_introspect(message))
                        return 0;
                r = access_see_all(m->access, message);
                return r == 0;
        }
        if (strncmp(path, prefix, strlen(prefix)) != 0 || !job_id_valid(path + strlen(prefix)))
                return 0;
        r = access_see_job(m->access, message, manager_find_job(m, path + strlen(prefix)));
        return r == 0;
}

/* Only jobs the current caller may see exist for sd-bus. Lookups outside a
 * call to this very path (emitting a signal of ours) find every job. */
int job_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                    void **found, sd_bus_error *error) {
        Manager *m = userdata;
        const char *prefix = JOBWORKER_JOB_PATH_PREFIX "/";
        const char *id = path + strlen(prefix);

        if (strncmp(path, prefix, strlen(prefix)) != 0 || !job_id_valid(id))
                return 0;
        Job *j = manager_find_job(m, id);
        if (!j)
                return 0;

        sd_bus_message *call = sd_bus_get_current_message(bus);
        if (call && sd_bus_message_is_method_call(call, NULL, NULL) > 0 && sd_bus_message_get_path(call) &&
            strcmp(sd_bus_message_get_path(call), path) == 0 && !access_job_visible(m->access, call, j))
                return 0;
        *found = j;
        return 1;
}

/* Introspection lists only the jobs the caller may see: their own, or all
 * for root and admins (decided by job_call_filter() before). */
int job_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                        sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **l = calloc(m->n_jobs + 1, sizeof(char *));
        sd_bus_message *call = sd_bus_get_current_message(bus);
        uid_t uid = 0;
        size_t n = 0;

        if (!l)
                return -ENOMEM;
        if (call && access_caller_uid(m->access, call, &uid) < 0) {
                *nodes = TAKE_PTR(l);
                return 0;
        }
        bool see_all = !call || access_sees_all(m->access, call);
        for (size_t i = 0; i < m->n_jobs; i++) {
                if (!see_all && m->jobs[i]->owner != uid)
                        continue;
                l[n] = strdup(m->jobs[i]->object_path);
                if (!l[n++])
                        return -ENOMEM;
        }
        *nodes = TAKE_PTR(l);
        return 0;
}

/* For the Job methods: 1 when the caller may act on j; otherwise as the
 * handler returns (1 while polkit is asked, < 0 with error set). */
static int authorize(sd_bus_message *message, Job *j, sd_bus_error *error) {
        int r = access_manage_job(j->manager->access, message, j, error);
        if (r == -ENOENT)
                return set_unknown_object(message, error);
        return r;
}

static int property_get_id(sd_bus *bus, const char *path, const char *interface, const char *property,
                           sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", j->id);
}

static int property_get_slice(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        char slice[JOBWORKER_USER_SLICE_NAME_MAX];
        return sd_bus_message_append(reply, "s", user_slice_name(j->owner, slice));
}

static int property_get_command(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "ay");
        if (r < 0)
                return r;
        for (char **a = j->argv; *a; a++) {
                r = sd_bus_message_append_array(reply, 'y', *a, strlen(*a));
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_working_directory(sd_bus *bus, const char *path, const char *interface,
                                          const char *property, sd_bus_message *reply, void *userdata,
                                          sd_bus_error *error) {
        Job *j = userdata;
        const char *d = j->working_directory ? j->working_directory : "";
        return sd_bus_message_append_array(reply, 'y', d, strlen(d));
}

static int property_get_name(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", j->name ?: "");
}

/* Bridged networking: Network ("none" for loopback only), Address
 * ("A.B.C.D/PREFIX", "" without), HostInterface (the veth's host end). */
static int property_get_network(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        char a[NET_PREFIX_STRING_MAX] = "";

        if (strcmp(property, "Network") == 0)
                return sd_bus_message_append(reply, "s", j->network ?: "none");
        if (strcmp(property, "HostInterface") == 0)
                return sd_bus_message_append(reply, "s", j->network && j->address ? j->host_interface ?: "" : "");
        if (j->address) {
                NetSubnet s = { .network = j->address, .prefix = j->address_prefix };
                net_subnet_format(&s, a);
        }
        return sd_bus_message_append(reply, "s", a);
}

static int property_get_run_as(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "u", (uint32_t) job_run_uid(j));
}

static int property_get_run_as_user(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", j->run_user ?: "");
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", job_state_shown(j));
}

static int property_get_result(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", job_result_to_string(j->result));
}

static int property_get_status_text(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", j->status_text ? j->status_text : "");
}

static int property_get_user_runtime_directory(sd_bus *bus, const char *path, const char *interface,
                                               const char *property, sd_bus_message *reply, void *userdata,
                                               sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "b", (int) j->limits.user_runtime_directory);
}

static int property_get_root_directory(sd_bus *bus, const char *path, const char *interface,
                                       const char *property, sd_bus_message *reply, void *userdata,
                                       sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", j->limits.root_directory ?: "");
}

static int property_get_bool(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        bool b = strcmp(property, "HostSystem") == 0 ? j->limits.host_system : j->limits.private_tmp;
        return sd_bus_message_append(reply, "b", (int) b);
}

/* As systemd shows them: (source, destination, ignore-missing, flags). */
static int property_get_binds(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        bool read_only = strcmp(property, "BindReadOnlyPaths") == 0;
        int r;

        r = sd_bus_message_open_container(reply, 'a', "(ssbt)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < j->limits.n_binds; i++) {
                const JobBind *b = &j->limits.binds[i];
                if (b->read_only != read_only)
                        continue;
                r = sd_bus_message_append(reply, "(ssbt)", b->source, b->destination, (int) b->ignore_missing,
                                          JOB_BIND_FLAG_RECURSIVE);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int property_get_io_device(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        return sd_bus_message_append(reply, "s", j->limits.io_device ? j->limits.io_device : "/");
}

static int property_get_allowed_cpus(sd_bus *bus, const char *path, const char *interface,
                                     const char *property, sd_bus_message *reply, void *userdata,
                                     sd_bus_error *error) {
        Job *j = userdata;
        _cleanup_free_ char *s = NULL;

        if (j->limits.allowed_cpus) {
                int r = cpu_list_format(j->limits.allowed_cpus, j->limits.allowed_cpus_size, &s);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_append(reply, "s", s ? s : "");
}

static int method_stop(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        uint64_t timeout;
        int r;

        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = sd_bus_message_read(message, "t", &timeout);
        if (r < 0)
                return r;
        r = authorize(message, j, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (timeout > JOB_TIMEOUT_MAX_USEC)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "Stop timeout is absurdly large (more than a year).");
        r = job_stop(j, timeout);
        if (r == -EALREADY)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NOT_RUNNING, "Job %s has already finished.", j->id);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to stop job %s: %m", j->id);
        return sd_bus_reply_method_return(message, NULL);
}

/* Job.Wait(): answered once the job is finished (at once if it is), with
 * what its end changed (job-wait.h). Reads only: whoever sees the job may
 * wait for it, as they may read its properties. */
static int method_wait(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        uid_t caller;
        int r;

        r = access_caller_uid(j->manager->access, message, &caller);
        if (r < 0)
                return r;
        r = job_wait_add(j, message, caller, error);
        return r < 0 ? r : 1;
}

static void on_limits_set(Job *j, int error, const char *reason, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *request = userdata;
        int r;

        if (error < 0)
                r = sd_bus_reply_method_errorf(request, "org.freedesktop.DBus.Error.Failed",
                                               "systemd refused the new limits of job %s: %s", j->id,
                                               reason ?: "no reason given");
        else
                r = sd_bus_reply_method_return(request, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to answer SetLimits for %s: %m", j->id);
}

/* Job.SetLimits(a{sv}): the options of StartJob that a running scope can
 * change, each validated as at start (the same option table) and against
 * the same [Ceilings] (passing one needs privileged-options); the job's
 * other limits stay. Read, authorize, check, ask PID 1; answered once it
 * took them. */
static int method_set_limits(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        _cleanup_(job_spec_done) JobSpec spec = {};
        const char *name;
        int r;

        r = authorize(message, j, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        /* Which options: only what can change on a running scope. */
        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(message, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(message, 'e', "sv")) > 0) {
                r = sd_bus_message_read(message, "s", &name);
                if (r < 0)
                        return r;
                if (!job_option_info_by_name(name))
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT, "Unknown option '%s'.",
                                                 name);
                if (!job_option_changes_at_runtime(name))
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "%s cannot change while the job runs.", name);
                r = sd_bus_message_skip(message, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(message);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;

        if (!job_is_active(j))
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NOT_RUNNING,
                                         "Job %s has finished; its limits cannot change.", j->id);
        if (j->state != JOB_RUNNING)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NOT_RUNNING,
                                         "Job %s is %s; its limits can change while it runs.", j->id,
                                         job_state_to_string(j->state));

        /* The job's limits, with the new values on top, read and checked as
         * StartJob's options. */
        job_spec_init(&spec);
        job_limits_done(&spec.limits);
        r = job_limits_copy(&spec.limits, &j->limits);
        if (r < 0)
                return r;
        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = job_spec_read_options(&spec, message, error);
        if (r < 0)
                return r;
        r = job_spec_validate_limits(&spec.limits, error);
        if (r < 0)
                return r;
        r = check_ceilings(j->manager, message, &spec.limits, &j->limits, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = job_set_limits(j, &spec.limits, on_limits_set, sd_bus_message_ref(message), bus_request_unref);
        if (r < 0)
                sd_bus_message_unref(message);
        if (r == -EBUSY)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "A change of the limits of job %s is already on its way; try again.",
                                         j->id);
        if (r == -ESRCH)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NOT_RUNNING, "Job %s is not running.", j->id);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Failed to change the limits of job %s: %m", j->id);
        return 1;
}

/* PID 1 has frozen (or thawed) the scope, or could not. */
static void on_job_paused(Job *j, int error, const char *reason, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *request = userdata;
        bool pause = sd_bus_message_is_method_call(request, NULL, "Pause") > 0;
        int r;

        if (error >= 0)
                r = sd_bus_reply_method_return(request, NULL);
        else if (error == -ESRCH)
                r = sd_bus_reply_method_errorf(request, JOBWORKER_ERROR_NOT_RUNNING, "Job %s is %s, not running.",
                                               j->id, job_state_shown(j));
        else
                r = sd_bus_reply_method_errorf(request, "org.freedesktop.DBus.Error.Failed",
                                               "Cannot %s job %s: %s", pause ? "pause" : "resume", j->id,
                                               reason ?: strerror(-error));
        if (r < 0)
                log_debug_errno(r, "Failed to answer %s of job %s: %m", pause ? "Pause" : "Resume", j->id);
}

/* Pause and Resume: the scope's cgroup freezer, through PID 1; answered
 * once the scope is frozen (or thawed). */
static int pause_or_resume(sd_bus_message *message, Job *j, bool pause, sd_bus_error *error) {
        int r;

        r = authorize(message, j, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = job_pause(j, pause, on_job_paused, sd_bus_message_ref(message), bus_request_unref);
        if (r >= 0)
                return 1;
        sd_bus_message_unref(message);
        if (r == -EALREADY)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NOT_RUNNING, "Job %s has already finished.", j->id);
        if (r == -EBUSY)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NOT_RUNNING, "Job %s is %s, not running.", j->id,
                                         job_state_shown(j));
        if (r == -EUSERS)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "Job %s already has %u pause or resume calls under way.", j->id,
                                         JOB_FREEZER_OPS_MAX);
        return sd_bus_error_set_errnof(error, r, "Cannot %s job %s: %m", pause ? "pause" : "resume", j->id);
}

static int method_pause(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return pause_or_resume(message, userdata, true, error);
}

static int method_resume(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        return pause_or_resume(message, userdata, false, error);
}

static int read_output_options(sd_bus_message *message, OutputRequest *req, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(message, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(message, 'e', "sv")) > 0) {
                const char *name, *contents;
                char want;

                r = sd_bus_message_read(message, "s", &name);
                if (r < 0)
                        return r;
                if (strcmp(name, "Follow") == 0 || strcmp(name, "FromNow") == 0)
                        want = 'b';
                else if (strcmp(name, "StdoutOffset") == 0 || strcmp(name, "StderrOffset") == 0)
                        want = 't';
                else
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "Unknown output option '%s'.", name);
                r = sd_bus_message_peek_type(message, NULL, &contents);
                if (r < 0)
                        return r;
                if (contents[0] != want || contents[1] != '\0')
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "Output option '%s' must be of D-Bus type '%c', got '%s'.",
                                                 name, want, contents);
                if (want == 'b') {
                        int b;
                        r = sd_bus_message_read(message, "v", "b", &b);
                        if (name[0] == 'F' && name[1] == 'o')
                                req->follow = b;
                        else
                                req->from_now = b;
                } else
                        r = sd_bus_message_read(message, "v", "t",
                                                &req->offset[strcmp(name, "StdoutOffset") == 0 ? 0 : 1]);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(message);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(message);
}

static int method_get_output(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        OutputRequest req = {};
        int fds[2] = { -1, -1 };
        int r;

        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = read_output_options(message, &req, error);
        if (r < 0)
                return r;
        r = authorize(message, j, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* Each stream pins a pipe and a journal handle. Readers count
         * against whoever opens them (an admin's reads are not the owner's
         * share); one caller may not take them all, root aside. */
        r = access_caller_uid(j->manager->access, message, &req.caller);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot determine the caller: %m");
        if (req.caller != 0 &&
            output_count_for_caller(j->manager, req.caller) + 2 > j->manager->max_output_readers_per_user)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "You already have %u output streams open, the most one user may have "
                                         "(two per reader); close some first.",
                                         output_count_for_caller(j->manager, req.caller));
        if (output_count(j->manager) + 2 > j->manager->max_output_readers)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "%u output streams are open, the most jobworkerd serves at once; "
                                         "try again later.", output_count(j->manager));
        r = output_open(j->manager, j, &req, fds);
        if (r < 0)
                return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.Failed",
                                         "Cannot read the output of job %s: %s", j->id, strerror(-r));
        r = sd_bus_reply_method_return(message, "hh", fds[0], fds[1]);
        close(fds[0]);
        close(fds[1]);
        return r;
}

/* AttachTerminal: a connection to the terminal job's init (through the
 * socket its shim holds in our state directory, root's alone), for the
 * caller to speak terminal-protocol.h on. The daemon only connects: the
 * connect is non-blocking (a full backlog fails at once), and what flows
 * on it never passes through us. One client at a time is init's rule: a
 * second one is told so on the socket. */
static int method_attach_terminal(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        r = authorize(message, j, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (!job_is_active(j))
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NOT_RUNNING, "Job %s has already finished.", j->id);
        path = job_terminal_socket_path(j);
        if (!path)
                return -ENOMEM;
        if (strlen(path) >= sizeof sa.sun_path)
                return sd_bus_error_set_errnof(error, ENAMETOOLONG, "Cannot reach the terminal of job %s: %m", j->id);
        strcpy(sa.sun_path, path);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return sd_bus_error_set_errnof(error, errno, "Cannot reach the terminal of job %s: %m", j->id);
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                if (errno == ENOENT || errno == ECONNREFUSED)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_NO_TERMINAL,
                                                 "Job %s has no terminal (it was not started with --pty, or its "
                                                 "terminal is gone).", j->id);
                if (errno == EAGAIN)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                                 "The terminal of job %s is not answering (is the job paused?); "
                                                 "try again later.", j->id);
                return sd_bus_error_set_errnof(error, errno, "Cannot reach the terminal of job %s: %m", j->id);
        }
        return sd_bus_reply_method_return(message, "h", fd);
}

/* ReadOutput: the output in bounded replies, on any connection (no fds),
 * with the privacy of GetOutput. */
static int method_read_output(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        OutputReadRequest req = {};
        int r;

        r = sd_bus_message_rewind(message, true);
        if (r < 0)
                return r;
        r = sd_bus_message_read(message, "ttsut", &req.offset[0], &req.offset[1], &req.cursor, &req.max_bytes,
                                &req.timeout_usec);
        if (r < 0)
                return r;
        if (req.max_bytes == 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT, "max_bytes must be above 0.");
        /* A cursor is what an earlier reply gave: printable, no blanks. */
        size_t n = strlen(req.cursor);
        bool cursor_ok = n <= OUTPUT_READ_CURSOR_MAX;
        for (size_t i = 0; cursor_ok && i < n; i++)
                cursor_ok = req.cursor[i] > ' ' && req.cursor[i] < 0x7f;
        if (!cursor_ok)
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                        "The cursor is not one a ReadOutput reply gave.");
        r = authorize(message, j, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        r = access_caller_uid(j->manager->access, message, &req.caller);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot determine the caller: %m");
        r = output_read(j->manager, j, message, &req);
        if (r == -EUSERS)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "You already have %u ReadOutput calls waiting, the most one user may have.",
                                         OUTPUT_READ_WAITING_MAX_PER_USER);
        if (r == -EBUSY)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "%u ReadOutput calls are waiting, the most jobworkerd holds at once; "
                                         "try again later.", OUTPUT_READ_WAITING_MAX);
        if (r == -EINVAL)
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                        "The cursor is not one a ReadOutput reply gave.");
        if (r < 0)
                return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.Failed",
                                         "Cannot read the output of job %s: %s", j->id, strerror(-r));
        return 1;
}

static int method_remove(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Job *j = userdata;
        int r;

        r = authorize(message, j, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (job_is_active(j))
                return sd_bus_error_setf(error, JOBWORKER_ERROR_STILL_RUNNING,
                                         "Job %s is still %s; stop it first.", j->id,
                                         job_state_to_string(j->state));
        r = sd_bus_reply_method_return(message, NULL);
        if (r < 0)
                return r;
        log_info("Job %s removed.", j->id);
        (void) bus_send_signal_to(j->manager->bus, sd_bus_message_get_sender(message), "JobRemoved",
                                  j->id, j->object_path);
        job_forget_files(j);
        manager_remove_job(j->manager, j);
        return 1;
}

/* Changes are announced without their values: PropertiesChanged is a
 * broadcast that any user can listen to, so it carries only which
 * properties changed, and a client reads the new values (an access-checked
 * read) itself. */
#define CHANGING SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION
#define CONST SD_BUS_VTABLE_PROPERTY_CONST

const sd_bus_vtable job_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "s", property_get_id, 0, CONST),
        SD_BUS_PROPERTY("Owner", "u", NULL, offsetof(Job, owner), CONST),
        SD_BUS_PROPERTY("Name", "s", property_get_name, 0, CONST),
        SD_BUS_PROPERTY("RunAs", "u", property_get_run_as, 0, CONST),
        SD_BUS_PROPERTY("RunAsUser", "s", property_get_run_as_user, 0, CONST),
        SD_BUS_PROPERTY("RunAsGroup", "u", NULL, offsetof(Job, gid), CONST),
        SD_BUS_PROPERTY("Command", "aay", property_get_command, 0, CONST),
        SD_BUS_PROPERTY("Unit", "s", NULL, offsetof(Job, unit), CONST),
        SD_BUS_PROPERTY("Slice", "s", property_get_slice, 0, CONST),
        SD_BUS_PROPERTY("WorkingDirectory", "ay", property_get_working_directory, 0, CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, CHANGING),
        SD_BUS_PROPERTY("Result", "s", property_get_result, 0, CHANGING),
        SD_BUS_PROPERTY("ExitCode", "i", NULL, offsetof(Job, exit_code), CHANGING),
        SD_BUS_PROPERTY("ExitSignal", "i", NULL, offsetof(Job, exit_signal), CHANGING),
        SD_BUS_PROPERTY("StatusText", "s", property_get_status_text, 0, CHANGING),
        SD_BUS_PROPERTY("StartErrno", "i", NULL, offsetof(Job, start_errno), CHANGING),
        SD_BUS_PROPERTY("StartTimestamp", "t", NULL, offsetof(Job, start_usec), CONST),
        SD_BUS_PROPERTY("FinishTimestamp", "t", NULL, offsetof(Job, finish_usec), CHANGING),
        SD_BUS_PROPERTY("CPUUsageNSec", "t", NULL, offsetof(Job, cpu_usage_nsec), CHANGING),
        SD_BUS_PROPERTY("MemoryPeak", "t", NULL, offsetof(Job, memory_peak), CHANGING),
        SD_BUS_PROPERTY("StdoutBytes", "t", NULL, offsetof(Job, output_bytes[0]), CHANGING),
        SD_BUS_PROPERTY("StderrBytes", "t", NULL, offsetof(Job, output_bytes[1]), CHANGING),
        SD_BUS_PROPERTY("CPUQuotaPerSecUSec", "t", NULL, offsetof(Job, limits.cpu_quota_per_sec_usec), CHANGING),
        SD_BUS_PROPERTY("MemoryMax", "t", NULL, offsetof(Job, limits.memory_max), CHANGING),
        SD_BUS_PROPERTY("MemorySwapMax", "t", NULL, offsetof(Job, limits.memory_swap_max), CHANGING),
        SD_BUS_PROPERTY("IODevice", "s", property_get_io_device, 0, CONST),
        SD_BUS_PROPERTY("IOReadBandwidthMax", "t", NULL, offsetof(Job, limits.io_read_bandwidth_max), CHANGING),
        SD_BUS_PROPERTY("IOWriteBandwidthMax", "t", NULL, offsetof(Job, limits.io_write_bandwidth_max), CHANGING),
        SD_BUS_PROPERTY("AllowedCPUs", "s", property_get_allowed_cpus, 0, CHANGING),
        SD_BUS_PROPERTY("TasksMax", "t", NULL, offsetof(Job, limits.tasks_max), CHANGING),
        SD_BUS_PROPERTY("RuntimeMaxUSec", "t", NULL, offsetof(Job, limits.runtime_max_usec), CHANGING),
        SD_BUS_PROPERTY("StopTimeoutUSec", "t", NULL, offsetof(Job, limits.stop_timeout_usec), CONST),
        SD_BUS_PROPERTY("UserRuntimeDirectory", "b", property_get_user_runtime_directory, 0, CONST),
        SD_BUS_PROPERTY("RootDirectory", "s", property_get_root_directory, 0, CONST),
        SD_BUS_PROPERTY("HostSystem", "b", property_get_bool, 0, CONST),
        SD_BUS_PROPERTY("PrivateTmp", "b", property_get_bool, 0, CONST),
        SD_BUS_PROPERTY("BindPaths", "a(ssbt)", property_get_binds, 0, CONST),
        SD_BUS_PROPERTY("BindReadOnlyPaths", "a(ssbt)", property_get_binds, 0, CONST),
        SD_BUS_PROPERTY("Network", "s", property_get_network, 0, CONST),
        SD_BUS_PROPERTY("Address", "s", property_get_network, 0, CONST),
        SD_BUS_PROPERTY("HostInterface", "s", property_get_network, 0, CONST),
        SD_BUS_METHOD_WITH_ARGS("Stop", SD_BUS_ARGS("t", timeout_usec), SD_BUS_NO_RESULT,
                                method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Pause", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_pause, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Resume", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_resume, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetOutput", SD_BUS_ARGS("a{sv}", options),
                                SD_BUS_RESULT("h", stdout_fd, "h", stderr_fd),
                                method_get_output, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("AttachTerminal", SD_BUS_NO_ARGS, SD_BUS_RESULT("h", terminal),
                                method_attach_terminal, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ReadOutput",
                                SD_BUS_ARGS("t", stdout_offset, "t", stderr_offset, "s", cursor, "u", max_bytes,
                                            "t", timeout_usec),
                                SD_BUS_RESULT("ay", stdout_data, "ay", stderr_data, "t", stdout_next,
                                              "t", stderr_next, "s", cursor_next, "b", more, "b", end),
                                method_read_output, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetLimits", SD_BUS_ARGS("a{sv}", limits), SD_BUS_NO_RESULT,
                                method_set_limits, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Remove", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
                                method_remove, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Wait", SD_BUS_NO_ARGS, SD_BUS_RESULT("a{sv}", end),
                                method_wait, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};
