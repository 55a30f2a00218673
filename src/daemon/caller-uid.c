/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The caller's uid without a synchronous call to the bus broker: see
 * caller-uid.h. sd_bus_query_sender_creds() would ask dbus-daemon with
 * sd_bus_call(), and the whole daemon would wait for the answer. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-names.h"
#include "caller-uid.h"
#include "log.h"
#include "macro.h"
#include "time-util.h"

/* Unique names are never reused while the bus runs, so a sender's uid never
 * changes and may be kept. An entry must only live from the broker's answer
 * to the dispatch of the calls it held, which comes first: sd-bus reads
 * nothing new from the socket (and so no other answer) while calls it was
 * handed back wait in its queue. The rest is saved round trips. */
#define CACHE_SIZE 256U

/* Calls held at once, all senders together. A sender's uid is unknown
 * until the broker answers, so this cannot be per user: past it, a call of
 * a new sender is refused at once instead of kept in our memory. */
#define HELD_MAX 4096U

/* The broker answers at once, for a sender gone too; only a dead broker
 * takes this long. Short would fail callers whenever our own loop is slow
 * to read the answer (a busy daemon under load). */
#define LOOKUP_TIMEOUT_USEC (60 * USEC_PER_SEC)

typedef struct Lookup Lookup;

struct Lookup {
        CallerUids *owner;
        Lookup *next;
        char *sender;
        sd_bus_slot *slot;
        sd_bus_message **held;
        size_t n_held;
};

struct CallerUids {
        sd_bus *bus;
        sd_bus_slot *filter;
        struct {
                char *sender;
                uid_t uid;
        } cache[CACHE_SIZE];
        unsigned cache_next;
        Lookup *lookups;
        unsigned n_lookups;
        unsigned n_held;
        /* Calls handed back to sd-bus and not yet through the filter again:
         * still pending (an exit now would drop them unanswered). */
        sd_bus_message **requeued;
        size_t n_requeued;
};

/* The held and the handed-back calls: arrays of references. */
static int messages_push(sd_bus_message ***a, size_t *n, sd_bus_message *m) {
        sd_bus_message **grown = realloc(*a, (*n + 1) * sizeof(sd_bus_message *));
        if (!grown)
                return -ENOMEM;
        *a = grown;
        grown[(*n)++] = sd_bus_message_ref(m);
        return 0;
}

static void messages_free(sd_bus_message **a, size_t n) {
        for (size_t i = 0; i < n; i++)
                sd_bus_message_unref(a[i]);
        free(a);
}

static void lookup_free(Lookup *l) {
        CallerUids *c = l->owner;

        for (Lookup **p = &c->lookups; *p; p = &(*p)->next)
                if (*p == l) {
                        *p = l->next;
                        break;
                }
        c->n_lookups--;
        c->n_held -= (unsigned) l->n_held;
        messages_free(l->held, l->n_held);
        sd_bus_slot_unref(l->slot);
        free(l->sender);
        free(l);
}

int caller_uids_new(sd_bus *bus, CallerUids **ret) {
        CallerUids *c;

        assert(bus);
        assert(ret);
        c = calloc(1, sizeof(CallerUids));
        if (!c)
                return -ENOMEM;
        c->bus = sd_bus_ref(bus);
        *ret = c;
        return 0;
}

CallerUids *caller_uids_free(CallerUids *c) {
        if (!c)
                return NULL;
        while (c->lookups)
                lookup_free(c->lookups);
        for (size_t i = 0; i < CACHE_SIZE; i++)
                free(c->cache[i].sender);
        messages_free(c->requeued, c->n_requeued);
        sd_bus_slot_unref(c->filter);
        sd_bus_unref(c->bus);
        free(c);
        return NULL;
}

static int cache_find(const CallerUids *c, const char *sender) {
        for (size_t i = 0; i < CACHE_SIZE; i++)
                if (c->cache[i].sender && strcmp(c->cache[i].sender, sender) == 0)
                        return (int) i;
        return -ENOENT;
}

static int cache_store(CallerUids *c, const char *sender, uid_t uid) {
        char *copy = strdup(sender);
        if (!copy)
                return -ENOMEM;
        unsigned slot = c->cache_next++ % CACHE_SIZE;
        free(c->cache[slot].sender);
        c->cache[slot].sender = copy;
        c->cache[slot].uid = uid;
        return 0;
}

int caller_uid_get(CallerUids *c, sd_bus_message *call, uid_t *ret) {
        const char *sender = sd_bus_message_get_sender(call);
        int i;

        assert(c);
        assert(ret);
        if (!sender)
                return -ESRCH;
        i = cache_find(c, sender);
        if (i < 0)
                return -ESRCH;
        *ret = c->cache[i].uid;
        return 0;
}

unsigned caller_uids_pending(const CallerUids *c) {
        return c ? c->n_lookups + (unsigned) c->n_requeued : 0;
}

static int requeue(CallerUids *c, sd_bus_message *call) {
        int r = messages_push(&c->requeued, &c->n_requeued, call);
        if (r < 0)
                return r;
        r = sd_bus_enqueue_for_read(c->bus, call);
        if (r < 0)
                sd_bus_message_unref(c->requeued[--c->n_requeued]);
        return r;
}

/* call is back in the filter: no longer pending. */
static void requeued_arrived(CallerUids *c, sd_bus_message *call) {
        for (size_t i = 0; i < c->n_requeued; i++)
                if (c->requeued[i] == call) {
                        sd_bus_message_unref(call);
                        c->requeued[i] = c->requeued[--c->n_requeued];
                        return;
                }
}

static void refuse(sd_bus_message *call, const char *error, const char *text) {
        if (sd_bus_message_get_expect_reply(call))
                (void) sd_bus_reply_method_errorf(call, error, "%s", text);
}

static int on_lookup_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Lookup *l = userdata;
        CallerUids *c = l->owner;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        uint32_t uid = 0;
        int r;

        if (e)
                r = -sd_bus_error_get_errno(e);
        else
                r = sd_bus_message_read(reply, "u", &uid);
        if (r >= 0 && uid == UINT32_MAX)
                r = -EBADMSG;
        if (r >= 0)
                r = cache_store(c, l->sender, (uid_t) uid);
        if (r < 0) {
                /* Mostly a sender gone before the broker was asked: the
                 * answers then reach nobody. */
                log_debug("Cannot learn the uid of %s (%s), refusing its %zu calls.", l->sender,
                          e ? e->name : strerror(-r), l->n_held);
                for (size_t i = 0; i < l->n_held; i++)
                        refuse(l->held[i], JOBWORKER_ERROR_ACCESS_DENIED, "Cannot determine the caller.");
        } else
                /* Back to the start of the dispatch, every filter again, now
                 * with the uid known. In order: a sender's calls stay in the
                 * order it sent them. */
                for (size_t i = 0; i < l->n_held; i++) {
                        r = requeue(c, l->held[i]);
                        if (r < 0) {
                                log_warning_errno(r, "Failed to dispatch a call of %s again: %m", l->sender);
                                refuse(l->held[i], SD_BUS_ERROR_NO_MEMORY, "Out of memory.");
                        }
                }
        lookup_free(l);
        return 0;
}

static int hold(Lookup *l, sd_bus_message *call) {
        int r = messages_push(&l->held, &l->n_held, call);
        if (r >= 0)
                l->owner->n_held++;
        return r;
}

static int lookup_start(CallerUids *c, const char *sender, Lookup **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *q = NULL;
        Lookup *l;
        int r;

        l = calloc(1, sizeof(Lookup));
        if (!l)
                return -ENOMEM;
        *l = (Lookup) { .owner = c, .next = c->lookups, .sender = strdup(sender) };
        c->lookups = l;
        c->n_lookups++;
        if (!l->sender) {
                lookup_free(l);
                return -ENOMEM;
        }
        /* The broker's own record of the connection (SO_PEERCRED when it
         * connected), never /proc. */
        r = sd_bus_message_new_method_call(c->bus, &q, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "GetConnectionUnixUser");
        if (r >= 0)
                r = sd_bus_message_append(q, "s", sender);
        if (r >= 0)
                r = sd_bus_call_async(c->bus, &l->slot, q, on_lookup_reply, l, LOOKUP_TIMEOUT_USEC);
        if (r < 0) {
                lookup_free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static int caller_filter(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        CallerUids *c = userdata;
        const char *sender;
        Lookup *l;
        int r;

        if (sd_bus_message_is_method_call(call, NULL, NULL) <= 0)
                return 0;
        requeued_arrived(c, call);
        sender = sd_bus_message_get_sender(call);
        if (!sender || cache_find(c, sender) >= 0)
                return 0;       /* without a sender, caller_uid_get() says "unknown" */

        if (c->n_held >= HELD_MAX) {
                refuse(call, JOBWORKER_ERROR_LIMIT_EXCEEDED, "Too many calls of new callers at once; call again.");
                return 1;
        }
        for (l = c->lookups; l; l = l->next)
                if (strcmp(l->sender, sender) == 0)
                        break;
        if (!l) {
                r = lookup_start(c, sender, &l);
                if (r < 0)
                        return r;       /* sd-bus answers the call with the error */
        }
        r = hold(l, call);
        if (r < 0) {
                if (l->n_held == 0)
                        lookup_free(l);
                return r;
        }
        return 1;
}

int caller_uids_attach(CallerUids *c) {
        assert(c);
        /* sd-bus runs the filter added last first. */
        return sd_bus_add_filter(c->bus, &c->filter, caller_filter, c);
}
