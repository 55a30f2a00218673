/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copying a job's output to our stdout/stderr with Job.GetOutput, in rounds.
 *
 * A round: GetOutput(Follow, StdoutOffset, StderrOffset) hands us two pipes;
 * we copy both (poll, read, write out, partial writes and EAGAIN on our side
 * included) until both reached EOF and everything read was written. Then we
 * read the job's properties (GetAll) on the same connection and decide with
 * output_round_next() (the resume rule, in output-rule.c) whether to stop
 * or to run another round from the byte offsets reached so far. Offsets
 * count what we read and wrote out, per stream, over all rounds; a round
 * only ends once our buffers are empty, so read == delivered then.
 *
 * The streamer borrows its caller's bus connection ("run" waits for the job
 * on it, "logs" has just looked the job up on it): a second connection
 * would cost a Hello and an authentication per command, and twice the
 * connections that dbus-daemon allows a user. If that connection breaks,
 * the streamer goes on with one of its own (its caller may reconnect on its
 * own terms: output_streamer_forget_bus()). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "bus-names.h"
#include "ctl.h"
#include "job-info.h"
#include "macro.h"
#include "output.h"
#include "output-poll.h"

#define BUFFER_SIZE (64U * 1024U)
/* Reads per wake-up of one stream, so a busy stdout cannot starve stderr. */
#define READS_PER_DISPATCH 16
#define RETRY_MIN_USEC (100 * USEC_PER_MSEC)
#define RETRY_MAX_USEC (1 * USEC_PER_SEC)
/* Say something once reaching jobworkerd has failed this often in a row. */
#define RETRIES_BEFORE_NOTICE 8

typedef struct Stream {
        OutputStreamer *streamer;
        bool wanted;
        int dst;                        /* our stdout or stderr */
        int src;                        /* read end from GetOutput, -1 = none */
        sd_event_source *src_source, *dst_source;
        bool eof;                       /* this round's pipe reached EOF */
        uint64_t total;                 /* over all rounds: the next offset */
        uint64_t round;                 /* in this round */
        size_t start, end;              /* pending bytes in buffer */
        uint8_t buffer[BUFFER_SIZE];
} Stream;

struct OutputStreamer {
        sd_event *event;
        CtlContext *caller;             /* whose connection we borrow */
        CtlContext own;                 /* ours, once the borrowed one broke */
        sd_bus *bus;                    /* the one we use: caller->bus or own.bus, or NULL */
        bool bus_borrowed;              /* bus is the caller's: we hold a reference only */
        bool attached_borrowed;         /* we attached the caller's bus to event: detach it when done */
        bool own_bus;                   /* the caller's connection broke once: use our own */
        char *id, *path;
        OutputFlags flags;
        output_done_t done;
        output_info_t info_read;
        JobInfo *info;                  /* the caller's, filled from each round's GetAll */
        void *userdata;

        Stream streams[2];
        sd_bus_slot *call_slot;
        sd_event_source *timer;
        char *daemon;                   /* unique name that answered GetOutput */
        char *end_sender;               /* unique name that told us info holds the job's end */
        bool reading_state;             /* call_slot is the GetAll that judges the round */
        unsigned n_rounds;
        uint64_t retry_usec;
        unsigned n_failures;
        bool notice_printed;
        bool finished;
        /* ReadOutput instead, on a connection without fd passing. */
        OutputPoller *poller;
        uint64_t totals[2];
};

static void streamer_close_round(OutputStreamer *s) {
        for (unsigned i = 0; i < 2; i++) {
                Stream *t = &s->streams[i];

                t->src_source = sd_event_source_disable_unref(t->src_source);
                t->dst_source = sd_event_source_disable_unref(t->dst_source);
                if (t->src >= 0)
                        close(t->src);
                t->src = -1;
                t->eof = false;
                t->round = 0;
                t->start = t->end = 0;
        }
}

static void streamer_finish(OutputStreamer *s, int result) {
        if (s->finished)
                return;
        s->finished = true;
        s->call_slot = sd_bus_slot_unref(s->call_slot);
        streamer_close_round(s);
        (void) sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
        s->done(s, result, s->userdata);  /* may free s */
}

static void streamer_schedule(OutputStreamer *s, uint64_t delay_usec) {
        if (sd_event_source_set_time_relative(s->timer, delay_usec) < 0 ||
            sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT) < 0) {
                fprintf(stderr, "Failed to arm a timer, giving up on the output of job %s.\n", s->id);
                streamer_finish(s, -EIO);
        }
}

/* Trouble reaching jobworkerd: try again after a growing pause. */
static void streamer_retry(OutputStreamer *s, const char *why) {
        if (++s->n_failures >= RETRIES_BEFORE_NOTICE && !s->notice_printed) {
                fprintf(stderr, "Could not reach jobworkerd (%s), still trying to read the output of job %s...\n",
                        why, s->id);
                s->notice_printed = true;
        }
        streamer_schedule(s, s->retry_usec);
        s->retry_usec = s->retry_usec * 2 > RETRY_MAX_USEC ? RETRY_MAX_USEC : s->retry_usec * 2;
}

static void streamer_fail(OutputStreamer *s, const char *what, const sd_bus_error *e, int r) {
        char buf[256];

        snprintf(buf, sizeof buf, "Failed to %s job %s", what, s->id);
        ctl_report_bus_error(buf, e, r);
        streamer_finish(s, r < 0 ? r : -EIO);
}

static void streamer_check_round(OutputStreamer *s);
static int streamer_get_bus(OutputStreamer *s);
static int on_stream_io(sd_event_source *source, int fd, uint32_t revents, void *userdata);

/* Moves bytes from the pipe to our fd until either side would block. */
static void stream_pump(Stream *t) {
        OutputStreamer *s = t->streamer;

        for (unsigned n_reads = 0;;) {
                if (t->start < t->end) {
                        ssize_t n = write(t->dst, t->buffer + t->start, t->end - t->start);
                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                if (errno == EAGAIN) {
                                        /* Our reader is slow and our fd non-blocking:
                                         * wait until it may be written again. */
                                        int r = 0;
                                        if (!t->dst_source)
                                                r = sd_event_add_io(s->event, &t->dst_source, t->dst, EPOLLOUT,
                                                                    on_stream_io, t);
                                        if (r >= 0)
                                                r = sd_event_source_set_enabled(t->dst_source, SD_EVENT_ON);
                                        if (r >= 0 && t->src_source)
                                                r = sd_event_source_set_enabled(t->src_source, SD_EVENT_OFF);
                                        if (r < 0) {
                                                fprintf(stderr, "Failed to wait for %s: %s\n",
                                                        t->dst == STDOUT_FILENO ? "stdout" : "stderr", strerror(-r));
                                                streamer_finish(s, r);
                                        }
                                        return;
                                }
                                /* EPIPE: our reader is gone (SIGPIPE is ignored,
                                 * or it would have ended us). Quietly. */
                                int r = -errno;
                                if (r != -EPIPE)
                                        fprintf(stderr, "Failed to write the output of job %s: %s\n", s->id,
                                                strerror(-r));
                                streamer_finish(s, r);
                                return;
                        }
                        t->start += (size_t) n;
                        continue;
                }
                t->start = t->end = 0;
                if (t->dst_source)
                        (void) sd_event_source_set_enabled(t->dst_source, SD_EVENT_OFF);
                if (t->eof || t->src < 0)
                        break;
                if (n_reads++ >= READS_PER_DISPATCH) {
                        /* Let the other stream and the bus have a turn. */
                        (void) sd_event_source_set_enabled(t->src_source, SD_EVENT_ON);
                        return;
                }

                ssize_t n = read(t->src, t->buffer, sizeof t->buffer);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                (void) sd_event_source_set_enabled(t->src_source, SD_EVENT_ON);
                                return;
                        }
                        /* Treated as an early end: the next round resumes from
                         * the bytes we have. */
                        n = 0;
                }
                if (n == 0) {
                        t->eof = true;
                        t->src_source = sd_event_source_disable_unref(t->src_source);
                        close(t->src);
                        t->src = -1;
                        break;
                }
                t->end = (size_t) n;
                t->total += (uint64_t) n;
                t->round += (uint64_t) n;
        }

        streamer_check_round(s);
}

static int on_stream_io(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        stream_pump(userdata);
        return 0;
}

/* Decides how streaming goes on after a round (output_round_next()), from
 * the job's state read after the round's EOFs (info, NULL if the read
 * failed: why) and the unique name of the daemon that answered it. */
static void streamer_judge(OutputStreamer *s, const JobInfo *info, const char *sender, const char *why) {
        OutputRound round = {
                .follow = s->flags & OUTPUT_FOLLOW,
                .bytes = s->streams[0].round + s->streams[1].round,
        };

        if (info && info->state) {
                round.finished = strcmp(info->state, "finished") == 0;
                const uint64_t totals[2] = { info->stdout_bytes, info->stderr_bytes };
                round.complete = true;
                for (unsigned i = 0; i < 2; i++)
                        if (s->streams[i].wanted &&
                            (totals[i] == UINT64_MAX || s->streams[i].total != totals[i]))
                                round.complete = false;
                /* Unique names are never reused on a bus: the same name means
                 * the same process, alive after the EOFs. No names at all
                 * (a direct connection) cannot tell us anything: trust it. */
                round.same_daemon = (!sender && !s->daemon) ||
                        (sender && s->daemon && strcmp(sender, s->daemon) == 0);
        }
        /* else: no answer from the daemon that served the round, so it may
         * have vanished during it: same_daemon stays false, redo. */

        switch (output_round_next(&round)) {
        case OUTPUT_NEXT_DONE:
                streamer_finish(s, 0);
                return;
        case OUTPUT_NEXT_AGAIN:
                if (!why && round.bytes > 0)
                        s->retry_usec = RETRY_MIN_USEC;
                if (why)
                        streamer_retry(s, why);
                else
                        streamer_schedule(s, 0);
                break;
        case OUTPUT_NEXT_AGAIN_LATER:
                streamer_retry(s, "no output while the job runs");
                break;
        }
        streamer_close_round(s);
}

/* The job's end came from the daemon that served this round: it judges the
 * round as a state read after the EOFs would. */
static bool streamer_end_known(const OutputStreamer *s) {
        return s->info && s->end_sender && s->daemon && strcmp(s->end_sender, s->daemon) == 0;
}

static int on_state_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        OutputStreamer *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        JobInfo info = JOB_INFO_INIT;
        bool parsed = false;

        s->call_slot = sd_bus_slot_unref(s->call_slot);
        s->reading_state = false;
        if (e && ctl_bus_error_is_permanent(e)) {
                streamer_fail(s, "read the state of", e, -EIO);
                return 0;
        }
        if (!e && job_info_parse(m, &info) >= 0 && info.state) {
                parsed = true;
                /* Read after the round's EOFs, so as fresh as any: the caller
                 * waiting for the job takes it instead of asking again. */
                if (s->info) {
                        job_info_done(s->info);
                        *s->info = info;
                        info = (JobInfo) JOB_INFO_INIT;
                        if (s->info_read)
                                s->info_read(s, s->userdata);  /* must not free s */
                }
        }
        streamer_judge(s, parsed ? (s->info ?: &info) : NULL, sd_bus_message_get_sender(m),
                       e ? e->message ?: e->name : NULL);
        job_info_done(&info);
        return 0;
}

/* Called after every pump: once both wanted streams reached EOF and all was
 * written out, read the job's properties (State judges the round) on the
 * same connection. */
static void streamer_check_round(OutputStreamer *s) {
        int r;

        if (s->finished || s->call_slot)
                return;
        for (unsigned i = 0; i < 2; i++) {
                Stream *t = &s->streams[i];
                if (t->wanted && (!t->eof || t->start < t->end))
                        return;
        }

        if (streamer_end_known(s)) {
                streamer_judge(s, s->info, s->end_sender, NULL);
                return;
        }
        r = streamer_get_bus(s);
        if (r >= 0)
                r = sd_bus_call_method_async(s->bus, &s->call_slot, JOBWORKER_BUS_NAME, s->path,
                                     "org.freedesktop.DBus.Properties", "GetAll", on_state_reply, s,
                                     "s", JOBWORKER_JOB_INTERFACE);
        s->reading_state = r >= 0;
        if (r < 0) {
                /* Connection gone: the round cannot be judged, redo it. */
                streamer_close_round(s);
                streamer_retry(s, strerror(-r));
        }
}

static int stream_start(Stream *t, int fd) {
        OutputStreamer *s = t->streamer;
        int flags, r;

        t->src = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (t->src < 0)
                return -errno;
        flags = fcntl(t->src, F_GETFL);
        if (flags < 0 || fcntl(t->src, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        r = sd_event_add_io(s->event, &t->src_source, t->src, EPOLLIN, on_stream_io, t);
        if (r < 0)
                return r;
        return 0;
}

static int on_get_output_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        OutputStreamer *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        int fds[2], r;

        s->call_slot = sd_bus_slot_unref(s->call_slot);
        if (e) {
                if (ctl_bus_error_is_permanent(e))
                        streamer_fail(s, "read the output of", e, -EIO);
                else
                        streamer_retry(s, e->message ?: e->name);
                return 0;
        }
        r = sd_bus_message_read(m, "hh", &fds[0], &fds[1]);
        if (r < 0) {
                fprintf(stderr, "Failed to read GetOutput's reply for job %s: %s\n", s->id, strerror(-r));
                streamer_finish(s, r);
                return 0;
        }

        free(s->daemon);
        s->daemon = NULL;
        if (sd_bus_message_get_sender(m)) {
                s->daemon = strdup(sd_bus_message_get_sender(m));
                if (!s->daemon) {
                        streamer_finish(s, -ENOMEM);
                        return 0;
                }
        }
        s->n_rounds++;
        s->n_failures = 0;

        /* A stream we do not want is not duplicated: its fd closes with the
         * reply, right after we return, which releases it in the daemon. */
        for (unsigned i = 0; i < 2; i++)
                if (s->streams[i].wanted) {
                        r = stream_start(&s->streams[i], fds[i]);
                        if (r < 0) {
                                fprintf(stderr, "Failed to set up the output of job %s: %s\n", s->id,
                                        strerror(-r));
                                streamer_finish(s, r);
                                return 0;
                        }
                }
        return 0;
}

static int append_option(sd_bus_message *m, const char *key, const char *type, ...) {
        va_list ap;
        int r;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', key);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'v', type);
        if (r >= 0) {
                va_start(ap, type);
                r = sd_bus_message_appendv(m, type, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* Lets go of the connection in use (and of any call on it). */
static void streamer_drop_bus(OutputStreamer *s) {
        s->call_slot = sd_bus_slot_unref(s->call_slot);
        if (!s->bus)
                return;
        if (s->bus_borrowed) {
                if (s->attached_borrowed)
                        sd_bus_detach_event(s->bus);
                sd_bus_unref(s->bus);
        } else {
                sd_bus_detach_event(s->bus);
                s->own.bus = sd_bus_flush_close_unref(s->own.bus);
        }
        s->bus = NULL;
        s->bus_borrowed = s->attached_borrowed = false;
}

/* The caller's connection while it works, then one of our own. */
static int streamer_get_bus(OutputStreamer *s) {
        sd_bus *bus;
        int r;

        if (s->bus && sd_bus_is_open(s->bus))
                return 0;
        if (s->bus && s->bus_borrowed)
                s->own_bus = true;  /* it broke: its owner may replace it whenever it likes */
        streamer_drop_bus(s);

        if (!s->own_bus && s->caller->bus && sd_bus_is_open(s->caller->bus)) {
                sd_event *e = sd_bus_get_event(s->caller->bus);
                if (e && e != s->event)
                        s->own_bus = true;  /* serves another loop: not ours to share */
                else {
                        s->bus = sd_bus_ref(s->caller->bus);
                        s->bus_borrowed = true;
                        if (!e) {
                                r = sd_bus_attach_event(s->bus, s->event, SD_EVENT_PRIORITY_NORMAL);
                                if (r < 0) {
                                        streamer_drop_bus(s);
                                        return r;
                                }
                                s->attached_borrowed = true;
                        }
                        return 0;
                }
        }

        r = ctl_bus_reconnect(&s->own, &bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, s->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                s->own.bus = sd_bus_flush_close_unref(s->own.bus);
                return r;
        }
        s->bus = bus;
        return 0;
}

void output_streamer_forget_bus(OutputStreamer *s) {
        if (!s || !s->bus_borrowed)
                return;
        bool calling = s->call_slot;
        streamer_drop_bus(s);
        s->own_bus = true;
        if (s->finished || !calling)
                return;  /* a round's pipes go on; its State is read on our own connection */
        /* A GetOutput (no pipes yet) or a State read (all of the round
         * written out) was under way: its answer is lost, so the round is
         * done again from the offsets reached. Nothing is in our buffers. */
        streamer_close_round(s);
        streamer_retry(s, "the connection was replaced");
}

static void on_poller_done(int result, void *userdata) {
        OutputStreamer *s = userdata;

        s->streams[0].total = s->totals[0];
        s->streams[1].total = s->totals[1];
        streamer_finish(s, result);
}

static void streamer_call(OutputStreamer *s) {
        sd_bus_message *m = NULL;
        sd_bus *bus;
        int r;

        s->call_slot = sd_bus_slot_unref(s->call_slot);
        s->reading_state = false;
        r = streamer_get_bus(s);
        if (r < 0) {
                streamer_retry(s, strerror(-r));
                return;
        }
        bus = s->bus;

        /* Over ssh (-H) the bus cannot carry file descriptors: ReadOutput
         * then, from the offsets reached (output-poll.c). Asked once the
         * connection is up (can_send is only known after the handshake). */
        r = sd_bus_can_send(bus, SD_BUS_TYPE_UNIX_FD);
        if (r == 0) {
                /* The poller reconnects the context it is given on its
                 * own terms, so it gets ours with a connection of its own,
                 * never the one we borrow. */
                streamer_drop_bus(s);
                s->own_bus = true;
                s->totals[0] = s->streams[0].total;
                s->totals[1] = s->streams[1].total;
                r = output_poller_new(s->event, &s->own, s->id, s->path, s->flags, s->totals, on_poller_done, s,
                                      &s->poller);
                if (r < 0) {
                        fprintf(stderr, "Failed to read the output of job %s: %s\n", s->id, strerror(-r));
                        streamer_finish(s, r);
                }
                return;
        }

        r = sd_bus_message_new_method_call(bus, &m, JOBWORKER_BUS_NAME, s->path, JOBWORKER_JOB_INTERFACE,
                                           "GetOutput");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r >= 0)
                r = append_option(m, "Follow", "b", (int) !!(s->flags & OUTPUT_FOLLOW));
        if (r >= 0 && s->n_rounds > 0)
                r = append_option(m, "StdoutOffset", "t", s->streams[0].total);
        if (r >= 0 && s->n_rounds > 0)
                r = append_option(m, "StderrOffset", "t", s->streams[1].total);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0) {
                sd_bus_message_unref(m);
                fprintf(stderr, "Failed to build the GetOutput call: %s\n", strerror(-r));
                streamer_finish(s, r);
                return;
        }
        r = sd_bus_call_async(bus, &s->call_slot, m, on_get_output_reply, s, 0);
        sd_bus_message_unref(m);
        if (r < 0)
                streamer_retry(s, strerror(-r));
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        streamer_call(userdata);
        return 0;
}

int output_streamer_new(sd_event *event, CtlContext *c, const char *id, const char *path,
                        OutputFlags flags, output_done_t done, void *userdata, OutputStreamer **ret) {
        OutputStreamer *s;
        int r;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->caller = c;
        s->own.host = c->host;
        s->flags = flags;
        s->done = done;
        s->userdata = userdata;
        s->retry_usec = RETRY_MIN_USEC;
        for (unsigned i = 0; i < 2; i++)
                s->streams[i] = (Stream) {
                        .streamer = s,
                        .wanted = flags & (i == 0 ? OUTPUT_STDOUT : OUTPUT_STDERR),
                        .dst = i == 0 ? STDOUT_FILENO : STDERR_FILENO,
                        .src = -1,
                };
        s->id = strdup(id);
        s->path = strdup(path);
        if (!s->id || !s->path) {
                r = -ENOMEM;
                goto fail;
        }
        /* Accuracy 1 µs: sd-event's default (0) lets a timer slip by up to
         * 250 ms to coalesce wake-ups, and this one starts the next round. */
        r = sd_event_add_time(event, &s->timer, CLOCK_MONOTONIC, 0, 1, on_timer, s);
        if (r < 0)
                goto fail;
        r = sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
        if (r < 0)
                goto fail;
        *ret = s;
        return 0;

fail:
        output_streamer_free(s);
        return r;
}

void output_streamer_start(OutputStreamer *s) {
        (void) sd_event_source_set_enabled(s->timer, SD_EVENT_OFF);
        streamer_call(s);
}

void output_streamer_share_info(OutputStreamer *s, JobInfo *info, output_info_t info_read) {
        s->info = info;
        s->info_read = info_read;
}

void output_streamer_offer_end(OutputStreamer *s, const char *sender) {
        if (!s || s->finished || !sender)
                return;
        free(s->end_sender);
        s->end_sender = strdup(sender);
        if (!s->end_sender)
                return;  /* the state read judges, as without it */
        /* Our read after this round's EOFs is on its way: this answer was
         * sent before it (same daemon, same connection), so it is as fresh. */
        if (s->call_slot && s->reading_state && streamer_end_known(s)) {
                s->call_slot = sd_bus_slot_unref(s->call_slot);
                s->reading_state = false;
                streamer_judge(s, s->info, s->end_sender, NULL);
        }
}

OutputStreamer *output_streamer_free(OutputStreamer *s) {
        if (!s)
                return NULL;
        s->call_slot = sd_bus_slot_unref(s->call_slot);
        output_poller_free(s->poller);
        streamer_close_round(s);
        sd_event_source_disable_unref(s->timer);
        streamer_drop_bus(s);
        if (s->own.bus) {
                /* The poller's (it opened it on s->own). */
                sd_bus_detach_event(s->own.bus);
                s->own.bus = sd_bus_flush_close_unref(s->own.bus);
        }
        sd_event_unref(s->event);
        free(s->daemon);
        free(s->end_sender);
        free(s->id);
        free(s->path);
        free(s);
        return NULL;
}

uint64_t output_streamer_bytes(const OutputStreamer *s, unsigned stream) {
        return stream < 2 ? s->streams[stream].total : 0;
}

typedef struct LogsContext {
        sd_event *event;
        int result;
} LogsContext;

static void on_logs_done(OutputStreamer *s, int result, void *userdata) {
        LogsContext *l = userdata;

        l->result = result;
        (void) sd_event_exit(l->event, 0);
}

int verb_logs(CtlContext *c, int argc, char *argv[]) {
        _cleanup_free_ char *path = NULL;
        OutputStreamer *s = NULL;
        LogsContext l = { .result = -EIO };
        OutputFlags flags;
        const char *id;
        sd_bus *bus;
        int r;

        r = logs_parse_argv(argc, argv, &id, &flags);
        if (r == 0)
                ctl_help();
        if (r <= 0)
                return -r;
        if (ctl_bus(c, &bus) < 0)
                return 1;
        r = ctl_job_path(bus, id, &path);
        if (r != 0)
                return r;

        r = sd_event_new(&l.event);
        if (r >= 0)
                r = output_streamer_new(l.event, c, id, path, flags, on_logs_done, &l, &s);
        if (r >= 0)
                r = sd_event_loop(l.event);
        if (r < 0) {
                fprintf(stderr, "Failed to read the output of job %s: %s\n", id, strerror(-r));
                l.result = r;
        }
        output_streamer_free(s);
        sd_event_unref(l.event);

        if (l.result == -EPIPE)
                /* Only with SIGPIPE ignored by whoever started us; otherwise
                 * the signal has already ended us, like cat. */
                return 128 + SIGPIPE;
        return l.result < 0 ? 1 : 0;
}
