/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "output-chunker.h"

void output_chunker_init(OutputChunker *c, size_t headroom, size_t capacity) {
        *c = (OutputChunker) {
                .headroom = headroom,
                .capacity = capacity > 0 ? capacity : JOB_OUTPUT_CHUNK_MAX,
        };
}

void output_chunker_done(OutputChunker *c) {
        free(c->buffer);
        c->buffer = NULL;
}

int output_chunker_space(OutputChunker *c, uint8_t **ret_ptr, size_t *ret_size) {
        if (c->eof || c->length >= c->capacity) {
                *ret_ptr = NULL;
                *ret_size = 0;
                return 0;
        }
        /* Lazily: a quiet stream costs nothing, and untouched pages of a
         * large allocation are not charged to the job. */
        if (!c->buffer) {
                c->buffer = malloc(c->headroom + c->capacity);
                if (!c->buffer)
                        return -ENOMEM;
        }
        *ret_ptr = c->buffer + c->headroom + c->length;
        *ret_size = c->capacity - c->length;
        return 0;
}

void output_chunker_commit(OutputChunker *c, size_t n, uint64_t now_usec) {
        if (n == 0)
                return;
        if (c->length == 0)
                c->oldest_usec = now_usec;
        c->length += n;
}

int output_chunker_append(OutputChunker *c, const void *data, size_t n, uint64_t now_usec) {
        uint8_t *p;
        size_t size;
        int r = output_chunker_space(c, &p, &size);
        if (r < 0)
                return r;
        if (n > size)
                n = size;
        if (n > 0)
                memcpy(p, data, n);
        output_chunker_commit(c, n, now_usec);
        return (int) n;
}

void output_chunker_set_eof(OutputChunker *c) {
        c->eof = true;
}

bool output_chunker_is_full(const OutputChunker *c) {
        return c->length >= c->capacity;
}

bool output_chunker_is_finished(const OutputChunker *c) {
        return c->eof && c->length == 0;
}

uint64_t output_chunker_total(const OutputChunker *c) {
        return c->offset + c->length;
}

uint64_t output_chunker_deadline(const OutputChunker *c) {
        uint64_t due;

        if (c->length == 0)
                return UINT64_MAX;
        if (c->eof || output_chunker_is_full(c))
                due = 0;
        else if (!c->sent_any || c->last_sent_usec + JOB_OUTPUT_FLUSH_USEC <= c->oldest_usec)
                due = c->oldest_usec;
        else
                due = c->last_sent_usec + JOB_OUTPUT_FLUSH_USEC;
        /* Too many this second: wait for the next one. */
        if (c->window_sent >= OUTPUT_CHUNKER_MAX_PER_SEC && c->window_usec + USEC_PER_SEC > due)
                due = c->window_usec + USEC_PER_SEC;
        return due;
}

bool output_chunker_due(const OutputChunker *c, uint64_t now_usec) {
        return c->length > 0 && now_usec >= output_chunker_deadline(c);
}

size_t output_chunker_peek(const OutputChunker *c, uint8_t **ret_data, uint64_t *ret_offset) {
        if (ret_data)
                *ret_data = c->buffer ? c->buffer + c->headroom : NULL;
        if (ret_offset)
                *ret_offset = c->offset;
        return c->length;
}

void output_chunker_sent(OutputChunker *c, uint64_t now_usec) {
        if (c->length == 0)
                return;
        c->offset += c->length;
        c->length = 0;
        c->last_sent_usec = now_usec;
        c->sent_any = true;
        if (c->window_sent == 0 || now_usec >= c->window_usec + USEC_PER_SEC) {
                c->window_usec = now_usec;
                c->window_sent = 0;
        }
        c->window_sent++;
}
