/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copying a job's output with Job.ReadOutput (output-poll.h): one call at a
 * time; a follower's call waits in the daemon until output comes, so
 * nothing spins while the job is quiet. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-names.h"
#include "macro.h"
#include "output-poll.h"

#define READ_MAX_BYTES (1024U * 1024U)
/* How long the daemon may wait for output in a follower's call: well
 * inside sd-bus's default call timeout (25 s), also over a slow ssh. */
#define WAIT_USEC (10 * USEC_PER_SEC)
#define RETRY_USEC (1 * USEC_PER_SEC)
#define RETRIES_BEFORE_NOTICE 8

struct OutputPoller {
        sd_event *event;
        CtlContext *ctl;
        char *id, *path;
        OutputFlags flags;
        uint64_t *totals;
        char *cursor;
        output_poll_done_t done;
        void *userdata;
        sd_bus_slot *slot;
        sd_event_source *timer;
        unsigned n_failures;
        bool finished;
};

static void poller_finish(OutputPoller *p, int result) {
        if (p->finished)
                return;
        p->finished = true;
        p->slot = sd_bus_slot_unref(p->slot);
        (void) sd_event_source_set_enabled(p->timer, SD_EVENT_OFF);
        p->done(result, p->userdata);
}

static void poller_schedule(OutputPoller *p, uint64_t delay) {
        if (sd_event_source_set_time_relative(p->timer, delay) < 0 ||
            sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT) < 0) {
                fprintf(stderr, "Failed to arm a timer, giving up on the output of job %s.\n", p->id);
                poller_finish(p, -EIO);
        }
}

static void poller_retry(OutputPoller *p, const char *why) {
        if (++p->n_failures == RETRIES_BEFORE_NOTICE)
                fprintf(stderr, "Could not reach jobworkerd (%s), still trying to read the output of job %s...\n",
                        why, p->id);
        poller_schedule(p, RETRY_USEC);
}

/* All of buf to fd, waiting when it is non-blocking and full: we have
 * nothing else to do meanwhile (one call at a time). */
static int write_all(int fd, const uint8_t *buf, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, buf, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                                (void) poll(&pfd, 1, -1);
                                continue;
                        }
                        return -errno;
                }
                buf += k;
                n -= (size_t) k;
        }
        return 0;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        OutputPoller *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const void *data[2];
        size_t size[2];
        uint64_t next[2];
        const char *cursor;
        int more, end, r;

        p->slot = sd_bus_slot_unref(p->slot);
        if (e) {
                if (ctl_bus_error_is_permanent(e)) {
                        char what[128];
                        snprintf(what, sizeof what, "Failed to read the output of job %s", p->id);
                        ctl_report_bus_error(what, e, -EIO);
                        poller_finish(p, -EIO);
                } else
                        poller_retry(p, e->message ?: e->name);
                return 0;
        }
        r = sd_bus_message_read_array(m, 'y', &data[0], &size[0]);
        if (r >= 0)
                r = sd_bus_message_read_array(m, 'y', &data[1], &size[1]);
        if (r >= 0)
                r = sd_bus_message_read(m, "ttsbb", &next[0], &next[1], &cursor, &more, &end);
        if (r < 0) {
                fprintf(stderr, "Failed to read ReadOutput's reply for job %s: %s\n", p->id, strerror(-r));
                poller_finish(p, r);
                return 0;
        }
        p->n_failures = 0;
        for (unsigned i = 0; i < 2; i++) {
                if (!(p->flags & (i == 0 ? OUTPUT_STDOUT : OUTPUT_STDERR)))
                        continue;
                r = write_all(i == 0 ? STDOUT_FILENO : STDERR_FILENO, data[i], size[i]);
                if (r < 0) {
                        if (r != -EPIPE)
                                fprintf(stderr, "Failed to write the output of job %s: %s\n", p->id, strerror(-r));
                        poller_finish(p, r);
                        return 0;
                }
        }
        p->totals[0] = next[0];
        p->totals[1] = next[1];
        char *c = strdup(cursor);
        if (!c) {
                poller_finish(p, -ENOMEM);
                return 0;
        }
        free(p->cursor);
        p->cursor = c;

        if (end || (!more && !(p->flags & OUTPUT_FOLLOW)))
                poller_finish(p, 0);
        else
                poller_schedule(p, 0);
        return 0;
}

static void poller_call(OutputPoller *p) {
        sd_bus *bus = p->ctl->bus;
        int r;

        if (!bus || !sd_bus_is_open(bus)) {
                if (bus)
                        sd_bus_detach_event(bus);
                r = ctl_bus_reconnect(p->ctl, &bus);
                if (r >= 0)
                        r = sd_bus_attach_event(bus, p->event, SD_EVENT_PRIORITY_NORMAL);
                if (r < 0) {
                        poller_retry(p, strerror(-r));
                        return;
                }
        }
        r = sd_bus_call_method_async(bus, &p->slot, JOBWORKER_BUS_NAME, p->path, JOBWORKER_JOB_INTERFACE,
                                     "ReadOutput", on_reply, p, "ttsut", p->totals[0], p->totals[1],
                                     p->cursor ?: "", READ_MAX_BYTES,
                                     (uint64_t) (p->flags & OUTPUT_FOLLOW ? WAIT_USEC : 0));
        if (r < 0)
                poller_retry(p, strerror(-r));
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        poller_call(userdata);
        return 0;
}

int output_poller_new(sd_event *event, CtlContext *c, const char *id, const char *path, OutputFlags flags,
                      uint64_t *totals, output_poll_done_t done, void *userdata, OutputPoller **ret) {
        OutputPoller *p;
        int r;

        p = calloc(1, sizeof *p);
        if (!p)
                return -ENOMEM;
        p->event = sd_event_ref(event);
        p->ctl = c;
        p->flags = flags;
        p->totals = totals;
        p->done = done;
        p->userdata = userdata;
        p->id = strdup(id);
        p->path = strdup(path);
        if (!p->id || !p->path) {
                output_poller_free(p);
                return -ENOMEM;
        }
        /* Accuracy 1 µs, not sd-event's default of up to 250 ms of slip. */
        r = sd_event_add_time(event, &p->timer, CLOCK_MONOTONIC, 0, 1, on_timer, p);
        if (r >= 0)
                r = sd_event_source_set_enabled(p->timer, SD_EVENT_ONESHOT);
        if (r < 0) {
                output_poller_free(p);
                return r;
        }
        *ret = p;
        return 0;
}

OutputPoller *output_poller_free(OutputPoller *p) {
        if (!p)
                return NULL;
        sd_bus_slot_unref(p->slot);
        sd_event_source_disable_unref(p->timer);
        sd_event_unref(p->event);
        free(p->cursor);
        free(p->id);
        free(p->path);
        free(p);
        return NULL;
}
