/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lifetime of polkit questions (polkit.c), over a socketpair: one end is
 * the daemon, the other plays both a client and polkitd. A call waits for
 * the answer and is dispatched again with it; an answered question whose
 * call never asks again is freed (idle defer, as systemd's bus-polkit.c);
 * no more than a bounded number of questions are out at once, in all and
 * per uid; past a uid's share of waiting ones, a question is refused; a
 * waiting question has a deadline; the queue is served round-robin over
 * uids; while exiting, new questions are refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>
#include <cmocka.h>

#include "polkit.h"
#include "time-util.h"

#define N_HELD 64

typedef struct Context {
        sd_event *event;
        sd_bus *daemon, *peer;
        Polkit *polkit;
        /* The fake polkitd. */
        int answer;                  /* 1 yes, 0 no */
        bool hold;                   /* keep questions unanswered */
        sd_bus_message *held[N_HELD];
        unsigned n_held, n_asked;
        /* The daemon's handler. */
        bool check_again;            /* false: the call "vanished" on re-dispatch */
        unsigned n_dispatched, n_replied;
        int last_result;
        bool denied_by_name;
        /* The client's replies, by kind. */
        unsigned n_ok, n_limit, n_denied, n_timeout, n_shutting_down;
} Context;

static int fake_polkit(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;

        c->n_asked++;
        if (c->hold) {
                assert_true(c->n_held < N_HELD);
                c->held[c->n_held++] = sd_bus_message_ref(m);
                return 1;
        }
        return sd_bus_reply_method_return(m, "(bba{ss})", c->answer, 0, 0);
}

/* The call carries the uid and the flags it is asked for with ("uu"). */
static int daemon_method(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        uint32_t uid, flags;
        int r;

        c->n_dispatched++;
        if (c->n_dispatched > 1 && !c->check_again)
                return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.UnknownObject", "Gone.");
        assert_true(sd_bus_message_rewind(m, true) >= 0);
        assert_true(sd_bus_message_read(m, "uu", &uid, &flags) >= 0);
        /* The action names the uid, so the fake polkitd can tell whose
         * question it got. */
        char action[64];
        snprintf(action, sizeof action, "org.jobworker1.test.u%u", (unsigned) uid);
        r = polkit_check(c->polkit, m, (uid_t) uid, action, (PolkitFlags) flags, error);
        if (r == 0)
                return 1;
        c->last_result = r;
        if (r < 0) {
                c->denied_by_name = sd_bus_error_has_name(error, "org.jobworker1.Error.AccessDenied");
                return r;
        }
        return sd_bus_reply_method_return(m, NULL);
}

static int on_client_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        c->n_replied++;
        if (!e)
                c->n_ok++;
        else if (sd_bus_error_has_name(e, "org.jobworker1.Error.LimitExceeded"))
                c->n_limit++, c->n_timeout += !!strstr(e->message ?: "", "not asked");
        else if (sd_bus_error_has_name(e, "org.jobworker1.Error.AccessDenied"))
                c->n_denied++;
        else if (sd_bus_error_has_name(e, "org.jobworker1.Error.ShuttingDown"))
                c->n_shutting_down++;
        return 0;
}

static void run_until(Context *c, bool (*done)(Context *c)) {
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + 10 * USEC_PER_SEC;
        while (!done(c)) {
                assert_true(now_usec(CLOCK_MONOTONIC) < deadline);
                assert_true(sd_event_run(c->event, 100 * USEC_PER_MSEC) >= 0);
        }
        /* And let idle sources run. */
        for (int i = 0; i < 20; i++)
                assert_true(sd_event_run(c->event, 0) >= 0);
}

static void setup(Context *c) {
        int fds[2];
        sd_id128_t id;

        memset(c, 0, sizeof *c);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
        assert_true(sd_event_new(&c->event) >= 0);
        assert_true(sd_id128_randomize(&id) >= 0);

        assert_true(sd_bus_new(&c->daemon) >= 0);
        assert_true(sd_bus_set_fd(c->daemon, fds[0], fds[0]) >= 0);
        assert_true(sd_bus_set_server(c->daemon, 1, id) >= 0);
        assert_true(sd_bus_set_anonymous(c->daemon, 1) >= 0);
        assert_true(sd_bus_start(c->daemon) >= 0);
        assert_true(sd_bus_attach_event(c->daemon, c->event, 0) >= 0);

        assert_true(sd_bus_new(&c->peer) >= 0);
        assert_true(sd_bus_set_fd(c->peer, fds[1], fds[1]) >= 0);
        assert_true(sd_bus_set_anonymous(c->peer, 1) >= 0);
        assert_true(sd_bus_start(c->peer) >= 0);
        assert_true(sd_bus_attach_event(c->peer, c->event, 0) >= 0);

        assert_true(sd_bus_add_object(c->peer, NULL, "/org/freedesktop/PolicyKit1/Authority", fake_polkit, c) >= 0);
        assert_true(sd_bus_add_object(c->daemon, NULL, "/test", daemon_method, c) >= 0);
        assert_true(polkit_new(c->daemon, &c->polkit) >= 0);
        c->check_again = true;
        c->answer = 1;
}

static void teardown(Context *c) {
        for (unsigned i = 0; i < c->n_held; i++)
                sd_bus_message_unref(c->held[i]);
        polkit_free(c->polkit);
        sd_bus_flush_close_unref(c->daemon);
        sd_bus_flush_close_unref(c->peer);
        sd_event_unref(c->event);
}

static void call_as(Context *c, uid_t uid, PolkitFlags flags) {
        assert_true(sd_bus_call_method_async(c->peer, NULL, NULL, "/test", "org.jobworker1.Test", "Do",
                                             on_client_reply, c, "uu", (uint32_t) uid, (uint32_t) flags) >= 0);
}

static void call(Context *c) {
        call_as(c, 1000, 0);
}

/* Answers every held question: yes. */
static void release_held(Context *c) {
        c->hold = false;
        for (unsigned i = 0; i < c->n_held; i++) {
                if (!c->held[i])
                        continue;  /* answered already */
                assert_true(sd_bus_reply_method_return(c->held[i], "(bba{ss})", 1, 0, 0) >= 0);
                c->held[i] = sd_bus_message_unref(c->held[i]);
        }
        c->n_held = 0;
}

static bool one_replied(Context *c) {
        return c->n_replied >= 1;
}

static void test_allowed(void **state) {
        Context c;
        setup(&c);
        call(&c);
        run_until(&c, one_replied);
        assert_int_equal(c.n_asked, 1);
        assert_int_equal(c.n_dispatched, 2);  /* asked, then dispatched again with the answer */
        assert_int_equal(c.last_result, 1);
        assert_int_equal(polkit_n_queries(c.polkit), 0);
        teardown(&c);
}

static void test_denied(void **state) {
        Context c;
        setup(&c);
        c.answer = 0;
        call(&c);
        run_until(&c, one_replied);
        assert_true(c.last_result < 0);
        assert_true(c.denied_by_name);
        assert_int_equal(polkit_n_queries(c.polkit), 0);
        teardown(&c);
}

/* The call comes back but never reaches the check (its job went away): the
 * answered question must not stay behind. */
static void test_unclaimed_answer_freed(void **state) {
        Context c;
        setup(&c);
        c.check_again = false;
        call(&c);
        run_until(&c, one_replied);
        assert_int_equal(c.n_dispatched, 2);
        assert_int_equal(polkit_n_queries(c.polkit), 0);
        teardown(&c);
}

static unsigned want_asked, want_replied, want_dispatched;

static bool enough(Context *c) {
        return c->n_asked >= want_asked && c->n_replied >= want_replied && c->n_dispatched >= want_dispatched;
}

static void run_until_counts(Context *c, unsigned asked, unsigned dispatched, unsigned replied) {
        want_asked = asked;
        want_dispatched = dispatched;
        want_replied = replied;
        run_until(c, enough);
}

/* At most 48 questions out at once; the rest wait their turn and are asked
 * as answers come in. 15 uids, 4 calls each. */
static void test_bounded_in_flight(void **state) {
        Context c;
        setup(&c);
        c.hold = true;
        for (uid_t u = 0; u < 15; u++)
                for (int i = 0; i < 4; i++)
                        call_as(&c, 1000 + u, 0);
        run_until_counts(&c, 48, 60, 0);
        assert_int_equal(c.n_asked, 48);
        assert_int_equal(polkit_n_queries(c.polkit), 60);
        release_held(&c);
        run_until_counts(&c, 60, 0, 60);
        assert_int_equal(c.n_asked, 60);
        assert_int_equal(c.n_ok, 60);
        assert_int_equal(polkit_n_queries(c.polkit), 0);
        teardown(&c);
}

/* One uid gets 4 questions out and 16 waiting; the rest of its calls are
 * refused at once, and other users' questions are still asked at once. */
static void test_per_uid_limits(void **state) {
        Context c;
        setup(&c);
        c.hold = true;
        for (int i = 0; i < 30; i++)
                call_as(&c, 666, POLKIT_INTERACTIVE);
        run_until_counts(&c, POLKIT_ASKED_PER_UID_MAX, 30, 30 - POLKIT_ASKED_PER_UID_MAX - POLKIT_WAITING_PER_UID_MAX);
        assert_int_equal(c.n_asked, POLKIT_ASKED_PER_UID_MAX);
        assert_int_equal(c.n_limit, 30 - POLKIT_ASKED_PER_UID_MAX - POLKIT_WAITING_PER_UID_MAX);
        assert_int_equal(polkit_n_queries(c.polkit), POLKIT_ASKED_PER_UID_MAX + POLKIT_WAITING_PER_UID_MAX);

        /* Someone else is not held up by them. */
        for (int i = 0; i < 3; i++)
                call_as(&c, 1000, 0);
        run_until_counts(&c, POLKIT_ASKED_PER_UID_MAX + 3, 33, 0);
        assert_int_equal(c.n_asked, POLKIT_ASKED_PER_UID_MAX + 3);

        release_held(&c);
        run_until_counts(&c, 0, 0, 33);
        assert_int_equal(c.n_ok, POLKIT_ASKED_PER_UID_MAX + POLKIT_WAITING_PER_UID_MAX + 3);
        assert_int_equal(c.n_asked, POLKIT_ASKED_PER_UID_MAX + POLKIT_WAITING_PER_UID_MAX + 3);
        assert_int_equal(polkit_n_queries(c.polkit), 0);
        teardown(&c);
}

/* StartJob's questions (bounded arguments) may wait longer: a user's many
 * parallel starts are not refused while polkitd is slow. */
static void test_per_uid_limits_bounded(void **state) {
        Context c;
        unsigned n = POLKIT_ASKED_PER_UID_MAX + POLKIT_WAITING_BOUNDED_PER_UID_MAX + 2;
        setup(&c);
        c.hold = true;
        for (unsigned i = 0; i < n; i++)
                call_as(&c, 777, POLKIT_BOUNDED | POLKIT_INTERACTIVE);
        run_until_counts(&c, POLKIT_ASKED_PER_UID_MAX, n, 2);
        assert_int_equal(c.n_limit, 2);
        assert_int_equal(polkit_n_queries(c.polkit), n - 2);
        /* A question that holds any message still waits in the short queue. */
        call_as(&c, 777, 0);
        run_until_counts(&c, 0, n + 1, 3);
        assert_int_equal(c.n_limit, 3);
        release_held(&c);
        run_until_counts(&c, n - 2, 0, n + 1);
        assert_int_equal(c.n_ok, n - 2);
        assert_int_equal(polkit_n_queries(c.polkit), 0);
        teardown(&c);
}

/* With every slot taken, a quick question does not wait longer than its 3 s
 * in the queue: it is refused then, as a timeout (polkit never said no). */
static void test_waiting_deadline(void **state) {
        Context c;
        setup(&c);
        c.hold = true;
        for (uid_t u = 0; u < 12; u++)
                for (int i = 0; i < 4; i++)
                        call_as(&c, 1000 + u, 0);
        run_until_counts(&c, 48, 48, 0);
        uint64_t start = now_usec(CLOCK_MONOTONIC);
        call_as(&c, 2000, POLKIT_QUICK);
        run_until_counts(&c, 48, 50, 1);  /* dispatched, then again with the refusal */
        uint64_t waited = now_usec(CLOCK_MONOTONIC) - start;
        assert_int_equal(c.n_timeout, 1);
        assert_int_equal(c.n_denied, 0);
        assert_int_equal(c.n_asked, 48);  /* never sent */
        assert_true(waited >= 2900 * USEC_PER_MSEC);
        assert_true(waited < 6 * USEC_PER_SEC);
        release_held(&c);
        run_until_counts(&c, 0, 0, 49);
        assert_int_equal(polkit_n_queries(c.polkit), 0);
        teardown(&c);
}

/* Whose question the fake polkitd holds, from its action. */
static unsigned held_uid(sd_bus_message *m) {
        const char *action;
        unsigned uid;

        assert_true(sd_bus_message_rewind(m, true) >= 0);
        assert_true(sd_bus_message_skip(m, "(sa{sv})") >= 0);
        assert_true(sd_bus_message_read(m, "s", &action) >= 0);
        assert_int_equal(sscanf(action, "org.jobworker1.test.u%u", &uid), 1);
        return uid;
}

/* A slot that frees up goes to the next uid in turn, not to the oldest
 * question: one user's long queue does not starve another's. */
static void test_round_robin_over_uids(void **state) {
        Context c;
        setup(&c);
        c.hold = true;
        /* 47 slots taken by uids that then wait no more. */
        for (uid_t u = 0; u < 11; u++)
                for (int i = 0; i < 4; i++)
                        call_as(&c, 1000 + u, 0);
        for (int i = 0; i < 3; i++)
                call_as(&c, 1100, 0);
        /* The last slot, then 10 waiting of uid 500, then 1 of uid 600. */
        for (int i = 0; i < 11; i++)
                call_as(&c, 500, 0);
        call_as(&c, 600, 0);
        run_until_counts(&c, 48, 59, 0);
        assert_int_equal(c.n_asked, 48);
        /* Answer 2 held questions of other uids: the freed slots go to 500,
         * then 600 (its turn), not to 500's older questions (FIFO). */
        for (unsigned i = 0; i < 2; i++) {
                assert_true(sd_bus_reply_method_return(c.held[i], "(bba{ss})", 1, 0, 0) >= 0);
                c.held[i] = sd_bus_message_unref(c.held[i]);
        }
        run_until_counts(&c, 50, 0, 2);
        assert_int_equal(c.n_held, 50);
        assert_int_equal(held_uid(c.held[48]), 500);
        assert_int_equal(held_uid(c.held[49]), 600);
        assert_int_equal(polkit_n_queries(c.polkit), 59 - 2);
        release_held(&c);
        run_until_counts(&c, 59, 0, 59);
        assert_int_equal(c.n_ok, 59);
        assert_int_equal(polkit_n_queries(c.polkit), 0);
        teardown(&c);
}

/* Exiting: a new question is refused with ShuttingDown and never asked. */
static void test_refuse_new(void **state) {
        Context c;
        setup(&c);
        polkit_refuse_new(c.polkit);
        call(&c);
        run_until(&c, one_replied);
        assert_int_equal(c.n_shutting_down, 1);
        assert_int_equal(c.n_asked, 0);
        assert_int_equal(polkit_n_queries(c.polkit), 0);
        teardown(&c);
}

/* The choice itself. */
static void test_pick_waiting(void **state) {
        const uid_t uids[] = { 500, 500, 500, 600, 400, 600 };
        unsigned asked[] = { 1, 1, 1, 0, 4, 0 };
        size_t n = ELEMENTSOF(uids);

        /* Nothing waiting, or nobody below the limit. */
        assert_int_equal(polkit_pick_waiting(NULL, NULL, 0, 0, false, 4), -1);
        assert_int_equal(polkit_pick_waiting(uids + 4, asked + 4, 1, 0, false, 4), -1);
        /* No previous turn: the smallest uid that may, its oldest question
         * (400 has its 4 out). */
        assert_int_equal(polkit_pick_waiting(uids, asked, n, 0, false, 4), 0);
        /* After 500 comes 600, however many of 500's are older. */
        assert_int_equal(polkit_pick_waiting(uids, asked, n, 500, true, 4), 3);
        /* After 600, round again to 500 (400 still may not). */
        assert_int_equal(polkit_pick_waiting(uids, asked, n, 600, true, 4), 0);
        assert_int_equal(polkit_pick_waiting(uids, asked, n, 450, true, 4), 0);
        /* A uid at its limit is skipped even when it is next. */
        asked[3] = asked[5] = 4;
        assert_int_equal(polkit_pick_waiting(uids, asked, n, 500, true, 4), 0);
        asked[4] = 0;
        assert_int_equal(polkit_pick_waiting(uids, asked, n, 500, true, 4), 4);
        assert_int_equal(polkit_pick_waiting(uids, asked, n, 300, true, 4), 4);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_allowed),
                cmocka_unit_test(test_denied),
                cmocka_unit_test(test_unclaimed_answer_freed),
                cmocka_unit_test(test_bounded_in_flight),
                cmocka_unit_test(test_per_uid_limits),
                cmocka_unit_test(test_per_uid_limits_bounded),
                cmocka_unit_test(test_waiting_deadline),
                cmocka_unit_test(test_round_robin_over_uids),
                cmocka_unit_test(test_refuse_new),
                cmocka_unit_test(test_pick_waiting),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
