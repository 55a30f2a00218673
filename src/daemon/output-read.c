/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Job.ReadOutput (output-read.h): the job's entries read from the journal
 * (layout and trust rules in job-output.h, as for GetOutput's readers in
 * output.c) into one bounded reply per call.
 *
 * A call carries the caller's stream offsets and the cursor of the last
 * entry the previous reply used up; the reply carries the new ones. The
 * offsets make delivery exact whatever the cursor says (output_take():
 * bytes the caller has are skipped, a chunk cut by a full reply is read
 * again); the cursor only saves walking the job's history again. Each call
 * looks at a bounded number of entries, so a long history costs several
 * calls, never a long turn of the event loop.
 *
 * When there is nothing new while the job runs, the call is put aside with
 * its journal handle (opened without inotify) until output comes, the job's
 * output is complete, or its timeout: one shared handle with inotify (and a
 * timer, for journald's coalesced notifications) wakes all waiting calls. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "bus-names.h"
#include "job-output.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "output-position.h"
#include "output-entry.h"
#include "output-read.h"
#include "parse-util.h"
#include "time-util.h"

/* A finished job whose end marker never shows up (lost, or its shim was
 * SIGKILLed) has its output complete this long after it finished. */
#define FINISHED_GRACE_USEC (3 * USEC_PER_SEC)
#define POLL_USEC (1 * USEC_PER_SEC)
/* Entries one call looks at per pass. */
#define ENTRIES_PER_PASS 1024U

typedef struct ReadCall ReadCall;

struct OutputReadCalls {
        Manager *manager;
        ReadCall *waiting;
        unsigned n_waiting;
        sd_journal *watch;
        sd_event_source *watch_source, *poll_timer;
};

struct ReadCall {
        OutputReadCalls *owner;
        ReadCall *next;
        sd_bus_message *request;
        char job_id[13];
        uid_t caller;
        pid_t shim_pid;            /* the job's shim, 0 while unknown */
        sd_journal *journal;
        char *cursor;              /* the last entry used up; NULL = none yet */
        uint64_t position[2];      /* per stream: the next byte to deliver */
        size_t max_bytes;
        sd_event_source *timer;    /* the call's timeout, while it waits */
};

/* What one pass found. */
typedef struct ReadResult {
        uint8_t *data[2];
        size_t size[2];
        bool more;                 /* cut short: call again at once */
        bool end;                  /* the job's output is complete */
} ReadResult;

static void read_result_done(ReadResult *r) {
        free(r->data[0]);
        free(r->data[1]);
}

static ReadCall *read_call_free(ReadCall *c) {
        if (!c)
                return NULL;
        sd_event_source_disable_unref(c->timer);
        sd_journal_close(c->journal);
        sd_bus_message_unref(c->request);
        free(c->cursor);
        free(c);
        return NULL;
}

/* Opens the call's journal at its cursor (the entry after it comes next),
 * or at the head. -EINVAL: the cursor is not a journal cursor. */
static int call_open_journal(ReadCall *c) {
        sd_journal_close(c->journal);
        c->journal = NULL;
        return output_journal_open(c->job_id, c->cursor, &c->journal);
}

static void call_remember_cursor(ReadCall *c) {
        char *cursor = NULL;

        if (sd_journal_get_cursor(c->journal, &cursor) >= 0) {
                free(c->cursor);
                c->cursor = cursor;
        }
}

static int append_bytes(ReadResult *r, int stream, const void *p, size_t n) {
        uint8_t *d;

        if (n == 0)
                return 0;
        d = realloc(r->data[stream], r->size[stream] + n);
        if (!d)
                return -ENOMEM;
        memcpy(d + r->size[stream], p, n);
        r->data[stream] = d;
        r->size[stream] += n;
        return 0;
}

/* Nothing more will come once the job is gone or finished a while ago. */
static bool job_output_over(Manager *m, const char *id) {
        Job *j = manager_find_job(m, id);

        if (!j)
                return true;
        if (job_is_active(j))
                return false;
        return j->finish_usec == 0 || now_usec(CLOCK_REALTIME) >= j->finish_usec + FINISHED_GRACE_USEC;
}

/* One pass from the call's position: at most max_bytes and
 * ENTRIES_PER_PASS entries. */
static int call_read(ReadCall *c, ReadResult *r) {
        Manager *m = c->owner->manager;
        size_t room = c->max_bytes;
        int k;

        /* The shim's pid is known once it is forked. */
        Job *job = manager_find_job(m, c->job_id);
        if (job && job->shim_pid > 0)
                c->shim_pid = job->shim_pid;

        for (unsigned n = 0;; n++) {
                if (n >= ENTRIES_PER_PASS) {
                        r->more = true;
                        return 0;
                }
                k = sd_journal_next(c->journal);
                if (k < 0)
                        return log_warning_errno(k, "Failed to read the journal for job %s: %m", c->job_id);
                if (k == 0) {
                        r->end = job_output_over(m, c->job_id);
                        return 0;
                }
                OutputEntry e = output_entry_read(c->journal, c->job_id, c->shim_pid);
                if (e.kind == OUTPUT_ENTRY_END) {
                        call_remember_cursor(c);
                        r->end = true;
                        return 0;
                }
                if (e.kind != OUTPUT_ENTRY_CHUNK) {
                        call_remember_cursor(c);
                        continue;
                }
                int stream = e.stream;
                OutputTake t = output_take(c->position[stream], e.offset, e.len, room);
                if (t.gap > 0)
                        /* Debug only: the caller picks the offsets and the cursor, and a
                         * warning per call would let it flood our log past journald's
                         * rate limit, which would drop the records others rely on. */
                        log_debug("Job %s lost %" PRIu64 " bytes of %s in the journal (vacuumed or dropped).",
                                    c->job_id, t.gap, output_stream_names[stream]);
                k = append_bytes(r, stream, e.data + t.skip, t.length);
                if (k < 0)
                        return k;
                room -= t.length;
                c->position[stream] = t.position;
                if (!t.whole) {
                        /* The reply is full; the rest of this chunk is the
                         * next call's, so the cursor stays before it. */
                        r->more = true;
                        return 0;
                }
                call_remember_cursor(c);
        }
}

static int call_reply(ReadCall *c, const ReadResult *r) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int k;

        k = sd_bus_message_new_method_return(c->request, &reply);
        if (k >= 0)
                k = sd_bus_message_append_array(reply, 'y', r->data[0] ?: (const void *) "", r->size[0]);
        if (k >= 0)
                k = sd_bus_message_append_array(reply, 'y', r->data[1] ?: (const void *) "", r->size[1]);
        if (k >= 0)
                k = sd_bus_message_append(reply, "ttsbb", c->position[0], c->position[1], c->cursor ?: "",
                                          r->more, r->end);
        if (k >= 0)
                k = sd_bus_send(NULL, reply, NULL);
        if (k < 0)
                log_debug_errno(k, "Failed to answer ReadOutput for job %s: %m", c->job_id);
        return k;
}

static void call_reply_error(ReadCall *c, int error) {
        int k = sd_bus_reply_method_errorf(c->request, "org.freedesktop.DBus.Error.Failed",
                                           "Cannot read the output of job %s: %s", c->job_id, strerror(-error));
        if (k < 0)
                log_debug_errno(k, "Failed to answer ReadOutput for job %s: %m", c->job_id);
}

static void calls_unlink(OutputReadCalls *o, ReadCall *c) {
        for (ReadCall **p = &o->waiting; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        o->n_waiting--;
                        break;
                }
        if (!o->waiting) {
                o->watch_source = sd_event_source_disable_unref(o->watch_source);
                o->poll_timer = sd_event_source_disable_unref(o->poll_timer);
                sd_journal_close(o->watch);
                o->watch = NULL;
        }
}

/* A waiting call looks again; answered (and freed) if there is anything
 * to say. */
static void call_wake(ReadCall *c, bool reopen) {
        OutputReadCalls *o = c->owner;
        ReadResult r = {};
        int k = 0;

        if (reopen)
                k = call_open_journal(c);
        if (k >= 0)
                k = call_read(c, &r);
        if (k < 0)
                call_reply_error(c, k);
        else if (r.size[0] == 0 && r.size[1] == 0 && !r.more && !r.end) {
                read_result_done(&r);
                return;
        } else
                (void) call_reply(c, &r);
        read_result_done(&r);
        calls_unlink(o, c);
        read_call_free(c);
}

static void wake_all(OutputReadCalls *o, bool reopen) {
        ReadCall *c = o->waiting;

        /* call_wake() may free the call, and the last one the watch. */
        while (c) {
                ReadCall *next = c->next;
                call_wake(c, reopen);
                c = next;
        }
}

static int on_journal_change(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        OutputReadCalls *o = userdata;
        int k = sd_journal_process(o->watch);
        /* New or rotated files are invisible to handles without inotify. */
        wake_all(o, k == SD_JOURNAL_INVALIDATE);
        return 0;
}

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        OutputReadCalls *o = userdata;

        wake_all(o, false);
        if (o->poll_timer != s)
                return 0;   /* the last waiting call took the timer with it */
        int k = sd_event_source_set_time_relative(s, POLL_USEC);
        if (k < 0)
                return k;
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_call_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        ReadCall *c = userdata;
        ReadResult r = {};

        /* Nothing came: the caller's position, unchanged, and not the end. */
        (void) call_reply(c, &r);
        calls_unlink(c->owner, c);
        read_call_free(c);
        return 0;
}

static int ensure_watch(OutputReadCalls *o) {
        sd_event *event = o->manager->event;
        int k, fd;

        if (o->watch)
                return 0;
        k = sd_journal_open(&o->watch, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (k < 0)
                return log_error_errno(k, "Failed to open the journal: %m");
        fd = sd_journal_get_fd(o->watch);
        if (fd < 0)
                return log_error_errno(fd, "Failed to watch the journal: %m");
        k = sd_event_add_io(event, &o->watch_source, fd, EPOLLIN, on_journal_change, o);
        if (k < 0)
                return k;
        return sd_event_add_time_relative(event, &o->poll_timer, CLOCK_MONOTONIC, POLL_USEC, 0, on_poll_timer, o);
}

static unsigned waiting_of(OutputReadCalls *o, uid_t caller) {
        unsigned n = 0;

        for (ReadCall *c = o->waiting; c; c = c->next)
                n += c->caller == caller;
        return n;
}

int output_read(Manager *m, Job *j, sd_bus_message *call, const OutputReadRequest *req) {
        OutputReadCalls *o = m->output_read;
        ReadResult r = {};
        ReadCall *c;
        int k;

        assert(o);
        assert(j);
        assert(call);
        assert(req);

        c = calloc(1, sizeof(ReadCall));
        if (!c)
                return -ENOMEM;
        c->owner = o;
        c->request = sd_bus_message_ref(call);
        memcpy(c->job_id, j->id, sizeof c->job_id);
        c->caller = req->caller;
        c->shim_pid = j->shim_pid;
        c->position[0] = req->offset[0];
        c->position[1] = req->offset[1];
        c->max_bytes = req->max_bytes > OUTPUT_READ_BYTES_MAX ? OUTPUT_READ_BYTES_MAX : req->max_bytes;
        if (req->cursor && *req->cursor) {
                c->cursor = strdup(req->cursor);
                if (!c->cursor) {
                        read_call_free(c);
                        return -ENOMEM;
                }
        }

        k = call_open_journal(c);
        if (k >= 0)
                k = call_read(c, &r);
        if (k < 0) {
                read_result_done(&r);
                read_call_free(c);
                return k;
        }
        /* Something to say, no wish to wait, or a daemon on its way out
         * (it must not hold calls it would then drop). */
        if (r.size[0] > 0 || r.size[1] > 0 || r.more || r.end || req->timeout_usec == 0 || m->exiting) {
                (void) call_reply(c, &r);
                read_result_done(&r);
                read_call_free(c);
                return 0;
        }
        read_result_done(&r);

        if (waiting_of(o, req->caller) >= OUTPUT_READ_WAITING_MAX_PER_USER) {
                read_call_free(c);
                return -EUSERS;
        }
        if (o->n_waiting >= OUTPUT_READ_WAITING_MAX) {
                read_call_free(c);
                return -EBUSY;
        }
        uint64_t timeout = req->timeout_usec > OUTPUT_READ_TIMEOUT_MAX_USEC ? OUTPUT_READ_TIMEOUT_MAX_USEC
                                                                              : req->timeout_usec;
        k = sd_event_add_time_relative(m->event, &c->timer, CLOCK_MONOTONIC, timeout, 0, on_call_timeout, c);
        if (k < 0) {
                read_call_free(c);
                return k;
        }
        c->next = o->waiting;
        o->waiting = c;
        o->n_waiting++;
        k = ensure_watch(o);
        if (k < 0) {
                calls_unlink(o, c);
                read_call_free(c);
                return k;
        }
        return 0;
}

unsigned output_read_waiting(Manager *m) {
        return m->output_read ? m->output_read->n_waiting : 0;
}

int output_read_calls_new(Manager *m, OutputReadCalls **ret) {
        OutputReadCalls *o;

        assert(m);
        assert(ret);
        o = calloc(1, sizeof(OutputReadCalls));
        if (!o)
                return -ENOMEM;
        o->manager = m;
        *ret = o;
        return 0;
}

OutputReadCalls *output_read_calls_free(OutputReadCalls *o) {
        if (!o)
                return NULL;
        while (o->waiting) {
                ReadCall *c = o->waiting;
                ReadResult r = {};
                (void) call_reply(c, &r);
                calls_unlink(o, c);
                read_call_free(c);
        }
        free(o);
        return NULL;
}
