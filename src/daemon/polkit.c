/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit over plain sd-bus, as systemd's bus-polkit.c does: the subject is
 * the caller's unique bus name ("system-bus-name"), never a PID, so polkit
 * gets the caller's identity from the bus broker, race-free. Asked
 * asynchronously only; any failure to get an answer denies. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "bus-names.h"
#include "log.h"
#include "macro.h"
#include "polkit.h"
#include "time-util.h"

#define POLKIT_DEST "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
#define POLKIT_ALLOW_USER_INTERACTION 1U

/* Interactive authentication can take a person a while. */
#define POLKIT_INTERACTIVE_TIMEOUT_USEC (5 * 60 * USEC_PER_SEC)
#define POLKIT_TIMEOUT_USEC (25 * USEC_PER_SEC)
#define POLKIT_QUICK_TIMEOUT_USEC (3 * USEC_PER_SEC)

/* dbus-daemon lets one connection have 128 calls awaiting replies
 * (max_replies_per_connection); calls of ours past that fail. Keep most of
 * them for systemd: further questions wait here, in order, and are asked as
 * answers come in. */
#define POLKIT_CALLS_MAX 48

/* How long a "yes" from polkit is reused for the same connection. Short:
 * an admin's change of rules applies within this time. */
#define POLKIT_CACHE_USEC (10 * USEC_PER_SEC)

typedef enum QueryState {
        QUERY_WAITING,   /* not yet sent: too many calls in flight */
        QUERY_ASKED,     /* sent, no answer yet */
        QUERY_ANSWERED,  /* answered, the call re-enqueued; waiting for it to come back */
} QueryState;

typedef struct PolkitQuery PolkitQuery;
struct PolkitQuery {
        Polkit *polkit;
        PolkitQuery *prev, *next;
        sd_bus_message *request;
        char *action;
        PolkitFlags flags;
        QueryState state;
        sd_bus_slot *slot;            /* while asked */
        sd_event_source *defer;       /* once answered: frees us if the call never asks again */
        int result;                   /* 1 allowed, -EACCES denied, -EBUSY challenge */
};

struct Polkit {
        sd_bus *bus;
        PolkitQuery *queries, *queries_tail;  /* oldest first */
        unsigned n_queries, n_asked;

        /* polkit's recent "yes" answers per connection and action: a client
         * that reads a job's properties and then waits on it asks the same
         * question many times, and polkitd is slow to answer under load. */
        struct {
                char name[32];
                char action[48];
                uint64_t until_usec;  /* CLOCK_MONOTONIC */
        } cache[128];
        unsigned cache_next;
};

static bool cache_lookup(Polkit *p, const char *sender, const char *action) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (!sender)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(p->cache); i++)
                if (p->cache[i].until_usec > now && strcmp(p->cache[i].name, sender) == 0 &&
                    strcmp(p->cache[i].action, action) == 0)
                        return true;
        return false;
}

static void cache_store(Polkit *p, const char *sender, const char *action) {
        if (!sender || strlen(sender) >= sizeof p->cache[0].name || strlen(action) >= sizeof p->cache[0].action)
                return;
        unsigned slot = p->cache_next++ % ELEMENTSOF(p->cache);
        strcpy(p->cache[slot].name, sender);
        strcpy(p->cache[slot].action, action);
        p->cache[slot].until_usec = now_usec(CLOCK_MONOTONIC) + POLKIT_CACHE_USEC;
}

static void query_free(PolkitQuery *q) {
        Polkit *p = q->polkit;

        if (q->prev)
                q->prev->next = q->next;
        else
                p->queries = q->next;
        if (q->next)
                q->next->prev = q->prev;
        else
                p->queries_tail = q->prev;
        p->n_queries--;
        if (q->state == QUERY_ASKED)
                p->n_asked--;
        sd_bus_slot_unref(q->slot);
        sd_event_source_disable_unref(q->defer);
        sd_bus_message_unref(q->request);
        free(q->action);
        free(q);
}

int polkit_new(sd_bus *bus, Polkit **ret) {
        Polkit *p = calloc(1, sizeof(Polkit));

        assert(bus);
        assert(ret);
        if (!p)
                return -ENOMEM;
        p->bus = sd_bus_ref(bus);
        *ret = p;
        return 0;
}

Polkit *polkit_free(Polkit *p) {
        if (!p)
                return NULL;
        while (p->queries)
                query_free(p->queries);
        sd_bus_unref(p->bus);
        free(p);
        return NULL;
}

unsigned polkit_n_queries(const Polkit *p) {
        return p ? p->n_queries : 0;
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

/* The call the query was asked for is frozen (its handler returned 1 without
 * replying); this frees the query when that call, dispatched again, never
 * reached polkit_check() again: the job it was for went away meanwhile, an
 * earlier check failed, the client hung up. Idle priority: by then the
 * re-enqueued call has been dispatched (bus-polkit.c does the same). */
static int on_query_defer(sd_event_source *s, void *userdata) {
        PolkitQuery *q = userdata;

        query_free(q);
        return 0;
}

static int query_send(PolkitQuery *q);

/* Asks the oldest waiting questions, as far as the limit allows. */
static void polkit_send_waiting(Polkit *p);

/* Records the answer and dispatches the call again: this time its check
 * finds the answer. */
static void query_answer(PolkitQuery *q, int result) {
        Polkit *p = q->polkit;
        sd_event *event = sd_bus_get_event(p->bus);
        int r;

        if (q->state == QUERY_ASKED)
                p->n_asked--;
        q->state = QUERY_ANSWERED;
        q->result = result;
        q->slot = sd_bus_slot_unref(q->slot);

        r = event ? sd_event_add_defer(event, &q->defer, on_query_defer, q) : -ENXIO;
        if (r >= 0)
                r = sd_event_source_set_priority(q->defer, SD_EVENT_PRIORITY_IDLE);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the clean-up of a polkit query, it stays until exit: %m");

        r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(p->bus, q->request);
        if (r < 0) {
                log_error_errno(r, "Failed to resume a call after polkit answered: %m");
                (void) sd_bus_reply_method_errorf(q->request, JOBWORKER_ERROR_ACCESS_DENIED,
                                                  "Authorization failed.");
                query_free(q);
        }
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        Polkit *p = q->polkit;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int result;

        if (e) {
                /* A caller that hung up before polkit looked at it is no news. */
                log_full_errno(e->message && strstr(e->message, "NameHasNoOwner") ? LOG_DEBUG : LOG_WARNING,
                               0, "polkit could not decide %s: %s", q->action, e->message ? e->message : e->name);
                result = -EACCES;
        } else {
                result = parse_answer(reply);
                if (result < 0 && result != -EBUSY)
                        result = -EACCES;
        }
        query_answer(q, result);
        polkit_send_waiting(p);
        return 0;
}

/* CheckAuthorization for the sender of the call, by its bus name. */
static int query_send(PolkitQuery *q) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *check = NULL;
        Polkit *p = q->polkit;
        bool interactive = (q->flags & POLKIT_INTERACTIVE) &&
                           sd_bus_message_get_allow_interactive_authorization(q->request) > 0;
        uint64_t timeout = interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC :
                           (q->flags & POLKIT_QUICK) ? POLKIT_QUICK_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC;
        int r;

        r = sd_bus_message_new_method_call(p->bus, &check, POLKIT_DEST, POLKIT_PATH, POLKIT_INTERFACE,
                                           "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(check, "(sa{sv})sa{ss}us",
                                  "system-bus-name", 1, "name", "s", sd_bus_message_get_sender(q->request),
                                  q->action, 0,
                                  interactive ? POLKIT_ALLOW_USER_INTERACTION : 0U, "");
        if (r < 0)
                return r;
        r = sd_bus_call_async(p->bus, &q->slot, check, on_check_reply, q, timeout);
        if (r < 0)
                return r;
        q->state = QUERY_ASKED;
        p->n_asked++;
        return 0;
}

static void polkit_send_waiting(Polkit *p) {
        PolkitQuery *q = p->queries;

        while (q && p->n_asked < POLKIT_CALLS_MAX) {
                PolkitQuery *next = q->next;
                if (q->state == QUERY_WAITING) {
                        int r = query_send(q);
                        if (r < 0) {
                                log_error_errno(r, "Failed to ask polkit: %m");
                                query_answer(q, -EACCES);  /* may free q */
                        }
                }
                q = next;
        }
}

int polkit_check(Polkit *p, sd_bus_message *call, const char *action, PolkitFlags flags, sd_bus_error *error) {
        const char *sender = sd_bus_message_get_sender(call);
        int r;

        assert(p);
        assert(call);
        assert(action);

        if (cache_lookup(p, sender, action))
                return 1;

        for (PolkitQuery *q = p->queries; q; q = q->next)
                if (q->request == call && strcmp(q->action, action) == 0) {
                        if (q->state != QUERY_ANSWERED)
                                return 0;
                        int result = q->result;
                        query_free(q);
                        if (result > 0) {
                                cache_store(p, sender, action);
                                return 1;
                        }
                        return set_denied(result, action, error);
                }

        PolkitQuery *q = calloc(1, sizeof(PolkitQuery));
        if (!q)
                return -ENOMEM;
        *q = (PolkitQuery) {
                .polkit = p,
                .request = sd_bus_message_ref(call),
                .action = strdup(action),
                .flags = flags,
                .state = QUERY_WAITING,
                .prev = p->queries_tail,
        };
        if (p->queries_tail)
                p->queries_tail->next = q;
        else
                p->queries = q;
        p->queries_tail = q;
        p->n_queries++;
        if (!q->action) {
                query_free(q);
                return -ENOMEM;
        }
        if (p->n_asked >= POLKIT_CALLS_MAX)
                return 0;  /* asked when an earlier question is answered */
        r = query_send(q);
        if (r < 0) {
                query_free(q);
                log_error_errno(r, "Failed to ask polkit: %m");
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED, "Cannot ask polkit.");
        }
        return 0;
}
