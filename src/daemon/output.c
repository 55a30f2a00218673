/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output readers: each client stream gets a pipe; we copy the job's entries
 * for that stream from the journal into it (see job-output.h for the layout).
 *
 * A new reader catches up on an sd_journal handle of its own (opened without
 * inotify: it costs file descriptors but no inotify instance). A follower
 * that reaches the end joins the job's feed (one handle per job, shared by
 * all caught-up followers, see OutputFeed), so a waiting follower costs its
 * pipe and nothing more; one shared "watcher" handle with inotify wakes all
 * feeds and followers when the journal changes. A reader whose pipe is full
 * just waits for POLLOUT: it holds at most the rest of one entry and never
 * slows the job, the daemon or other readers (a feed lets it go, and it
 * catches up alone again). A reader whose client closed its end is freed on
 * the first POLLERR or EPIPE.
 *
 * Job ids are public and anyone may write JOB_ID=... into the journal, so
 * an entry counts only if journald's trusted fields (set from the sender's
 * SCM_CREDENTIALS and cgroup, never from what it sent) prove who wrote it:
 * output chunks and the end marker come from the job's shim (_UID=0, and
 * _PID the shim's, recorded in the job's record), the finish record from
 * jobworkerd (_UID=0, and _SYSTEMD_UNIT=jobworkerd.service or our own _PID).
 * _PID and _UID are in every entry; _SYSTEMD_UNIT is looked up by journald
 * after the fact and is missing when the sender exited at once, which the
 * shim does right after its end marker: so the shim is known by its pid. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "time-util.h"
#include "bus-names.h"
#include "job-output.h"
#include "job.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "output.h"
#include "output-entry.h"
#include "output-position.h"
#include "parse-util.h"

/* Followers of a finished job whose end marker never shows up (lost by
 * journald, or written by a shim that was SIGKILLed) get EOF after this. */
#define FINISHED_GRACE_USEC (3 * USEC_PER_SEC)
#define POLL_USEC (1 * USEC_PER_SEC)
#define PIPE_SIZE (1024 * 1024)
/* After a shim said it sent output: journald stores an entry a moment after
 * it was sent, so look shortly after, and once more a little later. */
#define NUDGE_FIRST_USEC (2 * USEC_PER_MSEC)
#define NUDGE_AGAIN_USEC (20 * USEC_PER_MSEC)
#define NUDGE_LOOKS 3
/* The journal watch stays open this long after the last follower left. */
#define WATCH_LINGER_USEC (5 * USEC_PER_SEC)

typedef struct OutputFeed OutputFeed;

/* All readers of the daemon, the feeds of the jobs being followed, and the
 * one journal handle that tells followers the journal changed (one inotify
 * instance for all). */
struct OutputReaders {
        Manager *manager;          /* for looking up jobs */
        sd_event *event;
        OutputReader *readers;
        OutputFeed *feeds;
        sd_journal *journal_watch;
        sd_event_source *journal_watch_source;
        sd_event_source *journal_poll_timer;
        sd_event_source *nudge_timer;  /* a shim said it sent output (output_job_sent()) */
        unsigned nudges_left;          /* looks still to take for it */
        sd_event_source *watch_linger; /* closes the watch, some time after the last follower left */
};

/* One journal handle per followed job, shared by every follower that has
 * caught up with it: each entry is read and checked once and copied into
 * all their pipes, so a waiting follower costs its pipe and nothing else.
 * Its members never hold a partial entry: one whose pipe fills up is
 * released (the feed's cursor copied) and goes on on a handle of its own. */
struct OutputFeed {
        OutputReaders *owner;
        OutputFeed *next;
        char job_id[13];
        pid_t shim_pid;            /* the job's shim, 0 while unknown */
        sd_journal *journal;
        char *cursor;              /* last entry handled (NULL: none yet) */
        bool cursor_lost;          /* could not be read: nobody may join */
        OutputReader *members;
        sd_event_source *defer;    /* the next turn, when a turn's budget ran out */
        uint64_t finished_seen_usec;  /* CLOCK_MONOTONIC when we first saw the job over at the end */
        bool end_seen;             /* past an end marker while the job was not over yet */
        bool pumping;              /* feed_pump() runs: its last member leaving does not free it */
};

struct OutputReader {
        Manager *manager;
        OutputReader *next;
        OutputFeed *feed;          /* caught up: the job's feed delivers to us */
        OutputReader *feed_next;
        char job_id[13];
        uid_t caller;              /* who opened it: caps count per caller */
        pid_t shim_pid;            /* the job's shim, 0 while unknown */
        int stream;
        int fd;                    /* write end of the client's pipe */
        sd_event_source *io;
        /* Our own handle while we catch up; NULL on a feed, and after being
         * released from one until the pipe takes our pending bytes (it is
         * then opened at the cursor). */
        sd_journal *journal;
        char *cursor;              /* last entry fully handled (not kept on a feed) */
        bool cursor_lost;          /* the last one could not be read: do not join a feed */
        uint64_t position;         /* stream offset of the next byte to deliver */
        bool position_unknown;     /* "from now": the next chunk's offset is the position */
        bool follow;
        uint8_t *pending;          /* rest of an entry the pipe did not take */
        size_t pending_len, pending_off;
        uint64_t finished_seen_usec;  /* CLOCK_MONOTONIC when we first saw the job over at the end */
        bool end_seen;             /* past an end marker while the job was not over yet */
        bool awaiting_tail;        /* not following, but the finished job's last bytes are not in the journal yet */
};

static void watch_close(OutputReaders *m) {
        m->watch_linger = sd_event_source_disable_unref(m->watch_linger);
        m->journal_watch_source = sd_event_source_disable_unref(m->journal_watch_source);
        m->journal_poll_timer = sd_event_source_disable_unref(m->journal_poll_timer);
        m->nudge_timer = sd_event_source_disable_unref(m->nudge_timer);
        sd_journal_close(m->journal_watch);
        m->journal_watch = NULL;
}

static int on_watch_linger(sd_event_source *s, uint64_t usec, void *userdata) {
        OutputReaders *m = userdata;

        /* A follower came meanwhile: ensure_watch() disabled us; a stale
         * expiry finds it still there and leaves the watch. */
        for (OutputReader *r = m->readers; r; r = r->next)
                if (r->follow || r->awaiting_tail)
                        return 0;
        watch_close(m);
        return 0;
}

static void feed_free(OutputFeed *f) {
        OutputReaders *m = f->owner;

        assert(!f->members);
        for (OutputFeed **p = &m->feeds; *p; p = &(*p)->next)
                if (*p == f) {
                        *p = f->next;
                        break;
                }
        sd_event_source_disable_unref(f->defer);
        sd_journal_close(f->journal);
        free(f->cursor);
        free(f);
}

static void feed_unlink(OutputFeed *f, OutputReader *r) {
        for (OutputReader **p = &f->members; *p; p = &(*p)->feed_next)
                if (*p == r) {
                        *p = r->feed_next;
                        break;
                }
        r->feed = NULL;
        r->feed_next = NULL;
}

static void reader_free(OutputReader *r) {
        OutputReaders *m = r->manager->output;

        for (OutputReader **p = &m->readers; *p; p = &(*p)->next)
                if (*p == r) {
                        *p = r->next;
                        break;
                }
        OutputFeed *f = r->feed;
        if (f) {
                feed_unlink(f, r);
                if (!f->members && !f->pumping)
                        feed_free(f);
        }
        sd_event_source_disable_unref(r->io);
        if (r->fd >= 0)
                close(r->fd);
        sd_journal_close(r->journal);
        free(r->cursor);
        free(r->pending);
        free(r);

        bool followers = false;
        for (OutputReader *i = m->readers; i; i = i->next)
                followers |= i->follow || i->awaiting_tail;
        if (!followers && m->journal_watch) {
                /* Closing the watch (every journal file, its inotify) takes
                 * as long as opening it, right when a client that just got
                 * its EOF asks for the job's state; `run` after `run` would
                 * pay both each time. So it stays a little while. */
                if (!m->watch_linger) {
                        if (sd_event_add_time_relative(m->event, &m->watch_linger, CLOCK_MONOTONIC, WATCH_LINGER_USEC,
                                                       0, on_watch_linger, m) < 0)
                                watch_close(m);
                } else if (sd_event_source_set_time_relative(m->watch_linger, WATCH_LINGER_USEC) < 0 ||
                           sd_event_source_set_enabled(m->watch_linger, SD_EVENT_ONESHOT) < 0)
                        watch_close(m);
        }
}

/* The job's journal handle (output-entry.h); *shim_pid is updated: the
 * shim's pid becomes known once it is forked. */
static int journal_open_job(Manager *manager, const char *job_id, pid_t *shim_pid, const char *cursor,
                            sd_journal **ret) {
        Job *job = manager_find_job(manager, job_id);
        if (job && job->shim_pid > 0)
                *shim_pid = job->shim_pid;
        return output_journal_open(job_id, cursor, ret);
}

static int reader_open_journal(OutputReader *r) {
        sd_journal_close(r->journal);
        r->journal = NULL;
        return journal_open_job(r->manager, r->job_id, &r->shim_pid, r->cursor, &r->journal);
}

/* Stores the cursor of the entry j stands on in *cursor; a failure (out of
 * memory) leaves the old one and says so in *lost: re-reading entries is
 * harmless (offsets skip what was delivered), but a stale cursor must not
 * be taken as proof of standing where a feed stands. */
static void remember_cursor(sd_journal *j, char **cursor, bool *lost) {
        char *c = NULL;
        if (sd_journal_get_cursor(j, &c) >= 0) {
                free(*cursor);
                *cursor = c;
                *lost = false;
        } else
                *lost = true;
}

static void reader_remember_cursor(OutputReader *r) {
        remember_cursor(r->journal, &r->cursor, &r->cursor_lost);
}

static void reader_set_events(OutputReader *r, uint32_t events) {
        (void) sd_event_source_set_io_events(r->io, events);
}

/* Writes what it can of buf; returns bytes written, or -EAGAIN/-EPIPE. */
static ssize_t reader_write(OutputReader *r, const uint8_t *buf, size_t len) {
        size_t done = 0;
        while (done < len) {
                ssize_t n = write(r->fd, buf + done, len - done);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        return -errno;
                }
                done += (size_t) n;
        }
        return (ssize_t) done;
}

static bool job_is_over(Manager *m, const char *id) {
        Job *j = manager_find_job(m, id);
        return !j || !job_is_active(j);
}

/* At an end marker (the shim's, after its last chunk; or our finish
 * record): a follower's pipes close now only if the job is over. The
 * shim's marker comes a moment before the job is finished, and a client
 * that finds its pipes at EOF while the job still runs must take that for
 * a lost connection and ask again from its offsets: so hold the pipes
 * until the finish (output_job_finished() wakes us), then close them at
 * once, without the grace for a missing marker. */
static bool output_end_now(Manager *m, const char *id, bool *end_seen) {
        if (job_is_over(m, id))
                return true;
        *end_seen = true;
        return false;
}

/* The job is finished and the shim counted what it sent of the reader's
 * stream (StdoutBytes/StderrBytes): a reader whose position reached that,
 * with nothing pending, holds every byte there is, whatever the journal
 * shows yet. It ends without waiting for an end marker: journald stores
 * entries a moment after they are sent and tells its readers late (its
 * notifications are coalesced, up to 250 ms apart), while the client
 * judges its EOF by the same counts (output-rule.c). */
static bool reader_has_all(const OutputReader *r) {
        Job *j = manager_find_job(r->manager, r->job_id);

        return j && !job_is_active(j) && j->output_bytes[r->stream] != UINT64_MAX && !r->position_unknown &&
               !r->pending && r->position >= j->output_bytes[r->stream];
}

/* Entries one reader or feed looks at per turn of the event loop. Skipping
 * is cheap but not free: a reader far behind (or past the end of a long
 * job's output) must not keep everyone else waiting. */
#define READER_ENTRIES_PER_TURN 256

typedef enum Delivery {
        DELIVERED,                 /* all of it is in the pipe (or it had nothing new) */
        DELIVERY_PENDING,          /* the pipe is full: the rest waits in r->pending */
} Delivery;

/* The one way a chunk reaches a client, from its own handle or from a
 * feed. Returns a Delivery, or < 0 when the reader is finished with (its
 * client left: the caller frees it). */
static int reader_deliver(OutputReader *r, const OutputEntry *e) {
        assert(e->kind == OUTPUT_ENTRY_CHUNK && e->stream == r->stream && !r->pending);

        if (r->position_unknown) {
                r->position = e->offset;
                r->position_unknown = false;
        }
        /* Offsets make delivery exact: what the client already has (a
         * resume, a chunk the shim sent twice, an entry read again after a
         * feed let us go) is skipped. */
        OutputSlice slice = output_slice(r->position, e->offset, e->len);
        if (slice.gap > 0)
                log_warning("Job %s lost %" PRIu64 " bytes of %s in the journal (vacuumed or dropped).",
                            r->job_id, slice.gap, output_stream_names[r->stream]);
        r->position = slice.position;
        if (slice.length == 0)
                return DELIVERED;
        const uint8_t *p = (const uint8_t *) e->data + slice.skip;
        size_t n_left = slice.length;

        ssize_t n = reader_write(r, p, n_left);
        if (n < 0)
                return (int) n;
        if ((size_t) n == n_left)
                return DELIVERED;
        r->pending = malloc(n_left - (size_t) n);
        if (!r->pending)
                return -ENOMEM;
        memcpy(r->pending, p + n, n_left - (size_t) n);
        r->pending_len = n_left - (size_t) n;
        r->pending_off = 0;
        reader_set_events(r, EPOLLOUT);
        return DELIVERY_PENDING;
}

static OutputFeed *feed_find(OutputReaders *m, const char *job_id) {
        for (OutputFeed *f = m->feeds; f; f = f->next)
                if (strcmp(f->job_id, job_id) == 0)
                        return f;
        return NULL;
}

static void feed_pump(OutputFeed *f);

/* The job's feed if it has not read an entry of the job yet: a follower
 * from the start stands exactly where it does without a handle of its own
 * (reader_new(), reader_pump()). */
static OutputFeed *feed_at_start(OutputReaders *m, const char *job_id) {
        OutputFeed *f = feed_find(m, job_id);
        return f && !f->cursor_lost && !f->cursor ? f : NULL;
}

/* NULL: before the job's first entry. */
static bool cursors_equal(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int on_feed_defer(sd_event_source *s, void *userdata) {
        feed_pump(userdata);
        return 0;
}

/* A follower at the end of the job's entries, on its own handle: it joins
 * the job's feed if that stands exactly where it does, or hands its handle
 * over as the job's feed if there is none. Returns true if it is on a feed
 * now; false: it goes on alone (and tries again at its next end). */
static bool reader_join_feed(OutputReader *r) {
        OutputReaders *m = r->manager->output;
        OutputFeed *f = feed_find(m, r->job_id);

        if (r->cursor_lost)
                return false;
        if (f) {
                if (f->cursor_lost || !cursors_equal(f->cursor, r->cursor))
                        return false;
                if (f->shim_pid == 0)
                        f->shim_pid = r->shim_pid;
                f->end_seen |= r->end_seen;
                r->journal = (sd_journal_close(r->journal), NULL);
                r->cursor = (free(r->cursor), NULL);
        } else {
                f = calloc(1, sizeof(OutputFeed));
                if (!f)
                        return false;
                if (sd_event_add_defer(r->manager->event, &f->defer, on_feed_defer, f) < 0 ||
                    sd_event_source_set_enabled(f->defer, SD_EVENT_OFF) < 0) {
                        sd_event_source_unref(f->defer);
                        free(f);
                        return false;
                }
                f->owner = m;
                memcpy(f->job_id, r->job_id, sizeof f->job_id);
                f->shim_pid = r->shim_pid;
                f->journal = TAKE_PTR(r->journal);
                f->cursor = TAKE_PTR(r->cursor);
                f->finished_seen_usec = r->finished_seen_usec;
                f->end_seen |= r->end_seen;
                f->next = m->feeds;
                m->feeds = f;
        }
        r->feed = f;
        r->feed_next = f->members;
        f->members = r;
        reader_set_events(r, 0);  /* EPOLLERR still tells us when the client leaves */
        return true;
}

/* A member whose pipe is full goes on alone from the entry it is in. */
static void feed_release(OutputFeed *f, OutputReader *r) {
        feed_unlink(f, r);
        r->cursor_lost = f->cursor_lost;
        r->end_seen |= f->end_seen;
        if (f->cursor) {
                r->cursor = strdup(f->cursor);
                if (!r->cursor)
                        r->cursor_lost = true;  /* from the start again: offsets skip what it has */
        }
        /* r->journal stays NULL until the pipe has taken r->pending. */
}

static void feed_end(OutputFeed *f) {
        while (f->members)
                reader_free(f->members);
}

/* Reads the job's entries once for all members. Frees the feed once it has
 * none left. */
static void feed_pump(OutputFeed *f) {
        OutputReaders *m = f->owner;

        f->pumping = true;
        for (unsigned budget = READER_ENTRIES_PER_TURN; f->members; budget--) {
                if (budget == 0) {
                        /* No pipe of ours to wake us: come back next turn. */
                        if (sd_event_source_set_enabled(f->defer, SD_EVENT_ONESHOT) < 0) {
                                log_warning("Failed to schedule the output of job %s.", f->job_id);
                                feed_end(f);
                        }
                        break;
                }
                int k = sd_journal_next(f->journal);
                if (k < 0) {
                        log_warning_errno(k, "Failed to read the journal for job %s: %m", f->job_id);
                        feed_end(f);
                        break;
                }
                if (k == 0) {
                        if (job_is_over(m->manager, f->job_id)) {
                                uint64_t now = now_usec(CLOCK_MONOTONIC);
                                for (OutputReader *r = f->members, *next; r; r = next) {
                                        next = r->feed_next;
                                        if (reader_has_all(r))
                                                reader_free(r);
                                }
                                if (!f->members)
                                        break;
                                if (f->end_seen)
                                        feed_end(f);
                                else if (f->finished_seen_usec == 0)
                                        f->finished_seen_usec = now;
                                else if (now - f->finished_seen_usec >= FINISHED_GRACE_USEC)
                                        feed_end(f);
                        }
                        break;
                }
                remember_cursor(f->journal, &f->cursor, &f->cursor_lost);

                OutputEntry e = output_entry_read(f->journal, f->job_id, f->shim_pid);
                if (e.kind == OUTPUT_ENTRY_END) {
                        if (output_end_now(m->manager, f->job_id, &f->end_seen)) {
                                feed_end(f);
                                break;
                        }
                        continue;
                }
                if (e.kind != OUTPUT_ENTRY_CHUNK)
                        continue;
                for (OutputReader *r = f->members, *next; r; r = next) {
                        next = r->feed_next;
                        if (r->stream != e.stream)
                                continue;
                        k = reader_deliver(r, &e);
                        if (k < 0)
                                reader_free(r);
                        else if (k == DELIVERY_PENDING)
                                feed_release(f, r);
                }
        }
        f->pumping = false;
        if (!f->members)
                feed_free(f);
}

/* New or rotated files are invisible to a handle without inotify: the
 * feed reopens at its cursor. */
static int feed_reopen(OutputFeed *f) {
        sd_journal *j = NULL;
        int k = journal_open_job(f->owner->manager, f->job_id, &f->shim_pid, f->cursor, &j);
        if (k < 0)
                return k;
        sd_journal_close(f->journal);
        f->journal = j;
        return 0;
}

/* Moves as much as the pipe takes, on the reader's own handle (a reader on
 * a feed is pumped by the feed). Frees the reader on EOF or error. */
static int ensure_watch(OutputReaders *m);

/* A reader that does not follow ends where the journal ends, except for a
 * finished job whose byte counts (StdoutBytes/StderrBytes) it has not
 * reached: the job is finished as soon as its shim exits, and journald may
 * not have stored the last entries the shim sent just before. Such a
 * reader waits for them like a follower, for the grace at most. Returns
 * true if it waits. */
static bool reader_await_tail(OutputReader *r) {
        Job *j = manager_find_job(r->manager, r->job_id);
        uint64_t now = now_usec(CLOCK_MONOTONIC);

        if (!j || job_is_active(j) || j->output_bytes[r->stream] == UINT64_MAX ||
            r->position_unknown || r->position >= j->output_bytes[r->stream])
                return false;
        if (!r->awaiting_tail) {
                if (ensure_watch(r->manager->output) < 0)
                        return false;
                r->awaiting_tail = true;
                r->finished_seen_usec = now;
        } else if (now - r->finished_seen_usec >= FINISHED_GRACE_USEC)
                return false;
        reader_set_events(r, 0);
        return true;
}

static void reader_pump(OutputReader *r) {
        assert(!r->feed);

        for (unsigned budget = READER_ENTRIES_PER_TURN;; budget--) {
                if (budget == 0) {
                        /* Come back on the next turn: the pipe's EPOLLOUT
                         * (at once, if it has room) resumes us. */
                        reader_set_events(r, EPOLLOUT);
                        return;
                }
                if (r->pending) {
                        ssize_t n = reader_write(r, r->pending + r->pending_off, r->pending_len - r->pending_off);
                        if (n < 0) {
                                reader_free(r);
                                return;
                        }
                        r->pending_off += (size_t) n;
                        if (r->pending_off < r->pending_len) {
                                reader_set_events(r, EPOLLOUT);
                                return;
                        }
                        r->pending = (free(r->pending), NULL);
                }
                if (!r->journal && r->follow && !r->cursor && !r->cursor_lost &&
                    feed_at_start(r->manager->output, r->job_id) && reader_join_feed(r))
                        return;
                if (!r->journal && reader_open_journal(r) < 0) {
                        reader_free(r);
                        return;
                }

                int k = sd_journal_next(r->journal);
                if (k < 0) {
                        log_warning_errno(k, "Failed to read the journal for job %s: %m", r->job_id);
                        reader_free(r);
                        return;
                }
                if (k == 0) {
                        if (!r->follow) {
                                if (reader_await_tail(r))
                                        return;
                                reader_free(r);
                                return;
                        }
                        /* Past the end marker of a job that is over, or
                         * holding all its bytes: done, not another wait on
                         * a feed. */
                        if ((r->end_seen && job_is_over(r->manager, r->job_id)) || reader_has_all(r)) {
                                reader_free(r);
                                return;
                        }
                        if (reader_join_feed(r))
                                return;
                        if (job_is_over(r->manager, r->job_id)) {
                                uint64_t now = now_usec(CLOCK_MONOTONIC);
                                if (r->end_seen) {
                                        reader_free(r);
                                        return;
                                }
                                if (r->finished_seen_usec == 0)
                                        r->finished_seen_usec = now;
                                else if (now - r->finished_seen_usec >= FINISHED_GRACE_USEC) {
                                        reader_free(r);
                                        return;
                                }
                        }
                        reader_set_events(r, 0);
                        return;
                }

                reader_remember_cursor(r);
                OutputEntry e = output_entry_read(r->journal, r->job_id, r->shim_pid);
                if (e.kind == OUTPUT_ENTRY_END) {
                        if (!r->follow || output_end_now(r->manager, r->job_id, &r->end_seen)) {
                                reader_free(r);
                                return;
                        }
                        continue;
                }
                if (e.kind != OUTPUT_ENTRY_CHUNK || e.stream != r->stream)
                        continue;
                k = reader_deliver(r, &e);
                if (k < 0) {
                        reader_free(r);
                        return;
                }
                if (k == DELIVERY_PENDING)
                        return;
        }
}

static void pump_followers(OutputReaders *m, bool reopen) {
        /* Feeds first: a follower catching up after them finds a feed at
         * the end it reaches, and joins it. feed_pump() frees only the feed
         * it is given. */
        for (OutputFeed *f = m->feeds, *next; f; f = next) {
                next = f->next;
                if (reopen && feed_reopen(f) < 0) {
                        f->pumping = true;
                        feed_end(f);
                        f->pumping = false;
                        feed_free(f);
                } else
                        feed_pump(f);
        }

        /* reader_pump() may free the reader it is given, so walk by id. */
        OutputReader *r = m->readers;
        while (r) {
                OutputReader *next = r->next;
                if ((r->follow || r->awaiting_tail) && !r->feed) {
                        if (r->pending) {
                                /* Reopened at its cursor once the pipe took its bytes. */
                                if (reopen)
                                        r->journal = (sd_journal_close(r->journal), NULL);
                        } else if (reopen && reader_open_journal(r) < 0)
                                reader_free(r);
                        else
                                reader_pump(r);
                }
                r = next;
        }
}

static int on_journal_change(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        OutputReaders *m = userdata;
        int k = sd_journal_process(m->journal_watch);
        /* New or rotated files are invisible to handles without inotify. */
        pump_followers(m, k == SD_JOURNAL_INVALIDATE);
        return 0;
}

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        OutputReaders *m = userdata;
        pump_followers(m, false);
        /* The last follower may have left, taking this timer with it. */
        if (m->journal_poll_timer != s)
                return 0;
        int k = sd_event_source_set_time_relative(s, POLL_USEC);
        if (k < 0)
                return k;
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int ensure_watch(OutputReaders *m) {
        int k, fd;

        if (m->journal_watch) {
                /* Still there from the last follower: in use again. */
                if (m->watch_linger)
                        (void) sd_event_source_set_enabled(m->watch_linger, SD_EVENT_OFF);
                return 0;
        }
        k = sd_journal_open(&m->journal_watch, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (k < 0)
                return log_error_errno(k, "Failed to open the journal: %m");
        fd = sd_journal_get_fd(m->journal_watch);
        if (fd < 0)
                return log_error_errno(fd, "Failed to watch the journal: %m");
        k = sd_event_add_io(m->event, &m->journal_watch_source, fd, EPOLLIN, on_journal_change, m);
        if (k < 0)
                return k;
        /* journald coalesces its change notifications; the timer also
         * covers followers of a finished job waiting out their grace. */
        return sd_event_add_time_relative(m->event, &m->journal_poll_timer, CLOCK_MONOTONIC, POLL_USEC, 0,
                                          on_poll_timer, m);
}

static int on_reader_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        OutputReader *r = userdata;
        if (revents & (EPOLLERR | EPOLLHUP)) {
                reader_free(r);
                return 0;
        }
        if (!r->feed)
                reader_pump(r);
        return 0;
}

/* "From now": start after the last entry the journal holds now. The
 * stream's position there is whatever offset its next chunk carries: no
 * walk back through the job's history (which may be millions of entries of
 * the other stream) to find it. */
static int reader_seek_now(OutputReader *r) {
        int k = sd_journal_seek_tail(r->journal);
        if (k < 0)
                return k;
        k = sd_journal_previous(r->journal);
        if (k < 0)
                return k;
        if (k > 0)
                reader_remember_cursor(r);
        r->position_unknown = true;
        /* Back to where the cursor says, for the first sd_journal_next(). */
        return reader_open_journal(r);
}

static int reader_new(Manager *m, Job *j, int stream, const OutputRequest *req, OutputReader **ret,
                      int *ret_fd) {
        _cleanup_close_pair_ int p[2] = { -1, -1 };
        OutputReader *r;
        int k;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        /* A finished job whose counted bytes the client has all (`run` of
         * a short command often asks only once the job is over): EOF at
         * once, without opening the journal (all of its files) to find
         * nothing. *ret stays NULL. */
        if (!req->from_now && !job_is_active(j) && j->output_bytes[stream] != UINT64_MAX &&
            req->offset[stream] >= j->output_bytes[stream]) {
                *ret = NULL;
                *ret_fd = TAKE_FD(p[0]);
                return 0;
        }
        (void) fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE);
        if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0)
                return -errno;

        r = calloc(1, sizeof(OutputReader));
        if (!r)
                return -ENOMEM;
        r->manager = m;
        memcpy(r->job_id, j->id, sizeof r->job_id);
        r->caller = req->caller;
        r->shim_pid = j->shim_pid;
        r->stream = stream;
        r->follow = req->follow;
        r->position = req->offset[stream];
        r->fd = TAKE_FD(p[1]);
        r->next = m->output->readers;
        m->output->readers = r;

        /* Opening a handle opens every journal file. A follower from the
         * start of a job whose feed has read nothing yet (the second stream
         * of a GetOutput while the job has printed nothing, or one more
         * follower of such a job) joins that feed instead (reader_pump()). */
        if (req->from_now || !r->follow || !feed_at_start(m->output, r->job_id)) {
                k = reader_open_journal(r);
                if (k >= 0 && req->from_now)
                        k = reader_seek_now(r);
        } else
                k = 0;
        if (k >= 0)
                k = sd_event_add_io(m->event, &r->io, r->fd, 0, on_reader_io, r);
        if (k >= 0 && r->follow)
                k = ensure_watch(m->output);
        if (k < 0) {
                reader_free(r);
                return k;
        }
        *ret = r;
        *ret_fd = TAKE_FD(p[0]);
        return 0;
}

int output_open(Manager *m, Job *j, const OutputRequest *req, int ret_fds[2]) {
        int fds[2] = { -1, -1 };
        int k;

        /* Fill each pipe as soon as its reader is there; a reader of a
         * finished job may be done before the client even has its fd: it
         * then simply reads to EOF. Stdout first: a follower of a job
         * that printed nothing yet makes the job's feed, and stderr's
         * then joins it without opening the journal (feed_at_start()). */
        for (int s = 0; s < 2; s++) {
                OutputReader *r = NULL;

                k = reader_new(m, j, s, req, &r, &fds[s]);
                if (k < 0) {
                        /* Stdout's reader, if still there, goes on the
                         * POLLERR of its pipe like any whose client left. */
                        if (s == 1)
                                close(fds[0]);
                        return k;
                }
                if (r)
                        reader_pump(r);
        }
        ret_fds[0] = fds[0];
        ret_fds[1] = fds[1];
        return 0;
}

void output_job_finished(Manager *m, const char *job_id) {
        pump_followers(m->output, false);
}

void output_job_complete(Manager *m, const char *job_id) {
        /* reader_free() frees only the reader it is given (and its feed,
         * once empty, never another reader). */
        for (OutputReader *r = m->output->readers, *next; r; r = next) {
                next = r->next;
                if (strcmp(r->job_id, job_id) == 0 && reader_has_all(r))
                        reader_free(r);
        }
}

static int on_nudge_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        OutputReaders *m = userdata;

        pump_followers(m, false);
        /* The last follower may have left, taking this timer with it. */
        if (m->nudge_timer != s || --m->nudges_left == 0)
                return 0;
        int k = sd_event_source_set_time_relative(s, NUDGE_AGAIN_USEC);
        if (k < 0)
                return k;
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

/* journald tells readers of new entries late: it coalesces its change
 * notifications, up to 250 ms apart. A shim that has just sent output
 * says so, and followers look at once instead (all of them: a look that
 * finds nothing new is cheap). However often shims say it, followers look
 * at most every NUDGE_AGAIN_USEC; the watch and the poll timer stay for
 * whatever is not said (a job found at start-up, whose shim is not ours). */
void output_job_sent(Manager *manager, const char *job_id) {
        OutputReaders *m = manager->output;
        int k;

        if (!m->journal_watch)
                return;  /* no followers */
        if (m->nudge_timer) {
                if (sd_event_source_get_enabled(m->nudge_timer, NULL) > 0) {
                        m->nudges_left = NUDGE_LOOKS;
                        return;
                }
                k = sd_event_source_set_time_relative(m->nudge_timer, NUDGE_FIRST_USEC);
                if (k >= 0)
                        k = sd_event_source_set_enabled(m->nudge_timer, SD_EVENT_ONESHOT);
        } else
                /* Accuracy 1 µs: sd-event's default would let it slip by up
                 * to 250 ms, all that it is for. */
                k = sd_event_add_time_relative(m->event, &m->nudge_timer, CLOCK_MONOTONIC, NUDGE_FIRST_USEC, 1,
                                               on_nudge_timer, m);
        if (k < 0)
                log_debug_errno(k, "Cannot look for the output of job %s early: %m", job_id);
        m->nudges_left = NUDGE_LOOKS;
}

int output_readers_new(Manager *m, OutputReaders **ret) {
        assert(m);
        assert(m->event);
        assert(ret);

        OutputReaders *o = calloc(1, sizeof(OutputReaders));
        if (!o)
                return -ENOMEM;
        o->manager = m;
        o->event = m->event;
        *ret = o;
        return 0;
}

OutputReaders *output_readers_free(OutputReaders *o) {
        if (!o)
                return NULL;
        /* The last reader also takes the watch with it, and the last
         * member of a feed the feed (reader_free()). */
        while (o->readers)
                reader_free(o->readers);
        assert(!o->feeds);
        watch_close(o);
        free(o);
        return NULL;
}

bool output_any(Manager *m) {
        return m->output && m->output->readers;
}

unsigned output_count(Manager *m) {
        unsigned n = 0;
        for (OutputReader *r = m->output->readers; r; r = r->next)
                n++;
        return n;
}

unsigned output_count_for_caller(Manager *m, uid_t caller) {
        unsigned n = 0;
        for (OutputReader *r = m->output->readers; r; r = r->next)
                if (r->caller == caller)
                        n++;
        return n;
}
