/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reassembly of a stream from journal chunks by byte offset: what part of a
 * chunk a reader at a given position still needs. Pure, so it is tested. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct OutputSlice {
        size_t skip;       /* bytes at the chunk's start the reader already has */
        size_t length;     /* bytes to deliver, from skip on (0: nothing new) */
        uint64_t gap;      /* bytes missing before the chunk (lost or vacuumed) */
        uint64_t position; /* the reader's position after delivering */
} OutputSlice;

/* A reader at position meets a chunk of len bytes at offset. Chunks it
 * already has (a resume, a chunk sent twice) give length 0; overlapping ones
 * give the new tail only; one past a hole says how big the hole is. */
OutputSlice output_slice(uint64_t position, uint64_t offset, size_t len);

/* ReadOutput's arithmetic: a reply with room bytes left meets a chunk. As
 * output_slice(), but at most room bytes are taken; whole says whether the
 * chunk is used up (the reply may then move its cursor past it) or must be
 * read again by the next call, which skips what this one took by offset. */
typedef struct OutputTake {
        size_t skip;       /* bytes at the chunk's start the reader already has */
        size_t length;     /* bytes to put in the reply, from skip on */
        uint64_t gap;      /* bytes missing before the chunk */
        uint64_t position; /* the stream position after the reply */
        bool whole;        /* nothing of the chunk is left for a later call */
} OutputTake;

OutputTake output_take(uint64_t position, uint64_t offset, size_t len, size_t room);
