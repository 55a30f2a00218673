/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit over plain sd-bus, as systemd's bus-polkit.c does: the subject is
 * the caller's unique bus name ("system-bus-name"), never a PID, so polkit
 * gets the caller's identity from the bus broker, race-free. Any failure to
 * get an answer denies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-names.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "polkit.h"
#include "time-util.h"

#define POLKIT_DEST "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
#define POLKIT_ALLOW_USER_INTERACTION 1U
/* Interactive authentication can take a person a while. */
#define POLKIT_TIMEOUT_USEC (5 * 60 * USEC_PER_SEC)

/* How long a "yes" from polkit is reused for the same connection. Short:
 * an admin's change of rules applies within this time. */
#define POLKIT_CACHE_USEC (10 * USEC_PER_SEC)

static bool cache_lookup(Manager *m, const char *sender, const char *action) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (!sender)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(m->polkit_cache); i++)
                if (m->polkit_cache[i].until_usec > now && strcmp(m->polkit_cache[i].name, sender) == 0 &&
                    strcmp(m->polkit_cache[i].action, action) == 0)
                        return true;
        return false;
}

static void cache_store(Manager *m, const char *sender, const char *action) {
        if (!sender || strlen(sender) >= sizeof m->polkit_cache[0].name ||
            strlen(action) >= sizeof m->polkit_cache[0].action)
                return;
        unsigned slot = m->polkit_cache_next++ % ELEMENTSOF(m->polkit_cache);
        strcpy(m->polkit_cache[slot].name, sender);
        strcpy(m->polkit_cache[slot].action, action);
        m->polkit_cache[slot].until_usec = now_usec(CLOCK_MONOTONIC) + POLKIT_CACHE_USEC;
}

typedef struct PolkitQuery {
        Manager *manager;
        struct PolkitQuery *next;
        sd_bus_message *request;
        char *action;
        sd_bus_slot *slot;
        bool done;
        int result;                /* 1 allowed, -EACCES denied, -EBUSY challenge */
        char *error_message;
} PolkitQuery;

static void query_free(PolkitQuery *q) {
        for (PolkitQuery **p = &q->manager->polkit_queries; *p; p = &(*p)->next)
                if (*p == q) {
                        *p = q->next;
                        break;
                }
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        free(q->action);
        free(q->error_message);
        free(q);
}

void polkit_free_all(Manager *m) {
        while (m->polkit_queries)
                query_free(m->polkit_queries);
}

/* CheckAuthorization for the sender of call, by its bus name. */
static int new_check_message(Manager *m, sd_bus_message *call, const char *action, bool interactive,
                             sd_bus_message **ret) {
        int r = sd_bus_message_new_method_call(m->bus, ret, POLKIT_DEST, POLKIT_PATH, POLKIT_INTERFACE,
                                               "CheckAuthorization");
        if (r < 0)
                return r;
        return sd_bus_message_append(*ret, "(sa{sv})sa{ss}us",
                                     "system-bus-name", 1, "name", "s", sd_bus_message_get_sender(call),
                                     action, 0,
                                     interactive ? POLKIT_ALLOW_USER_INTERACTION : 0U, "");
}

/* Common start of both checks: 1 when no question needs asking. */
static int check_trivially_allowed(Manager *m, sd_bus_message *call, const char *action, sd_bus_error *error) {
        uid_t uid;

        if (manager_caller_uid(m, call, &uid) < 0)
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED, "Cannot determine the caller.");
        return uid == 0 || cache_lookup(m, sd_bus_message_get_sender(call), action);
}

/* Reads polkit's (bba{ss}) answer into 1, -EACCES or -EBUSY. */
static int parse_answer(sd_bus_message *reply) {
        int authorized, challenge, r;

        r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
        if (r < 0)
                return r;
        if (authorized)
                return 1;
        return challenge ? -EBUSY : -EACCES;
}

static int set_denied(int result, const char *action, sd_bus_error *error) {
        if (result == -EBUSY)
                return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                                         "Authentication is required for %s.", action);
        return sd_bus_error_setf(error, JOBWORKER_ERROR_ACCESS_DENIED, "Not authorized for %s.", action);
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        q->slot = sd_bus_slot_unref(q->slot);
        q->done = true;
        if (e) {
                /* A caller that hung up before polkit looked at it is no news. */
                log_full_errno(e->message && strstr(e->message, "NameHasNoOwner") ? LOG_DEBUG : LOG_WARNING,
                               0, "polkit could not decide %s: %s", q->action, e->message ? e->message : e->name);
                q->result = -EACCES;
        } else {
                q->result = parse_answer(reply);
                if (q->result < 0 && q->result != -EBUSY)
                        q->result = -EACCES;
        }
        /* Run the method again; this time its check finds the answer. */
        int r = sd_bus_enqueue_for_read(q->manager->bus, q->request);
        if (r < 0) {
                log_error_errno(r, "Failed to resume a call after polkit answered: %m");
                (void) sd_bus_reply_method_errorf(q->request, JOBWORKER_ERROR_ACCESS_DENIED,
                                                  "Authorization failed.");
                query_free(q);
        }
        return 0;
}

int polkit_check_async(Manager *m, sd_bus_message *call, const char *action, bool interactive,
                       sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *check = NULL;
        int r;

        r = check_trivially_allowed(m, call, action, error);
        if (r != 0)
                return r;

        for (PolkitQuery *q = m->polkit_queries; q; q = q->next)
                if (q->request == call && strcmp(q->action, action) == 0) {
                        if (!q->done)
                                return 0;
                        int result = q->result;
                        query_free(q);
                        if (result > 0)
                                cache_store(m, sd_bus_message_get_sender(call), action);
                        return result > 0 ? 1 : set_denied(result, action, error);
                }

        PolkitQuery *q = calloc(1, sizeof(PolkitQuery));
        if (!q)
                return -ENOMEM;
        q->manager = m;
        q->request = sd_bus_message_ref(call);
        q->action = strdup(action);
        q->next = m->polkit_queries;
        m->polkit_queries = q;
        if (!q->action) {
                query_free(q);
                return -ENOMEM;
        }

        r = new_check_message(m, call, action,
                              interactive && sd_bus_message_get_allow_interactive_authorization(call) > 0, &check);
        if (r >= 0)
                r = sd_bus_call_async(m->bus, &q->slot, check, on_check_reply, q, POLKIT_TIMEOUT_USEC);
        if (r < 0) {
                query_free(q);
                log_error_errno(r, "Failed to ask polkit: %m");
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED, "Cannot ask polkit.");
        }
        return 0;
}

int polkit_check_sync(Manager *m, sd_bus_message *call, const char *action, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *check = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;

        r = check_trivially_allowed(m, call, action, error);
        if (r != 0)
                return r;
        r = new_check_message(m, call, action, false, &check);
        if (r >= 0)
                r = sd_bus_call(m->bus, check, 0, &e, &reply);
        if (r < 0) {
                log_warning("polkit could not decide %s: %s", action, e.message ? e.message : strerror(-r));
                sd_bus_error_free(&e);
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED, "Cannot ask polkit.");
        }
        r = parse_answer(reply);
        if (r > 0) {
                cache_store(m, sd_bus_message_get_sender(call), action);
                return 1;
        }
        return set_denied(r == -EBUSY ? -EBUSY : -EACCES, action, error);
}
