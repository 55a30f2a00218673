/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The relay of the job's stdout and stderr to the journal: the command
 * writes into two pipes, the shim reads them, cuts the bytes into chunks
 * (output-chunker.h) and sends each as one entry (job-output.h), until init
 * has exited and both pipes are at EOF. Then one end entry. */
#define _GNU_SOURCE 1
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
/* Exactly the fields of job-output.h: no CODE_FILE/CODE_LINE/CODE_FUNC. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>
#include <time.h>

#include "time-util.h"
#include "job-output.h"
#include "log.h"
#include "output-chunker.h"
#include "shim.h"

#define MESSAGE_PREFIX "MESSAGE="
/* Give up on a chunk journald keeps refusing after this long. */
#define SEND_RETRY_USEC (60 * USEC_PER_SEC)
/* Init's exit kills the PID namespace, so its pipes close at once; bound
 * the wait anyway (an fd passed out of the namespace could hold them). */
#define EOF_GRACE_USEC (5 * USEC_PER_SEC)

static const char *const stream_names[_SHIM_STREAM_MAX] = {
        [SHIM_STREAM_STDOUT] = "stdout",
        [SHIM_STREAM_STDERR] = "stderr",
};

static void sleep_usec(uint64_t usec) {
        struct timespec ts = { .tv_sec = (time_t) (usec / USEC_PER_SEC),
                               .tv_nsec = (long) ((usec % USEC_PER_SEC) * NSEC_PER_USEC) };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* journald restarting, or its socket buffer full for a moment. */
static bool send_error_transient(int r) {
        return r == -EAGAIN || r == -ENOBUFS || r == -ECONNREFUSED || r == -ENOENT ||
               r == -EINTR || r == -ENOMEM;
}

/* Sends iov, retrying transient failures with growing sleeps for up to
 * SEND_RETRY_USEC. */
static int journal_sendv_retry(const struct iovec *iov, int n) {
        uint64_t slept = 0, pause = 10 * USEC_PER_MSEC;

        for (;;) {
                int r = sd_journal_sendv(iov, n);
                if (r >= 0)
                        return 0;
                if (!send_error_transient(r) || slept >= SEND_RETRY_USEC)
                        return r;
                sleep_usec(pause);
                slept += pause;
                pause = pause * 2 > USEC_PER_SEC ? USEC_PER_SEC : pause * 2;
        }
}

#define IOVEC_STR(s) (struct iovec) { .iov_base = (void *) (s), .iov_len = strlen(s) }

static int journal_send_chunk(void *userdata, ShimStream stream, uint8_t *data, size_t len, uint64_t offset) {
        const OutputJournal *j = userdata;
        char priority[16], stream_field[32], offset_field[64];

        snprintf(priority, sizeof priority, "PRIORITY=%d", stream == SHIM_STREAM_STDOUT ? LOG_INFO : LOG_ERR);
        snprintf(stream_field, sizeof stream_field, JOB_FIELD_STREAM "=%s", stream_names[stream]);
        snprintf(offset_field, sizeof offset_field, JOB_FIELD_OFFSET "=%" PRIu64, offset);

        /* The chunker keeps room for the prefix before the chunk: one field,
         * no copy. The native protocol carries any byte. */
        memcpy(data - strlen(MESSAGE_PREFIX), MESSAGE_PREFIX, strlen(MESSAGE_PREFIX));
        const struct iovec iov[] = {
                { .iov_base = data - strlen(MESSAGE_PREFIX), .iov_len = strlen(MESSAGE_PREFIX) + len },
                IOVEC_STR(priority),
                IOVEC_STR(j->identifier_field),
                IOVEC_STR(j->command_field),
                IOVEC_STR(j->unit_field),
                IOVEC_STR(j->id_field),
                IOVEC_STR(stream_field),
                IOVEC_STR(offset_field),
        };
        int r = journal_sendv_retry(iov, (int) ELEMENTSOF(iov));
        /* Tell the daemon: its followers need not wait for journald's own
         * change notification, which journald delays (by up to 250 ms) to
         * coalesce them. Never blocks; a full socket already says it. */
        if (r >= 0 && j->notify_fd >= 0)
                (void) send(j->notify_fd, &(const char) { SHIM_BYTE_SENT }, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        return r;
}

static int journal_send_end(void *userdata, uint64_t stdout_bytes, uint64_t stderr_bytes, uint64_t lost_bytes) {
        OutputJournal *j = userdata;
        char message[160], out_field[64], err_field[64], lost_field[64];
        struct iovec iov[10];
        int n = 0;

        snprintf(message, sizeof message,
                 "MESSAGE=Output of job %s ended: %" PRIu64 " bytes on stdout, %" PRIu64 " bytes on stderr.",
                 j->id, stdout_bytes, stderr_bytes);
        snprintf(out_field, sizeof out_field, "JOB_STDOUT_BYTES=%" PRIu64, stdout_bytes);
        snprintf(err_field, sizeof err_field, "JOB_STDERR_BYTES=%" PRIu64, stderr_bytes);
        snprintf(lost_field, sizeof lost_field, "JOB_LOST_BYTES=%" PRIu64, lost_bytes);

        iov[n++] = IOVEC_STR(message);
        iov[n++] = IOVEC_STR("MESSAGE_ID=" JOB_OUTPUT_END_MESSAGE_ID);
        iov[n++] = IOVEC_STR("PRIORITY=6");
        iov[n++] = IOVEC_STR(j->identifier_field);
        iov[n++] = IOVEC_STR(j->unit_field);
        iov[n++] = IOVEC_STR(j->id_field);
        iov[n++] = IOVEC_STR(JOB_FIELD_STREAM "=end");
        iov[n++] = IOVEC_STR(out_field);
        iov[n++] = IOVEC_STR(err_field);
        if (lost_bytes > 0)
                iov[n++] = IOVEC_STR(lost_field);
        int r = journal_sendv_retry(iov, n);
        if (r >= 0 && lost_bytes == 0) {
                j->complete = true;
                j->bytes[0] = stdout_bytes;
                j->bytes[1] = stderr_bytes;
        }
        return r;
}

int output_journal_init(OutputJournal *j, const char *id, const char *command, int notify_fd,
                        OutputSink *ret_sink) {
        assert(j);
        assert(id);
        assert(command);
        assert(ret_sink);

        *j = (OutputJournal) { .id = id, .notify_fd = notify_fd };
        if (asprintf(&j->identifier_field, "SYSLOG_IDENTIFIER=" JOB_SYSLOG_IDENTIFIER_PREFIX "%s", id) < 0 ||
            asprintf(&j->command_field, JOB_FIELD_COMMAND "=%s", command) < 0 ||
            asprintf(&j->unit_field, "OBJECT_SYSTEMD_UNIT=jobworker-%s.scope", id) < 0 ||
            asprintf(&j->id_field, JOB_FIELD_ID "=%s", id) < 0) {
                output_journal_done(j);
                return -ENOMEM;
        }
        *ret_sink = (OutputSink) {
                .send_chunk = journal_send_chunk,
                .send_end = journal_send_end,
                .userdata = j,
        };
        return 0;
}

void output_journal_done(OutputJournal *j) {
        free(j->identifier_field);
        free(j->command_field);
        free(j->unit_field);
        free(j->id_field);
        *j = (OutputJournal) { .notify_fd = -1 };
}

static int pidfd_open_wrapper(pid_t pid) {
#ifdef SYS_pidfd_open
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        return fd < 0 ? -errno : fd;
#else
        return -ENOSYS;
#endif
}

/* Sends the waiting chunk of stream i, counting it lost if it cannot go. */
static void flush_stream(const OutputSink *sink, ShimStream i, OutputChunker *c, uint64_t *lost) {
        uint8_t *data;
        uint64_t offset;
        size_t len = output_chunker_peek(c, &data, &offset);

        if (len == 0)
                return;
        if (sink->send_chunk(sink->userdata, i, data, len, offset) < 0)
                *lost += len;
        output_chunker_sent(c, now_usec(CLOCK_MONOTONIC));
}

/* Reads what is there into the chunk; marks EOF (also on errors: the pipe
 * is ours alone, an error means nothing more can come). */
static void read_stream(int fd, OutputChunker *c, uint64_t now) {
        uint8_t *p;
        size_t size;

        if (output_chunker_space(c, &p, &size) < 0) {
                /* No memory for the buffer: retry on the next round. */
                return;
        }
        if (size == 0)
                return;
        ssize_t n = read(fd, p, size);
        if (n > 0)
                output_chunker_commit(c, (size_t) n, now);
        else if (n == 0 || (errno != EINTR && errno != EAGAIN))
                output_chunker_set_eof(c);
}

int output_relay(const int fds[_SHIM_STREAM_MAX], pid_t init_pid, const OutputSink *sink, int *ret_wait_status) {
        OutputChunker chunkers[_SHIM_STREAM_MAX];
        uint64_t lost = 0, init_exited_usec = 0;
        bool init_exited = false;
        int pidfd, r = 0;

        pidfd = pidfd_open_wrapper(init_pid);   /* < 0: poll waitpid() every 100 ms */

        for (ShimStream i = 0; i < _SHIM_STREAM_MAX; i++) {
                output_chunker_init(&chunkers[i], strlen(MESSAGE_PREFIX), JOB_OUTPUT_CHUNK_MAX);
                if (fds[i] < 0)
                        output_chunker_set_eof(&chunkers[i]);
        }

        for (;;) {
                struct pollfd p[_SHIM_STREAM_MAX + 1];
                ShimStream which[_SHIM_STREAM_MAX];
                uint64_t now = now_usec(CLOCK_MONOTONIC), deadline = UINT64_MAX;
                size_t n = 0, n_streams = 0;
                bool finished = true;

                if (!init_exited) {
                        pid_t pid = waitpid(init_pid, ret_wait_status, WNOHANG);
                        if (pid == init_pid || (pid < 0 && errno != EINTR)) {
                                if (pid < 0) {
                                        r = -errno;
                                        *ret_wait_status = -1;
                                }
                                init_exited = true;
                                init_exited_usec = now;
                        }
                }
                bool give_up = init_exited && now >= init_exited_usec + EOF_GRACE_USEC;

                for (ShimStream i = 0; i < _SHIM_STREAM_MAX; i++) {
                        OutputChunker *c = &chunkers[i];

                        if (give_up)
                                output_chunker_set_eof(c);
                        if (output_chunker_due(c, now))
                                flush_stream(sink, i, c, &lost);
                        if (!output_chunker_is_finished(c))
                                finished = false;
                        uint64_t d = output_chunker_deadline(c);
                        if (d < deadline)
                                deadline = d;
                        /* A full chunk waits for its send: the job blocks. */
                        if (!c->eof && !output_chunker_is_full(c)) {
                                p[n++] = (struct pollfd) { .fd = fds[i], .events = POLLIN };
                                which[n_streams++] = i;
                        }
                }
                if (init_exited && finished)
                        break;

                if (init_exited) {
                        if (init_exited_usec + EOF_GRACE_USEC < deadline)
                                deadline = init_exited_usec + EOF_GRACE_USEC;
                } else if (pidfd >= 0)
                        p[n++] = (struct pollfd) { .fd = pidfd, .events = POLLIN };
                else if (now + 100 * USEC_PER_MSEC < deadline)
                        deadline = now + 100 * USEC_PER_MSEC;

                int timeout_ms = -1;
                if (deadline != UINT64_MAX) {
                        /* Round up, so we do not wake just before it. */
                        uint64_t ms = deadline > now ? (deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC : 0;
                        timeout_ms = ms > 60000 ? 60000 : (int) ms;
                }
                if (poll(p, n, timeout_ms) < 0) {
                        if (errno == EINTR)
                                continue;
                        /* Cannot wait: do not spin; stop reading, send what we
                         * have, and wait for init the plain way. */
                        for (ShimStream i = 0; i < _SHIM_STREAM_MAX; i++) {
                                output_chunker_set_eof(&chunkers[i]);
                                flush_stream(sink, i, &chunkers[i], &lost);
                        }
                        r = 0;
                        if (!init_exited)
                                while (waitpid(init_pid, ret_wait_status, 0) < 0)
                                        if (errno != EINTR) {
                                                r = -errno;
                                                break;
                                        }
                        break;
                }

                now = now_usec(CLOCK_MONOTONIC);
                for (size_t k = 0; k < n_streams; k++)
                        if (p[k].revents != 0)
                                read_stream(p[k].fd, &chunkers[which[k]], now);
        }

        if (sink->send_end && (fds[SHIM_STREAM_STDOUT] >= 0 || fds[SHIM_STREAM_STDERR] >= 0))
                (void) sink->send_end(sink->userdata,
                                      output_chunker_total(&chunkers[SHIM_STREAM_STDOUT]),
                                      output_chunker_total(&chunkers[SHIM_STREAM_STDERR]),
                                      lost);

        for (ShimStream i = 0; i < _SHIM_STREAM_MAX; i++)
                output_chunker_done(&chunkers[i]);
        if (pidfd >= 0)
                close(pidfd);
        return r;
}
