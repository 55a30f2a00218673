/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stopping a job whose client went away (caller-watch.h). */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "caller-watch.h"
#include "job.h"
#include "job-wait.h"
#include "log.h"
#include "macro.h"
#include "manager.h"

#define BUS_DRIVER "org.freedesktop.DBus"

static void stop_for_vanished_caller(Job *j) {
        int r;

        if (!job_is_active(j) || j->state == JOB_STOPPING)
                return;
        log_info("The client %s that started job %s is gone; stopping the job.", j->stop_with_caller, j->id);
        r = job_stop(j, 0);
        if (r < 0 && r != -EALREADY)
                log_warning_errno(r, "Failed to stop job %s whose client is gone: %m", j->id);
}

/* Only the bus driver says who owns a name: its messages carry the sender
 * org.freedesktop.DBus, which no client can have (anyone may send us a
 * unicast NameOwnerChanged of their own making). */
static int on_name_owner_changed(sd_bus_message *message, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *sender = sd_bus_message_get_sender(message);
        const char *name, *old_owner, *new_owner;

        if (!sender || strcmp(sender, BUS_DRIVER) != 0)
                return 0;
        if (sd_bus_message_read(message, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (name[0] != ':' || *new_owner)
                return 0;
        for (size_t i = 0; i < m->n_jobs; i++) {
                Job *j = m->jobs[i];
                job_wait_drop_sender(j, name);
                if (j->stop_with_caller && strcmp(j->stop_with_caller, name) == 0)
                        stop_for_vanished_caller(j);
        }
        return 0;
}

int caller_watch_subscribe(Manager *m) {
        int r;

        assert(m);
        r = sd_bus_match_signal(m->bus, NULL, BUS_DRIVER, "/org/freedesktop/DBus", BUS_DRIVER,
                                "NameOwnerChanged", on_name_owner_changed, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch clients leaving the bus: %m");
        return 0;
}

static int on_name_has_owner_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Job *j = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int has_owner = 1;

        j->caller_query_slot = sd_bus_slot_unref(j->caller_query_slot);
        if (e) {
                /* Cannot tell: keep the job (the signal still stops it). */
                log_warning("Cannot tell whether the client %s of job %s is still there: %s", j->stop_with_caller,
                            j->id, e->message ?: e->name);
                return 0;
        }
        if (sd_bus_message_read(reply, "b", &has_owner) < 0)
                return 0;
        if (!has_owner)
                stop_for_vanished_caller(j);
        return 0;
}

int caller_watch_job(Job *j) {
        int r;

        assert(j);
        if (!j->stop_with_caller || !job_is_active(j))
                return 0;
        j->caller_query_slot = sd_bus_slot_unref(j->caller_query_slot);
        r = sd_bus_call_method_async(j->manager->bus, &j->caller_query_slot, BUS_DRIVER, "/org/freedesktop/DBus",
                                     BUS_DRIVER, "NameHasOwner", on_name_has_owner_reply, j, "s",
                                     j->stop_with_caller);
        if (r < 0)
                return log_warning_errno(r, "Failed to ask whether the client of job %s is still there: %m", j->id);
        return 0;
}
