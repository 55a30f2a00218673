/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Everything jobworkerd asks of systemd (PID 1) and hears back from it. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-names.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "parse-util.h"
#include "scope-properties.h"
#include "systemd.h"

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define SYSTEMD_MANAGER "org.freedesktop.systemd1.Manager"
#define SYSTEMD_UNIT_INTERFACE "org.freedesktop.systemd1.Unit"
#define SYSTEMD_SCOPE_INTERFACE "org.freedesktop.systemd1.Scope"
#define SYSTEMD_UNIT_PATH_PREFIX "/org/freedesktop/systemd1/unit"
#define CGROUP_ROOT "/sys/fs/cgroup"

/* The system bus lets any user send a unicast signal to org.jobworker1
 * with any path, interface and member, and a match on the well-known
 * sender name cannot tell: the bus stamps every message with the sender's
 * unique name, so that is what we compare, against the one connection that
 * owns systemd's name right now. */
static bool message_is_from_pid1(Manager *m, sd_bus_message *message) {
        const char *sender = sd_bus_message_get_sender(message);

        if (m->systemd_owner && sender && strcmp(sender, m->systemd_owner) == 0)
                return true;
        log_debug("Ignoring %s.%s from %s, which is not systemd (%s).", sd_bus_message_get_interface(message),
                  sd_bus_message_get_member(message), sender ? sender : "unknown sender",
                  m->systemd_owner ? m->systemd_owner : "not on the bus");
        return false;
}

static int on_job_removed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path, *unit, *result;
        uint32_t id;
        int r;

        if (!message_is_from_pid1(m, message))
                return 0;
        r = sd_bus_message_read(message, "uoss", &id, &path, &unit, &result);
        if (r < 0) {
                log_warning_errno(r, "Failed to parse JobRemoved signal: %m");
                return 0;
        }
        Job *j = manager_find_job_by_systemd_job(m, path);
        if (j)
                job_on_systemd_job_removed(j, result);
        return 0;
}

static Job *job_for_unit_path(Manager *m, const char *path) {
        _cleanup_free_ char *unit = NULL;

        if (!path || sd_bus_path_decode(path, SYSTEMD_UNIT_PATH_PREFIX, &unit) <= 0)
                return NULL;
        return manager_find_job_by_unit(m, unit);
}

/* PropertiesChanged of one of our scopes carries the new values itself
 * (ActiveState on the Unit interface, Result on the Scope interface, both
 * EMITS_CHANGE): no need to ask PID 1 again. systemd sends the Scope
 * interface's signal before the Unit one, so the result is known by the
 * time the state says the scope is over. */
static int on_unit_properties_changed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *interface, *active = NULL, *result = NULL, *freezer = NULL;
        int r;

        if (!message_is_from_pid1(m, message))
                return 0;
        Job *j = job_for_unit_path(m, sd_bus_message_get_path(message));
        if (!j)
                return 0;

        r = sd_bus_message_read(message, "s", &interface);
        if (r < 0)
                goto bad;
        bool is_unit = strcmp(interface, SYSTEMD_UNIT_INTERFACE) == 0;
        bool is_scope = strcmp(interface, SYSTEMD_SCOPE_INTERFACE) == 0;
        if (!is_unit && !is_scope)
                return 0;
        r = sd_bus_message_enter_container(message, 'a', "{sv}");
        if (r < 0)
                goto bad;
        while ((r = sd_bus_message_enter_container(message, 'e', "sv")) > 0) {
                const char *name, *contents;

                r = sd_bus_message_read(message, "s", &name);
                if (r < 0)
                        goto bad;
                r = sd_bus_message_peek_type(message, NULL, &contents);
                if (r < 0)
                        goto bad;
                /* FreezerState too, when PID 1 sends it: a freeze or thaw of
                 * the scope by an admin (systemctl freeze) shows as well. */
                const char **want = is_unit && strcmp(name, "ActiveState") == 0 ? &active :
                                    is_unit && strcmp(name, "FreezerState") == 0 ? &freezer :
                                    is_scope && strcmp(name, "Result") == 0 ? &result : NULL;
                if (want && strcmp(contents, "s") == 0)
                        r = sd_bus_message_read(message, "v", "s", want);
                else
                        r = sd_bus_message_skip(message, "v");
                if (r < 0)
                        goto bad;
                r = sd_bus_message_exit_container(message);
                if (r < 0)
                        goto bad;
        }
        if (r < 0)
                goto bad;
        /* The invalidated list is of no use: both properties always come
         * with their values. */
        if (freezer)
                job_on_freezer_state(j, freezer);
        job_on_unit_state(j, active, result);
        return 0;
bad:
        log_warning_errno(r, "Failed to parse PropertiesChanged of %s: %m", j->unit);
        return 0;
}

static int on_unit_removed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *unit, *path;

        if (!message_is_from_pid1(m, message))
                return 0;
        if (sd_bus_message_read(message, "so", &unit, &path) < 0)
                return 0;
        Job *j = manager_find_job_by_unit(m, unit);
        if (j)
                job_on_unit_state(j, "inactive", NULL);
        return 0;
}

static int on_subscribe_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.AlreadySubscribed"))
                log_warning("Failed to subscribe to systemd: %s", e->message ? e->message : e->name);
        return 0;
}

/* Only the bus driver says who owns a name; its messages carry the sender
 * org.freedesktop.DBus, which no client can have, so that check is sound. */
static int on_name_owner_changed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *sender = sd_bus_message_get_sender(message);
        const char *name, *old_owner, *new_owner;
        int r;

        if (!sender || strcmp(sender, "org.freedesktop.DBus") != 0)
                return 0;
        if (sd_bus_message_read(message, "sss", &name, &old_owner, &new_owner) < 0 ||
            strcmp(name, SYSTEMD_DEST) != 0)
                return 0;

        free(m->systemd_owner);
        m->systemd_owner = NULL;
        if (!*new_owner) {
                log_warning("systemd left the bus; waiting for it to come back.");
                return 0;
        }
        m->systemd_owner = strdup(new_owner);
        if (!m->systemd_owner) {
                log_error_errno(ENOMEM, "Out of memory: signals from systemd are ignored now.");
                return 0;
        }
        log_info("systemd is on the bus as %s now (daemon-reexec?).", new_owner);
        /* PID 1 keeps its subscribers across a re-exec, but asking again
         * costs nothing; what it said while away is read afresh. */
        r = sd_bus_call_method_async(m->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe",
                                     on_subscribe_reply, NULL, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to subscribe to systemd: %m");
        manager_check_jobs(m);
        return 0;
}

int systemd_subscribe(Manager *m) {
        int r;

        assert(m);

        /* The matches go in before any job starts, so no JobRemoved can
         * slip past us (the race systemd-run avoids the same way); the
         * owner match before GetNameOwner, so no change of owner can. */
        r = sd_bus_match_signal(m->bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the owner of %s: %m", SYSTEMD_DEST);
        r = sd_bus_match_signal(m->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                "JobRemoved", on_job_removed, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's JobRemoved: %m");
        r = sd_bus_match_signal(m->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                "UnitRemoved", on_unit_removed, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch systemd's UnitRemoved: %m");
        static const char *const interfaces[] = { SYSTEMD_UNIT_INTERFACE, SYSTEMD_SCOPE_INTERFACE };
        for (size_t i = 0; i < ELEMENTSOF(interfaces); i++) {
                _cleanup_free_ char *match = NULL;
                if (asprintf(&match,
                             "type='signal',sender='" SYSTEMD_DEST "',"
                             "interface='org.freedesktop.DBus.Properties',"
                             "member='PropertiesChanged',"
                             "path_namespace='" SYSTEMD_UNIT_PATH_PREFIX "',"
                             "arg0='%s'", interfaces[i]) < 0)
                        return log_error_errno(ENOMEM, "Out of memory.");
                r = sd_bus_add_match(m->bus, NULL, match, on_unit_properties_changed, m);
                if (r < 0)
                        return log_error_errno(r, "Failed to watch unit changes: %m");
        }

        /* The synchronous calls below run once at start-up, before we ask
         * for our bus name: no client can reach us yet, so none waits. */
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *owner;
        r = sd_bus_call_method(m->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetNameOwner", &error, &reply, "s", SYSTEMD_DEST);
        if (r < 0) {
                log_error_errno(r, "Failed to find systemd on the bus: %s", error.message ? error.message : "");
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_read(reply, "s", &owner);
        if (r < 0)
                return log_error_errno(r, "Failed to parse GetNameOwner reply: %m");
        free(m->systemd_owner);
        m->systemd_owner = strdup(owner);
        if (!m->systemd_owner)
                return -ENOMEM;

        /* Without Subscribe() PID 1 only tells a unit's changes to whoever
         * holds a reference on it; we want them for adopted jobs too. */
        r = sd_bus_call_method(m->bus, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "Subscribe",
                               &error, NULL, NULL);
        if (r < 0 && !sd_bus_error_has_name(&error, "org.freedesktop.systemd1.AlreadySubscribed")) {
                log_error_errno(r, "Failed to subscribe to systemd: %s", error.message ? error.message : "");
                sd_bus_error_free(&error);
                return r;
        }
        sd_bus_error_free(&error);
        return 0;
}

bool unit_active_state_is_running(const char *active_state) {
        return active_state && STR_IN_SET(active_state, "active", "activating", "deactivating", "reloading",
                                          "refreshing");
}

struct UnitStateQuery {
        Manager *manager;
        char *unit;
        char *path;
        char *active_state;
        sd_bus_slot *slot;
        unit_state_handler_t handler;
        void *userdata;
};

UnitStateQuery *unit_state_query_free(UnitStateQuery *q) {
        if (!q)
                return NULL;
        sd_bus_slot_unref(q->slot);
        free(q->unit);
        free(q->path);
        free(q->active_state);
        free(q);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(UnitStateQuery *, unit_state_query_free);

/* A unit that is gone entirely is simply over. */
static bool error_means_no_unit(const sd_bus_error *e) {
        return sd_bus_error_has_names(e, "org.freedesktop.systemd1.NoSuchUnit",
                                      "org.freedesktop.DBus.Error.UnknownObject",
                                      "org.freedesktop.DBus.Error.UnknownInterface",
                                      "org.freedesktop.DBus.Error.UnknownProperty");
}

/* An error reply ends the query: a unit that is gone is simply over;
 * anything else is reported as a failure to the handler. Returns true if
 * reply was an error (the handler has run, and may have freed q). */
static bool query_handled_error(UnitStateQuery *q, sd_bus_message *reply, const char *what) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (!e)
                return false;
        if (error_means_no_unit(e))
                q->handler(q, 0, "inactive", NULL, q->userdata);
        else {
                log_warning("Failed to read the %s of %s: %s", what, q->unit, e->message ? e->message : e->name);
                q->handler(q, -sd_bus_message_get_errno(reply) ?: -EIO, NULL, NULL, q->userdata);
        }
        return true;
}

static int on_unit_result_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error);

static int on_active_state_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitStateQuery *q = userdata;
        const char *active;
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        if (query_handled_error(q, reply, "state"))
                return 0;
        r = sd_bus_message_read(reply, "v", "s", &active);
        if (r >= 0) {
                q->active_state = strdup(active);
                r = q->active_state ? 0 : -ENOMEM;
        }
        if (r >= 0)
                r = sd_bus_call_method_async(q->manager->bus, &q->slot, SYSTEMD_DEST, q->path,
                                             "org.freedesktop.DBus.Properties", "Get", on_unit_result_reply, q,
                                             "ss", SYSTEMD_SCOPE_INTERFACE, "Result");
        if (r < 0) {
                log_warning_errno(r, "Failed to read the state of %s: %m", q->unit);
                q->handler(q, r, NULL, NULL, q->userdata);
        }
        return 0;
}

static int on_unit_result_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        UnitStateQuery *q = userdata;
        const char *result;
        int r;

        q->slot = sd_bus_slot_unref(q->slot);
        /* Gone between the two reads: over, however it ended. */
        if (query_handled_error(q, reply, "result"))
                return 0;
        r = sd_bus_message_read(reply, "v", "s", &result);
        if (r < 0) {
                log_warning_errno(r, "Failed to parse the result of %s: %m", q->unit);
                q->handler(q, r, NULL, NULL, q->userdata);
                return 0;
        }
        /* The handler may free q, and with it active_state: keep it. */
        _cleanup_free_ char *active = TAKE_PTR(q->active_state);
        q->handler(q, 0, active, result, q->userdata);
        return 0;
}

int systemd_query_unit_state(Manager *m, const char *unit, unit_state_handler_t handler, void *userdata,
                             UnitStateQuery **ret) {
        _cleanup_(unit_state_query_freep) UnitStateQuery *q = NULL;
        int r;

        assert(m);
        assert(unit);
        assert(handler);
        assert(ret);

        q = calloc(1, sizeof(*q));
        if (!q)
                return -ENOMEM;
        q->manager = m;
        q->handler = handler;
        q->userdata = userdata;
        q->unit = strdup(unit);
        if (!q->unit)
                return -ENOMEM;
        r = sd_bus_path_encode(SYSTEMD_UNIT_PATH_PREFIX, unit, &q->path);
        if (r < 0)
                return r;
        r = sd_bus_call_method_async(m->bus, &q->slot, SYSTEMD_DEST, q->path, "org.freedesktop.DBus.Properties",
                                     "Get", on_active_state_reply, q, "ss", SYSTEMD_UNIT_INTERFACE,
                                     "ActiveState");
        if (r < 0)
                return log_warning_errno(r, "Failed to ask for the state of %s: %m", unit);
        *ret = TAKE_PTR(q);
        return 0;
}

typedef struct KillRequest {
        char *unit;
        int signo;
} KillRequest;

static int on_kill_unit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        _cleanup_free_ KillRequest *k = userdata;
        _cleanup_free_ char *unit = k->unit;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        /* A scope that is already gone has nothing left to signal. */
        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                log_warning("Failed to send signal %d to %s: %s", k->signo, unit, e->message ? e->message : e->name);
        return 0;
}

int systemd_kill_unit(Manager *m, const char *unit, int signo) {
        _cleanup_free_ KillRequest *k = NULL;
        int r;

        assert(m);
        assert(unit);

        k = calloc(1, sizeof(*k));
        if (!k)
                return -ENOMEM;
        k->signo = signo;
        k->unit = strdup(unit);
        if (!k->unit)
                return -ENOMEM;
        /* A floating slot: the answer is only logged, whoever asked may be
         * gone by then. */
        r = sd_bus_call_method_async(m->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "KillUnit",
                                     on_kill_unit_reply, k, "ssi", unit, "all", signo);
        if (r < 0) {
                free(k->unit);
                return log_warning_errno(r, "Failed to send signal %d to %s: %m", signo, unit);
        }
        TAKE_PTR(k);
        return 0;
}

static int on_reset_failed_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        _cleanup_free_ char *unit = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e && !sd_bus_error_has_name(e, "org.freedesktop.systemd1.NoSuchUnit"))
                log_debug("Failed to reset failed state of %s: %s", unit, e->message ? e->message : e->name);
        return 0;
}

int systemd_reset_failed_unit(Manager *m, const char *unit) {
        _cleanup_free_ char *copy = NULL;
        int r;

        assert(m);
        assert(unit);

        copy = strdup(unit);
        if (!copy)
                return -ENOMEM;
        r = sd_bus_call_method_async(m->bus, NULL, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER, "ResetFailedUnit",
                                     on_reset_failed_reply, copy, "s", unit);
        if (r < 0)
                return log_debug_errno(r, "Failed to reset failed state of %s: %m", unit);
        TAKE_PTR(copy);
        return 0;
}

/* Our scopes live in their owner's slice, a child of jobworker.slice, so
 * the cgroup of one is CGROUP_ROOT/jobworker.slice/<slice>/<unit> (we set
 * Slice= ourselves); those of an older version were in jobworker.slice. */
static char *scope_cgroup_path(const char *slice, const char *unit, const char *file) {
        char *p;
        int k = slice ? asprintf(&p, CGROUP_ROOT "/" JOBWORKER_SLICE "/%s/%s/%s", slice, unit, file)
                      : asprintf(&p, CGROUP_ROOT "/" JOBWORKER_SLICE "/%s/%s", unit, file);
        return k < 0 ? NULL : p;
}

static int kill_cgroup(const char *path, const char *unit) {
        _cleanup_close_ int fd = -1;

        fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                /* No cgroup: the scope is gone, so is every process in it. */
                if (errno == ENOENT)
                        return 0;
                return log_warning_errno(errno, "Failed to open %s: %m", path);
        }
        if (write(fd, "1", 1) != 1)
                return log_warning_errno(errno, "Failed to kill the cgroup of %s: %m", unit);
        return 1;
}

int systemd_kill_scope_cgroup(uid_t owner, const char *unit) {
        char slice[JOBWORKER_USER_SLICE_NAME_MAX];
        int r;

        assert(unit);
        _cleanup_free_ char *path = scope_cgroup_path(user_slice_name(owner, slice), unit, "cgroup.kill");
        _cleanup_free_ char *old = scope_cgroup_path(NULL, unit, "cgroup.kill");
        if (!path || !old)
                return -ENOMEM;
        r = kill_cgroup(path, unit);
        if (r != 0)
                return r;
        return kill_cgroup(old, unit);
}

int systemd_scope_oom_kills(uid_t owner, const char *unit, uint64_t *ret) {
        char slice[JOBWORKER_USER_SLICE_NAME_MAX];
        _cleanup_free_ char *dir = scope_cgroup_path(user_slice_name(owner, slice), unit, "");
        _cleanup_close_ int dfd = -1, fd = -1;
        char buf[512];
        ssize_t n;

        assert(unit);
        assert(ret);
        if (!dir)
                return -ENOMEM;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return -errno;
        fd = openat(dfd, "memory.events", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                /* No memory controller, or PID 1 removed the cgroup right
                 * now (after reading the count itself): only the first is
                 * "none", the second must wait for PID 1's word. */
                if (faccessat(dfd, "cgroup.procs", F_OK, 0) < 0)
                        return -errno;
                *ret = 0;
                return 0;
        }
        do
                n = read(fd, buf, sizeof buf - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        /* Lines "KEY VALUE"; the kernel writes them, but read strictly. */
        for (char *line = buf, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strncmp(line, "oom_kill ", 9) == 0)
                        return parse_uint64(line + 9, ret);
        }
        *ret = 0;
        return 0;
}

typedef struct PropertiesRequest {
        char *unit;
        systemd_properties_done_t done;
        void *userdata;
} PropertiesRequest;

static void properties_request_free(void *userdata) {
        PropertiesRequest *p = userdata;
        if (!p)
                return;
        free(p->unit);
        free(p);
}

static int on_set_properties_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PropertiesRequest *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (p->done)
                p->done(e ? (-sd_bus_message_get_errno(reply) ?: -EIO) : 0, e ? (e->message ?: e->name) : NULL,
                        p->userdata);
        else if (e)
                log_warning("Failed to set properties of %s: %s", p->unit, e->message ?: e->name);
        return 0;
}

int systemd_set_unit_properties(Manager *m, const char *unit, const ScopeProperty *props, size_t n,
                                systemd_properties_done_t done, void *userdata, sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        PropertiesRequest *p;
        int r;

        assert(m);
        assert(unit);
        assert(props || n == 0);

        r = sd_bus_message_new_method_call(m->bus, &call, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                           "SetUnitProperties");
        if (r >= 0)
                r = sd_bus_message_append(call, "sb", unit, 1);
        if (r >= 0)
                r = scope_properties_append(call, props, n);
        if (r < 0)
                return log_warning_errno(r, "Failed to build the properties of %s: %m", unit);
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        *p = (PropertiesRequest) { .unit = strdup(unit), .done = done, .userdata = userdata };
        if (!p->unit) {
                properties_request_free(p);
                return -ENOMEM;
        }
        r = sd_bus_call_async(m->bus, &slot, call, on_set_properties_reply, p, 0);
        if (r < 0) {
                properties_request_free(p);
                return log_warning_errno(r, "Failed to ask systemd to set properties of %s: %m", unit);
        }
        /* The request goes with the slot, whether answered or dropped. */
        r = sd_bus_slot_set_destroy_callback(slot, properties_request_free);
        if (r < 0) {
                properties_request_free(p);
                return r;
        }
        if (ret_slot)
                *ret_slot = TAKE_PTR(slot);
        else
                (void) sd_bus_slot_set_floating(slot, 1);
        return 0;
}

int systemd_apply_user_slice(Manager *m, uid_t uid) {
        char slice[JOBWORKER_USER_SLICE_NAME_MAX];
        ScopeProperty props[4];
        size_t n;

        assert(m);
        n = user_slice_properties_build(m->settings.user_slice_memory_max,
                                        m->settings.user_slice_cpu_quota_per_sec_usec,
                                        m->settings.user_slice_tasks_max, m->settings.user_slice_io_weight, props);
        if (n == 0)
                return 0;
        return systemd_set_unit_properties(m, user_slice_name(uid, slice), props, n, NULL, NULL, NULL);
}

int systemd_scope_holds_pid(const char *slice, const char *unit, pid_t pid) {
        char path[64], buf[4096];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        assert(slice);
        assert(unit);
        assert(pid > 0);
        snprintf(path, sizeof path, "/proc/%d/cgroup", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        do
                n = read(fd, buf, sizeof buf);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        if ((size_t) n == sizeof buf)
                return 0;  /* far longer than any one-line v2 path of ours */
        return scope_cgroup_file_matches(buf, (size_t) n, slice, unit);
}

typedef struct FreezerCall {
        char *unit;
        bool freeze;
        unit_freezer_done_t done;
        void *userdata;
} FreezerCall;

static void freezer_call_free(void *userdata) {
        FreezerCall *c = userdata;

        if (!c)
                return;
        free(c->unit);
        free(c);
}

static int on_freezer_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        FreezerCall *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int error = 0;

        if (e) {
                /* The names PID 1 answers with (bus-common-errors.h): a
                 * scope that is gone or over, one busy with a start or stop
                 * job or another freezer operation, no freezer (cgroup v1). */
                if (sd_bus_error_has_names(e, "org.freedesktop.systemd1.NoSuchUnit",
                                           "org.freedesktop.systemd1.UnitInactive",
                                           "org.freedesktop.DBus.Error.UnknownObject"))
                        error = -ESRCH;
                else if (sd_bus_error_has_name(e, "org.freedesktop.systemd1.UnitBusy"))
                        error = -EBUSY;
                else
                        error = -sd_bus_message_get_errno(reply) ?: -EIO;
                log_info("Failed to %s %s: %s", c->freeze ? "freeze" : "thaw", c->unit,
                         e->message ? e->message : e->name);
        }
        if (c->done)
                c->done(error, e ? (e->message ?: e->name) : NULL, c->userdata);
        /* The slot's destroy callback frees c. */
        return 0;
}

int systemd_freeze_unit(Manager *m, const char *unit, bool freeze, unit_freezer_done_t done, void *userdata,
                        sd_bus_slot **ret_slot) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        FreezerCall *c;
        int r;

        assert(m);
        assert(unit);
        assert(!done || ret_slot);

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->freeze = freeze;
        c->done = done;
        c->userdata = userdata;
        c->unit = strdup(unit);
        if (!c->unit) {
                freezer_call_free(c);
                return -ENOMEM;
        }
        r = sd_bus_call_method_async(m->bus, &slot, SYSTEMD_DEST, SYSTEMD_PATH, SYSTEMD_MANAGER,
                                     freeze ? "FreezeUnit" : "ThawUnit", on_freezer_reply, c, "s", unit);
        if (r < 0) {
                freezer_call_free(c);
                return log_warning_errno(r, "Failed to ask systemd to %s %s: %m", freeze ? "freeze" : "thaw", unit);
        }
        /* c lives as long as the slot: dropping the slot (the job went)
         * frees it without calling done. */
        r = sd_bus_slot_set_destroy_callback(slot, freezer_call_free);
        if (r < 0) {
                freezer_call_free(c);
                return r;
        }
        if (ret_slot)
                *ret_slot = TAKE_PTR(slot);
        else {
                r = sd_bus_slot_set_floating(slot, true);
                if (r < 0)
                        return r;
        }
        return 0;
}

int systemd_scope_frozen(uid_t owner, const char *unit) {
        char slice[JOBWORKER_USER_SLICE_NAME_MAX];
        _cleanup_free_ char *path = scope_cgroup_path(user_slice_name(owner, slice), unit, "cgroup.freeze");
        _cleanup_close_ int fd = -1;
        char buf[8];
        ssize_t n;

        assert(unit);
        if (!path)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        do
                n = read(fd, buf, sizeof buf - 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return buf[0] == '1';
}
