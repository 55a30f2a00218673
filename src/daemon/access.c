/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may see and act on what. A user sees and manages their own jobs;
 * root and polkit's manage-all-jobs admins everyone's. To anyone else
 * another user's job is indistinguishable from one that does not exist. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "bus-names.h"
#include "caller-uid.h"
#include "job.h"
#include "log.h"
#include "macro.h"

struct Access {
        Polkit *polkit;

        CallerUids *callers;   /* who calls: the uid behind each sender */

        /* The last call access_see_job()/access_see_all() decided for a
         * non-owner, and whether it may see everything (a reference, so a
         * new message at the same address is never mistaken for it). */
        sd_bus_message *decided;
        bool decided_all;
};

int access_new(sd_bus *bus, Access **ret) {
        _cleanup_(access_freep) Access *a = calloc(1, sizeof(Access));
        int r;

        assert(bus);
        assert(ret);
        if (!a)
                return -ENOMEM;
        r = caller_uids_new(bus, &a->callers);
        if (r < 0)
                return r;
        r = polkit_new(bus, &a->polkit);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(a);
        return 0;
}

Access *access_free(Access *a) {
        if (!a)
                return NULL;
        polkit_free(a->polkit);
        caller_uids_free(a->callers);
        sd_bus_message_unref(a->decided);
        free(a);
        return NULL;
}

unsigned access_n_pending(const Access *a) {
        return a ? polkit_n_queries(a->polkit) + caller_uids_pending(a->callers) : 0;
}

int access_attach(Access *a) {
        assert(a);
        return caller_uids_attach(a->callers);
}

int access_caller_uid(Access *a, sd_bus_message *call, uid_t *ret) {
        assert(a);
        assert(call);
        assert(ret);
        return caller_uid_get(a->callers, call, ret);
}

static void remember(Access *a, sd_bus_message *call, bool all) {
        if (a->decided != call) {
                sd_bus_message_unref(a->decided);
                a->decided = sd_bus_message_ref(call);
        }
        a->decided_all = all;
}

/* The prologue of the checks that answer with an error: who calls, and
 * root's answer. 1 = root, who may; 0 = *ret_uid is someone else, ask
 * on; < 0 = the caller is unknown (error set), who may not. */
static int caller_unless_root(Access *a, sd_bus_message *call, uid_t *ret_uid, sd_bus_error *error) {
        assert(ret_uid);

        if (access_caller_uid(a, call, ret_uid) < 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED, "Cannot determine the caller.");
        return *ret_uid == 0 ? 1 : 0;
}

int access_check(Access *a, sd_bus_message *call, const char *action, bool interactive, sd_bus_error *error) {
        uid_t uid;
        int r;

        assert(a);
        assert(call);
        assert(action);
        r = caller_unless_root(a, call, &uid, error);
        if (r != 0)
                return r;
        /* Only StartJob and its like come here, from a handler that read
         * and bounded the arguments: they may queue longer. */
        return polkit_check(a->polkit, call, uid, action, POLKIT_BOUNDED | (interactive ? POLKIT_INTERACTIVE : 0),
                            error);
}

void access_refuse_new_questions(Access *a) {
        assert(a);
        polkit_refuse_new(a->polkit);
}

/* Only acting on another user's job (an admin's Stop, GetOutput, ReadOutput, Remove,
 * Pause, Resume) may prompt for a password. A question that only decides whether a job is
 * visible (GetJob, property reads, introspection, Peer, ...) never does: a
 * prompt holds one of the caller's few polkit slots for minutes, and its
 * "no" is as good as a missing job anyway. */
static bool call_acts_on_job(sd_bus_message *call) {
        const char *interface = sd_bus_message_get_interface(call);

        if (!interface || strcmp(interface, JOBWORKER_JOB_INTERFACE) != 0)
                return false;
        return sd_bus_message_is_method_call(call, NULL, "Stop") > 0 ||
               sd_bus_message_is_method_call(call, NULL, "GetOutput") > 0 ||
               sd_bus_message_is_method_call(call, NULL, "ReadOutput") > 0 ||
               sd_bus_message_is_method_call(call, NULL, "Remove") > 0 ||
               sd_bus_message_is_method_call(call, NULL, "Pause") > 0 ||
               sd_bus_message_is_method_call(call, NULL, "Resume") > 0;
}

int access_see_job(Access *a, sd_bus_message *call, const Job *j) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uid_t uid;
        int r;

        assert(a);
        assert(call);
        if (access_caller_uid(a, call, &uid) < 0)
                return -ENOENT;
        if (uid == 0)
                return j ? 1 : -ENOENT;
        if (j && j->owner == uid)
                return 1;
        if (a->decided == call)
                return a->decided_all && j ? 1 : -ENOENT;
        /* A "no" of any kind, the per-uid limit on questions included, is
         * the answer for a missing job: it depends on the caller alone,
         * never on whether the job exists. */
        r = polkit_check(a->polkit, call, uid, ACTION_MANAGE_ALL_JOBS,
                         call_acts_on_job(call) ? POLKIT_INTERACTIVE : 0, &error);
        sd_bus_error_free(&error);
        if (r == 0)
                return 0;
        remember(a, call, r > 0);
        return r > 0 && j ? 1 : -ENOENT;
}

int access_manage_job(Access *a, sd_bus_message *call, const Job *j, sd_bus_error *error) {
        uid_t uid;
        int r;

        assert(a);
        assert(call);
        assert(j);
        r = caller_unless_root(a, call, &uid, error);
        if (r != 0)
                return r;
        if (uid == j->owner)
                return polkit_check(a->polkit, call, uid, ACTION_MANAGE_OWN_JOBS, POLKIT_INTERACTIVE, error);
        return access_see_job(a, call, j);
}

int access_see_all(Access *a, sd_bus_message *call) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        uid_t uid;
        int r;

        assert(a);
        assert(call);
        if (access_caller_uid(a, call, &uid) < 0)
                return -EACCES;
        if (uid == 0)
                return 1;
        if (a->decided == call)
                return a->decided_all ? 1 : -EACCES;
        r = polkit_check(a->polkit, call, uid, ACTION_MANAGE_ALL_JOBS, POLKIT_QUICK, &error);
        sd_bus_error_free(&error);
        if (r == 0)
                return 0;
        remember(a, call, r > 0);
        return r > 0 ? 1 : -EACCES;
}

bool access_sees_all(Access *a, sd_bus_message *call) {
        uid_t uid;

        assert(a);
        assert(call);
        if (access_caller_uid(a, call, &uid) < 0)
                return false;
        return uid == 0 || (a->decided == call && a->decided_all);
}

bool access_job_visible(Access *a, sd_bus_message *call, const Job *j) {
        uid_t uid;

        assert(a);
        assert(call);
        assert(j);
        if (access_caller_uid(a, call, &uid) < 0)
                return false;
        return uid == 0 || uid == j->owner || (a->decided == call && a->decided_all);
}
