/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lifetime of polkit questions (polkit.c), over a socketpair: one end is
 * the daemon, the other plays both a client and polkitd. A call waits for
 * the answer and is dispatched again with it; an answered question whose
 * call never asks again is freed (idle defer, as systemd's bus-polkit.c);
 * no more than a bounded number of questions are out at once. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

static int daemon_method(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Context *c = userdata;
        int r;

        c->n_dispatched++;
        if (c->n_dispatched > 1 && !c->check_again)
                return sd_bus_reply_method_errorf(m, "org.freedesktop.DBus.Error.UnknownObject", "Gone.");
        r = polkit_check(c->polkit, m, "org.jobworker1.test", 0, error);
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
        c->n_replied++;
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

static void call(Context *c) {
        assert_true(sd_bus_call_method_async(c->peer, NULL, NULL, "/test", "org.jobworker1.Test", "Do",
                                             on_client_reply, c, NULL) >= 0);
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

static bool all_held(Context *c) {
        return c->n_asked >= 48 && c->n_dispatched >= 60;
}

static bool all_replied(Context *c) {
        return c->n_replied >= 60;
}

/* At most 48 questions out at once; the rest wait their turn and are asked
 * as answers come in. */
static void test_bounded_in_flight(void **state) {
        Context c;
        setup(&c);
        c.hold = true;
        for (int i = 0; i < 60; i++)
                call(&c);
        run_until(&c, all_held);
        assert_int_equal(c.n_asked, 48);
        assert_int_equal(polkit_n_queries(c.polkit), 60);
        c.hold = false;
        for (unsigned i = 0; i < c.n_held; i++) {
                assert_true(sd_bus_reply_method_return(c.held[i], "(bba{ss})", 1, 0, 0) >= 0);
                c.held[i] = sd_bus_message_unref(c.held[i]);
        }
        c.n_held = 0;
        run_until(&c, all_replied);
        assert_int_equal(c.n_asked, 60);
        assert_int_equal(polkit_n_queries(c.polkit), 0);
        teardown(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_allowed),
                cmocka_unit_test(test_denied),
                cmocka_unit_test(test_unclaimed_answer_freed),
                cmocka_unit_test(test_bounded_in_flight),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
