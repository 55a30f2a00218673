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
 * them for systemd: further questions wait here and are asked, round-robin
 * over uids, as answers come in. No uid gets more than
 * POLKIT_ASKED_PER_UID_MAX of these slots, so one user's questions that
 * polkit never answers (an agent of theirs that never replies) cannot hold
 * up everyone else's. */
#define POLKIT_CALLS_MAX 48

/* How long a "yes" from polkit is reused for the same connection. Short:
 * an admin's change of rules applies within this time. */
#define POLKIT_CACHE_USEC (10 * USEC_PER_SEC)
/* And a "no" to a question that could not prompt: a client that probes
 * many paths one after the other asks polkit once. Shorter still. */
#define POLKIT_CACHE_NO_USEC (3 * USEC_PER_SEC)

typedef enum QueryState {
        QUERY_NEW,       /* being set up or torn down: counted nowhere */
        QUERY_WAITING,   /* not yet sent: no free slot */
        QUERY_ASKED,     /* sent, no answer yet */
        QUERY_ANSWERED,  /* answered, the call re-enqueued; waiting for it to come back */
} QueryState;

/* The questions of one uid, for the per-uid limits. */
typedef struct PolkitUser PolkitUser;
struct PolkitUser {
        PolkitUser *next;
        uid_t uid;
        unsigned n_queries, n_asked, n_waiting;
};

typedef struct PolkitQuery PolkitQuery;
struct PolkitQuery {
        Polkit *polkit;
        PolkitQuery *prev, *next;
        PolkitUser *user;
        sd_bus_message *request;
        char *action;
        bool interactive;             /* asked with ALLOW_USER_INTERACTION */
        bool quick;                   /* POLKIT_QUICK: the deadline includes the wait */
        uint64_t deadline_usec;       /* CLOCK_MONOTONIC: denied if not asked (quick: answered) by then */
        QueryState state;
        sd_event_source *timer;       /* while waiting: the deadline */
        sd_bus_slot *slot;            /* while asked */
        sd_event_source *defer;       /* once answered: frees us if the call never asks again */
        int result;                   /* 1 allowed, -EACCES denied, -EBUSY challenge */
};

struct Polkit {
        sd_bus *bus;
        PolkitQuery *queries, *queries_tail;  /* oldest first */
        unsigned n_queries, n_asked, n_waiting;
        PolkitUser *users;                    /* those with questions */
        uid_t last_uid;                       /* round-robin: the uid served last */
        bool have_last;
        bool refuse_new;

        /* polkit's recent answers per connection and action: a client that
         * reads a job's properties and then waits on it asks the same
         * question many times, and polkitd is slow to answer under load. */
        struct {
                char name[32];
                char action[48];
                int result;           /* 1, or a "no" (-EACCES, -EBUSY) to a question that could not prompt */
                uint64_t until_usec;  /* CLOCK_MONOTONIC */
        } cache[128];
        unsigned cache_next;
};

/* 1 for a remembered yes, the remembered no (< 0) when it applies (only to
 * questions that cannot prompt either), 0 when nothing is remembered. */
static int cache_lookup(Polkit *p, const char *sender, const char *action, bool interactive) {
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (!sender)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(p->cache); i++)
                if (p->cache[i].until_usec > now && strcmp(p->cache[i].name, sender) == 0 &&
                    strcmp(p->cache[i].action, action) == 0) {
                        if (p->cache[i].result > 0 || !interactive)
                                return p->cache[i].result;
                        return 0;
                }
        return 0;
}

static void cache_store(Polkit *p, const char *sender, const char *action, int result) {
        if (!sender || strlen(sender) >= sizeof p->cache[0].name || strlen(action) >= sizeof p->cache[0].action)
                return;
        /* At most one entry per key: the newest answer is the one that holds. */
        for (size_t i = 0; i < ELEMENTSOF(p->cache); i++)
                if (strcmp(p->cache[i].name, sender) == 0 && strcmp(p->cache[i].action, action) == 0)
                        p->cache[i].until_usec = 0;
        unsigned slot = p->cache_next++ % ELEMENTSOF(p->cache);
        strcpy(p->cache[slot].name, sender);
        strcpy(p->cache[slot].action, action);
        p->cache[slot].result = result;
        p->cache[slot].until_usec = now_usec(CLOCK_MONOTONIC) +
                                    (result > 0 ? POLKIT_CACHE_USEC : POLKIT_CACHE_NO_USEC);
}

static PolkitUser *user_find(Polkit *p, uid_t uid) {
        for (PolkitUser *u = p->users; u; u = u->next)
                if (u->uid == uid)
                        return u;
        return NULL;
}

static PolkitUser *user_get(Polkit *p, uid_t uid) {
        PolkitUser *u = user_find(p, uid);

        if (u)
                return u;
        u = calloc(1, sizeof(PolkitUser));
        if (!u)
                return NULL;
        u->uid = uid;
        u->next = p->users;
        p->users = u;
        return u;
}

static void user_unref(Polkit *p, PolkitUser *u) {
        if (--u->n_queries > 0)
                return;
        for (PolkitUser **l = &p->users; *l; l = &(*l)->next)
                if (*l == u) {
                        *l = u->next;
                        break;
                }
        free(u);
}

/* Moves q to state, keeping the counts of asked and waiting questions. */
static void query_set_state(PolkitQuery *q, QueryState state) {
        Polkit *p = q->polkit;

        if (q->state == QUERY_ASKED) {
                p->n_asked--;
                q->user->n_asked--;
        } else if (q->state == QUERY_WAITING) {
                p->n_waiting--;
                q->user->n_waiting--;
        }
        q->state = state;
        if (state == QUERY_ASKED) {
                p->n_asked++;
                q->user->n_asked++;
        } else if (state == QUERY_WAITING) {
                p->n_waiting++;
                q->user->n_waiting++;
        }
}

ssize_t polkit_pick_waiting(const uid_t *uids, const unsigned *asked, size_t n, uid_t last, bool have_last,
                            unsigned per_uid_max) {
        ssize_t after = -1, any = -1;

        assert(uids || n == 0);
        assert(asked || n == 0);
        /* Strictly smaller uids only replace a choice: of one uid's
         * questions, the oldest is taken. */
        for (size_t i = 0; i < n; i++) {
                if (asked[i] >= per_uid_max)
                        continue;
                if (have_last && uids[i] > last && (after < 0 || uids[i] < uids[after]))
                        after = (ssize_t) i;
                if (any < 0 || uids[i] < uids[any])
                        any = (ssize_t) i;
        }
        return after >= 0 ? after : any;
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
        if (q->user) {
                query_set_state(q, QUERY_NEW);
                user_unref(p, q->user);
        }
        sd_bus_slot_unref(q->slot);
        sd_event_source_disable_unref(q->timer);
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
        assert(!p->users);
        sd_bus_unref(p->bus);
        free(p);
        return NULL;
}

unsigned polkit_n_queries(const Polkit *p) {
        return p ? p->n_queries : 0;
}

void polkit_refuse_new(Polkit *p) {
        assert(p);
        p->refuse_new = true;
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
        if (result == -EUSERS)
                return sd_bus_error_set(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                        "Too many of your calls are waiting for polkit; "
                                        "try again once they are answered.");
        if (result == -EBUSY)
                return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
                                         "Authentication is required for %s.", action);
        /* Not polkit's "no": the question never got a turn, because too
         * many of the caller's own were ahead of it. Saying "not
         * authorized" would be a lie the caller might act on; a D-Bus
         * Timeout would read as "maybe it happened". */
        if (result == -ETIMEDOUT)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "polkit was not asked about %s in time: too many of your calls are waiting "
                                         "for it; try again once they are answered.", action);
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

/* Asks waiting questions, round-robin over uids, as far as the limits allow. */
static void polkit_send_waiting(Polkit *p);

/* Records the answer and dispatches the call again: this time its check
 * finds the answer. */
static void query_answer(PolkitQuery *q, int result) {
        Polkit *p = q->polkit;
        sd_event *event = sd_bus_get_event(p->bus);
        int r;

        query_set_state(q, QUERY_ANSWERED);
        q->result = result;
        q->slot = sd_bus_slot_unref(q->slot);
        q->timer = sd_event_source_disable_unref(q->timer);

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
                /* polkit's own answers only, not a failure to get one; a
                 * "no" only when it could not prompt. */
                if (result > 0 || !q->interactive)
                        cache_store(p, sd_bus_message_get_sender(q->request), q->action, result);
        }
        query_answer(q, result);
        polkit_send_waiting(p);
        return 0;
}

static uint64_t query_timeout(const PolkitQuery *q) {
        return q->interactive ? POLKIT_INTERACTIVE_TIMEOUT_USEC :
               q->quick ? POLKIT_QUICK_TIMEOUT_USEC : POLKIT_TIMEOUT_USEC;
}

/* CheckAuthorization for the sender of the call, by its bus name. polkit
 * gets the question's full time, except a quick one, whose few seconds
 * count from when it was put (a listing must not wait long in all); a
 * question that waited for a slot has at most its time again. */
static int query_send(PolkitQuery *q) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *check = NULL;
        Polkit *p = q->polkit;
        uint64_t now = now_usec(CLOCK_MONOTONIC);
        int r;

        if (now >= q->deadline_usec)
                return -ETIME;
        uint64_t timeout = q->quick ? q->deadline_usec - now : query_timeout(q);
        r = sd_bus_message_new_method_call(p->bus, &check, POLKIT_DEST, POLKIT_PATH, POLKIT_INTERFACE,
                                           "CheckAuthorization");
        if (r < 0)
                return r;
        r = sd_bus_message_append(check, "(sa{sv})sa{ss}us",
                                  "system-bus-name", 1, "name", "s", sd_bus_message_get_sender(q->request),
                                  q->action, 0,
                                  q->interactive ? POLKIT_ALLOW_USER_INTERACTION : 0U, "");
        if (r < 0)
                return r;
        r = sd_bus_call_async(p->bus, &q->slot, check, on_check_reply, q, timeout);
        if (r < 0)
                return r;
        query_set_state(q, QUERY_ASKED);
        q->timer = sd_event_source_disable_unref(q->timer);
        return 0;
}

static void polkit_send_waiting(Polkit *p) {
        while (p->n_waiting > 0 && p->n_asked < POLKIT_CALLS_MAX) {
                _cleanup_free_ PolkitQuery **waiting = calloc(p->n_waiting, sizeof(PolkitQuery *));
                _cleanup_free_ uid_t *uids = calloc(p->n_waiting, sizeof(uid_t));
                _cleanup_free_ unsigned *asked = calloc(p->n_waiting, sizeof(unsigned));
                size_t n = 0;

                if (!waiting || !uids || !asked) {
                        /* Their deadlines still answer them. */
                        log_error("Out of memory choosing the next question for polkit.");
                        return;
                }
                for (PolkitQuery *q = p->queries; q && n < p->n_waiting; q = q->next)
                        if (q->state == QUERY_WAITING) {
                                waiting[n] = q;
                                uids[n] = q->user->uid;
                                asked[n++] = q->user->n_asked;
                        }
                ssize_t i = polkit_pick_waiting(uids, asked, n, p->last_uid, p->have_last,
                                                POLKIT_ASKED_PER_UID_MAX);
                if (i < 0)
                        return;  /* every waiting uid has its share out */
                PolkitQuery *q = waiting[i];
                p->last_uid = q->user->uid;
                p->have_last = true;
                int r = query_send(q);
                if (r < 0) {
                        log_full_errno(r == -ETIME ? LOG_DEBUG : LOG_ERR, r, "Failed to ask polkit: %m");
                        query_answer(q, r == -ETIME ? -ETIMEDOUT : -EACCES);
                }
        }
}

/* A waiting question that got no slot in its time is a "no", like one
 * polkit did not answer in time: a listing, say, then shows one's own jobs
 * after 3 seconds, not minutes. */
static int on_query_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        PolkitQuery *q = userdata;

        log_debug("No free slot to ask polkit %s for uid %u in time, refused.", q->action, (unsigned) q->user->uid);
        query_answer(q, -ETIMEDOUT);
        return 0;
}

int polkit_check(Polkit *p, sd_bus_message *call, uid_t uid, const char *action, PolkitFlags flags,
                 sd_bus_error *error) {
        const char *sender = sd_bus_message_get_sender(call);
        bool interactive = (flags & POLKIT_INTERACTIVE) &&
                           sd_bus_message_get_allow_interactive_authorization(call) > 0;
        int r;

        assert(p);
        assert(call);
        assert(action);

        /* The call back with its answer, first: that frees the question. */
        for (PolkitQuery *q = p->queries; q; q = q->next)
                if (q->request == call && strcmp(q->action, action) == 0) {
                        if (q->state != QUERY_ANSWERED)
                                return 0;
                        int result = q->result;
                        query_free(q);
                        return result > 0 ? 1 : set_denied(result, action, error);
                }

        r = cache_lookup(p, sender, action, interactive);
        if (r > 0)
                return 1;
        if (r < 0)
                return set_denied(r, action, error);

        if (p->refuse_new) {
                /* Exiting: a question may take minutes, and would keep this
                 * instance, which no longer owns the name, alive. */
                r = sd_bus_reply_method_errorf(call, JOBWORKER_ERROR_SHUTTING_DOWN,
                                               "jobworkerd is exiting and did not do this; call again.");
                if (r < 0)
                        log_warning_errno(r, "Failed to answer a call while exiting: %m");
                return 0;
        }

        /* Within the uid's share: asked now if a slot is free, waiting
         * otherwise; past both, refused without asking. */
        PolkitUser *u = user_find(p, uid);
        unsigned n_asked = u ? u->n_asked : 0, n_waiting = u ? u->n_waiting : 0;
        bool send_now = n_asked < POLKIT_ASKED_PER_UID_MAX && p->n_asked < POLKIT_CALLS_MAX;
        unsigned waiting_max = (flags & POLKIT_BOUNDED) ? POLKIT_WAITING_BOUNDED_PER_UID_MAX :
                                                          POLKIT_WAITING_PER_UID_MAX;
        if (!send_now && n_waiting >= waiting_max) {
                log_debug("uid %u has %u questions to polkit out and %u waiting, refusing %s.", (unsigned) uid,
                          n_asked, n_waiting, action);
                return set_denied(-EUSERS, action, error);
        }

        PolkitQuery *q = calloc(1, sizeof(PolkitQuery));
        if (!q)
                return -ENOMEM;
        *q = (PolkitQuery) {
                .polkit = p,
                .request = sd_bus_message_ref(call),
                .action = strdup(action),
                .interactive = interactive,
                .quick = flags & POLKIT_QUICK,
                .state = QUERY_NEW,
                .prev = p->queries_tail,
        };
        if (p->queries_tail)
                p->queries_tail->next = q;
        else
                p->queries = q;
        p->queries_tail = q;
        p->n_queries++;
        q->deadline_usec = now_usec(CLOCK_MONOTONIC) + query_timeout(q);
        q->user = user_get(p, uid);
        if (q->user)
                q->user->n_queries++;
        if (!q->action || !q->user) {
                query_free(q);
                return -ENOMEM;
        }

        if (!send_now) {
                /* Asked when a slot is free, or denied at the deadline. */
                sd_event *event = sd_bus_get_event(p->bus);
                r = event ? sd_event_add_time(event, &q->timer, CLOCK_MONOTONIC, q->deadline_usec, 0,
                                              on_query_deadline, q) : -ENXIO;
                if (r < 0) {
                        query_free(q);
                        log_error_errno(r, "Failed to arm the deadline of a polkit question: %m");
                        return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED, "Cannot ask polkit.");
                }
                query_set_state(q, QUERY_WAITING);
                return 0;
        }
        r = query_send(q);
        if (r < 0) {
                query_free(q);
                log_error_errno(r, "Failed to ask polkit: %m");
                return sd_bus_error_set(error, JOBWORKER_ERROR_ACCESS_DENIED, "Cannot ask polkit.");
        }
        return 0;
}
