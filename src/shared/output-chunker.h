/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The buffering of one output stream into journal-sized chunks, without any
 * I/O: the caller reads into the free space, commits what it read with a
 * monotonic timestamp, and asks when to send. A chunk is due when it is full
 * (JOB_OUTPUT_CHUNK_MAX bytes), at EOF, or else JOB_OUTPUT_FLUSH_USEC after
 * the previous chunk went out (at once when that was longer ago, or there
 * was none: a line after a pause is not held back, a busy stream is still
 * batched); never when empty. At most
 * OUTPUT_CHUNKER_MAX_PER_SEC chunks are due per second per stream, so the
 * entry rate stays below journald's rate limit whatever the job prints; a
 * full chunk that must wait stops the reading (the job blocks on write). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "job-output.h"

/* 250/s is at most 7750 entries in any 30 s, below journald's smallest
 * burst of 10000 per 30 s per priority; and 62.5 MiB/s per stream. */
#define OUTPUT_CHUNKER_MAX_PER_SEC 250U

typedef struct OutputChunker {
        uint8_t *buffer;        /* headroom + capacity bytes, allocated on first use */
        size_t headroom;        /* bytes the sender may use before the chunk */
        size_t capacity;        /* the largest chunk */
        size_t length;          /* bytes waiting */
        uint64_t offset;        /* stream offset of the first waiting byte */
        uint64_t oldest_usec;   /* when the first waiting byte arrived */
        uint64_t last_sent_usec;   /* when the previous chunk went out */
        bool sent_any;
        uint64_t window_usec;   /* start of the current one-second window */
        unsigned window_sent;   /* chunks sent in it */
        bool eof;
} OutputChunker;

/* headroom: bytes kept writable before every chunk (for a field prefix such
 * as "MESSAGE=", so the chunk goes out without a copy). capacity 0 means
 * JOB_OUTPUT_CHUNK_MAX. */
void output_chunker_init(OutputChunker *c, size_t headroom, size_t capacity);
void output_chunker_done(OutputChunker *c);

/* Where to read the next bytes to, and how many fit; 0 while the chunk is
 * full (or at EOF): stop reading until it is sent. -ENOMEM if the buffer
 * cannot be allocated. */
int output_chunker_space(OutputChunker *c, uint8_t **ret_ptr, size_t *ret_size);
/* n bytes were written to the space at now_usec. */
void output_chunker_commit(OutputChunker *c, size_t n, uint64_t now_usec);
/* Copies data in (as much as fits); returns the bytes taken or -ENOMEM. */
int output_chunker_append(OutputChunker *c, const void *data, size_t n, uint64_t now_usec);
void output_chunker_set_eof(OutputChunker *c);

bool output_chunker_is_full(const OutputChunker *c);
/* Nothing waits and the stream has ended. */
bool output_chunker_is_finished(const OutputChunker *c);
/* Bytes of the stream seen so far (sent or waiting). */
uint64_t output_chunker_total(const OutputChunker *c);

/* When the waiting chunk is due (monotonic µs; 0 = now); UINT64_MAX when
 * nothing waits. */
uint64_t output_chunker_deadline(const OutputChunker *c);
bool output_chunker_due(const OutputChunker *c, uint64_t now_usec);

/* The waiting chunk; headroom bytes before *ret_data are the caller's. */
size_t output_chunker_peek(const OutputChunker *c, uint8_t **ret_data, uint64_t *ret_offset);
/* The waiting chunk was sent (or given up) at now_usec: drop it. */
void output_chunker_sent(OutputChunker *c, uint64_t now_usec);
