/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Output readers: each client stream gets a pipe; we copy the job's entries
 * for that stream from the journal into it (see job-output.h for the layout).
 *
 * Every reader has its own sd_journal handle, opened without inotify, so it
 * costs file descriptors but no inotify instance; one shared "watcher" handle
 * with inotify wakes all followers when the journal changes. A reader whose
 * pipe is full just waits for POLLOUT: it holds at most the rest of one entry
 * and never slows the job, the daemon or other readers. A reader whose client
 * closed its end is freed on the first POLLERR or EPIPE.
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
#include "output-position.h"
#include "parse-util.h"

/* Followers of a finished job whose end marker never shows up (lost by
 * journald, or written by a shim that was SIGKILLed) get EOF after this. */
#define FINISHED_GRACE_USEC (3 * USEC_PER_SEC)
#define POLL_USEC (1 * USEC_PER_SEC)
#define PIPE_SIZE (1024 * 1024)

static const char *const stream_names[2] = { "stdout", "stderr" };

/* All readers of the daemon, and the one journal handle that tells
 * followers the journal changed (one inotify instance for all). */
struct OutputReaders {
        Manager *manager;          /* for looking up jobs */
        sd_event *event;
        OutputReader *readers;
        sd_journal *journal_watch;
        sd_event_source *journal_watch_source;
        sd_event_source *journal_poll_timer;
};

struct OutputReader {
        Manager *manager;
        OutputReader *next;
        char job_id[13];
        uid_t caller;              /* who opened it: caps count per caller */
        pid_t shim_pid;            /* the job's shim, 0 while unknown */
        int stream;
        int fd;                    /* write end of the client's pipe */
        sd_event_source *io;
        sd_journal *journal;
        char *cursor;              /* last entry fully handled */
        uint64_t position;         /* stream offset of the next byte to deliver */
        bool position_unknown;     /* "from now": the next chunk's offset is the position */
        bool follow;
        uint8_t *pending;          /* rest of an entry the pipe did not take */
        size_t pending_len, pending_off;
        uint64_t finished_seen_usec;  /* CLOCK_MONOTONIC when we first saw the job over at the end */
};

static void reader_free(OutputReader *r) {
        OutputReaders *m = r->manager->output;

        for (OutputReader **p = &m->readers; *p; p = &(*p)->next)
                if (*p == r) {
                        *p = r->next;
                        break;
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
                followers |= i->follow;
        if (!followers) {
                m->journal_watch_source = sd_event_source_disable_unref(m->journal_watch_source);
                m->journal_poll_timer = sd_event_source_disable_unref(m->journal_poll_timer);
                sd_journal_close(m->journal_watch);
                m->journal_watch = NULL;
        }
}

static int add_match(sd_journal *j, const char *format, ...) _printf_(2, 3);
static int add_match(sd_journal *j, const char *format, ...) {
        _cleanup_free_ char *match = NULL;
        va_list ap;

        va_start(ap, format);
        int k = vasprintf(&match, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        return sd_journal_add_match(j, match, 0);
}

/* Only the job's entries sent by root: the journal filters out what other
 * users sent with the job's id. Which root process sent one is checked per
 * entry (entry_from_shim(), entry_from_daemon()): one AND of two fields keeps
 * each reader's lookups cheap, with hundreds of readers open. */
static int reader_add_matches(OutputReader *r) {
        int k;

        /* The shim's pid becomes known once it is forked. */
        Job *job = manager_find_job(r->manager, r->job_id);
        if (job && job->shim_pid > 0)
                r->shim_pid = job->shim_pid;

        if ((k = add_match(r->journal, JOB_FIELD_ID "=%s", r->job_id)) < 0 ||
            (k = add_match(r->journal, "_UID=0")) < 0)
                return k;
        return 0;
}

static int reader_open_journal(OutputReader *r) {
        int k;

        sd_journal_close(r->journal);
        r->journal = NULL;
        /* Job output and our finish records are written by uid 0, so they
         * are in the system journal files. */
        k = sd_journal_open(&r->journal, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
        if (k < 0)
                return log_error_errno(k, "Failed to open the journal: %m");
        k = reader_add_matches(r);
        if (k < 0)
                return k;
        if (r->cursor) {
                k = sd_journal_seek_cursor(r->journal, r->cursor);
                if (k < 0)
                        return k;
                /* Step onto the entry of the cursor; the next step leaves it. */
                k = sd_journal_next(r->journal);
                if (k > 0 && sd_journal_test_cursor(r->journal, r->cursor) <= 0)
                        (void) sd_journal_previous(r->journal);
                return 0;
        }
        return sd_journal_seek_head(r->journal);
}

static int get_field(sd_journal *j, const char *field, const char **ret, size_t *ret_len) {
        const void *data;
        size_t len, flen = strlen(field);
        int k = sd_journal_get_data(j, field, &data, &len);
        if (k < 0)
                return k;
        if (len < flen + 1)
                return -EBADMSG;
        *ret = (const char *) data + flen + 1;
        *ret_len = len - flen - 1;
        return 0;
}

static bool field_equals(sd_journal *j, const char *field, const char *value) {
        const char *v;
        size_t n;
        return get_field(j, field, &v, &n) >= 0 && n == strlen(value) && memcmp(v, value, n) == 0;
}

static bool field_equals_format(sd_journal *j, const char *field, const char *format, ...) _printf_(3, 4);
static bool field_equals_format(sd_journal *j, const char *field, const char *format, ...) {
        _cleanup_free_ char *value = NULL;
        va_list ap;

        va_start(ap, format);
        int k = vasprintf(&value, format, ap);
        va_end(ap);
        return k >= 0 && field_equals(j, field, value);
}

/* Strict: digits only (no sign, no blanks, no -1), and no overflow. */
static int field_u64(sd_journal *j, const char *field, uint64_t *ret) {
        const char *v;
        size_t n;
        char buf[32];
        if (get_field(j, field, &v, &n) < 0 || n == 0 || n >= sizeof buf)
                return -EBADMSG;
        memcpy(buf, v, n);
        buf[n] = '\0';
        return parse_uint64(buf, ret) < 0 ? -EBADMSG : 0;
}

static bool entry_from_shim(OutputReader *r) {
        if (!field_equals(r->journal, "_UID", "0"))
                return false;
        if (r->shim_pid > 0)
                return field_equals_format(r->journal, "_PID", "%d", (int) r->shim_pid);
        /* A record from before shim pids were kept: the job's scope, where
         * only root's own jobs also run as uid 0. */
        return field_equals_format(r->journal, "_SYSTEMD_UNIT", JOBWORKER_UNIT_PREFIX "%s" JOBWORKER_UNIT_SUFFIX,
                                   r->job_id);
}

static bool entry_from_daemon(OutputReader *r) {
        return field_equals(r->journal, "_UID", "0") &&
               (field_equals(r->journal, "_SYSTEMD_UNIT", JOBWORKERD_UNIT) ||
                field_equals_format(r->journal, "_PID", "%d", (int) getpid()));
}

/* A chunk of the reader's stream from the shim: its bytes and offset.
 * offset + len must not wrap, or the stream position would. */
static bool entry_chunk(OutputReader *r, const char **ret_data, size_t *ret_len, uint64_t *ret_offset) {
        if (!field_equals(r->journal, JOB_FIELD_STREAM, stream_names[r->stream]) || !entry_from_shim(r))
                return false;
        if (get_field(r->journal, "MESSAGE", ret_data, ret_len) < 0 ||
            field_u64(r->journal, JOB_FIELD_OFFSET, ret_offset) < 0 ||
            *ret_len > UINT64_MAX - *ret_offset)
                return false;
        return true;
}

static void reader_remember_cursor(OutputReader *r) {
        char *c = NULL;
        if (sd_journal_get_cursor(r->journal, &c) >= 0) {
                free(r->cursor);
                r->cursor = c;
        }
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

/* Entries one reader looks at per turn of the event loop. Skipping is
 * cheap but not free: a reader far behind (or past the end of a long
 * job's output) must not keep everyone else waiting. */
#define READER_ENTRIES_PER_TURN 256

/* Moves as much as the pipe takes. Frees the reader on EOF or error. */
static void reader_pump(OutputReader *r) {
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

                int k = sd_journal_next(r->journal);
                if (k < 0) {
                        log_warning_errno(k, "Failed to read the journal for job %s: %m", r->job_id);
                        reader_free(r);
                        return;
                }
                if (k == 0) {
                        if (!r->follow) {
                                reader_free(r);
                                return;
                        }
                        if (job_is_over(r->manager, r->job_id)) {
                                uint64_t now = now_usec(CLOCK_MONOTONIC);
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
                /* The end of the job's output: the shim's end marker, or our
                 * own record that the job finished (the shim may have died).
                 * Nothing after it is the job's, whoever reads: a later entry
                 * with the shim's pid is from another process that got the
                 * pid once the shim was gone. */
                if ((field_equals(r->journal, "MESSAGE_ID", JOB_OUTPUT_END_MESSAGE_ID) && entry_from_shim(r)) ||
                    (field_equals(r->journal, "MESSAGE_ID", JOB_FINISHED_MESSAGE_ID) && entry_from_daemon(r))) {
                        reader_free(r);
                        return;
                }

                const char *data;
                size_t len;
                uint64_t offset;
                if (!entry_chunk(r, &data, &len, &offset))
                        continue;
                if (r->position_unknown) {
                        r->position = offset;
                        r->position_unknown = false;
                }
                /* Offsets make delivery exact: what the client already has
                 * (a resume, or a chunk the shim sent twice) is skipped. */
                OutputSlice slice = output_slice(r->position, offset, len);
                if (slice.gap > 0)
                        log_warning("Job %s lost %" PRIu64 " bytes of %s in the journal (vacuumed or dropped).",
                                    r->job_id, slice.gap, stream_names[r->stream]);
                r->position = slice.position;
                if (slice.length == 0)
                        continue;
                const uint8_t *p = (const uint8_t *) data + slice.skip;
                size_t n_left = slice.length;

                ssize_t n = reader_write(r, p, n_left);
                if (n < 0) {
                        reader_free(r);
                        return;
                }
                if ((size_t) n < n_left) {
                        r->pending = malloc(n_left - (size_t) n);
                        if (!r->pending) {
                                reader_free(r);
                                return;
                        }
                        memcpy(r->pending, p + n, n_left - (size_t) n);
                        r->pending_len = n_left - (size_t) n;
                        r->pending_off = 0;
                        reader_set_events(r, EPOLLOUT);
                        return;
                }
        }
}

static void pump_followers(OutputReaders *m, bool reopen) {
        /* reader_pump() may free the reader it is given, so walk by id. */
        OutputReader *r = m->readers;
        while (r) {
                OutputReader *next = r->next;
                if (r->follow && !r->pending) {
                        if (reopen && reader_open_journal(r) < 0)
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

        if (m->journal_watch)
                return 0;
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

        k = reader_open_journal(r);
        if (k >= 0 && req->from_now)
                k = reader_seek_now(r);
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
        OutputReader *readers[2] = {};
        int fds[2] = { -1, -1 };
        int k;

        for (int s = 0; s < 2; s++) {
                k = reader_new(m, j, s, req, &readers[s], &fds[s]);
                if (k < 0) {
                        if (s == 1) {
                                close(fds[0]);
                                reader_free(readers[0]);
                        }
                        return k;
                }
        }
        /* Fill the pipes now. A reader of a finished job may be done before
         * the client even has its fd: it then simply reads to EOF. */
        reader_pump(readers[0]);
        reader_pump(readers[1]);
        ret_fds[0] = fds[0];
        ret_fds[1] = fds[1];
        return 0;
}

void output_job_finished(Manager *m, const char *job_id) {
        pump_followers(m->output, false);
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
        /* The last reader also takes the watch with it (reader_free()). */
        while (o->readers)
                reader_free(o->readers);
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
