/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The KEY=VALUE text records under RUNSTATEDIR/jobs: one strict reader, the
 * writers of their values, the hex decoder. Pure: no I/O, no logging.
 *
 * jobworker has three formats, each for its own reason:
 *  - these records: the daemon's job records (<id>.job, job-record.c) and
 *    the shim's status records (<id>.status, job-status.c). Files an admin
 *    may grep, that outlive the process that wrote them, so one field per
 *    line, numbers in decimal and every byte string hex-encoded;
 *  - the shim spec (shim-spec.h): the daemon's request to the shim on a
 *    sealed memfd, a vector of NUL-terminated KEY=VALUE entries like
 *    /proc/PID/environ, binary-safe without escaping since argv and the
 *    environment cannot hold a NUL anyway;
 *  - the init → shim record (job-status.h): one short "KIND VALUE [STAGE]"
 *    line in a single write, under PIPE_BUF so it is atomic, from a process
 *    about to exit.
 *
 * A record is a sequence of lines "KEY=VALUE\n": KEY of [A-Z0-9_]+, VALUE
 * any bytes but '\n', the last line newline-terminated too (so a cut record
 * is noticed), no NUL anywhere. Which keys exist, whether they may repeat
 * and what their values mean is for each record's parser; unknown keys are
 * for it to skip, so newer writers can add fields. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called for each line, in order, with NUL-terminated copies of its key
 * and value, valid during the call only. A negative return stops parsing. */
typedef int (*KVLineHandler)(const char *key, const char *value, void *userdata);

/* Hands the lines of text (size bytes, not NUL-terminated) to handler.
 * Returns 0; -EBADMSG when the text is not a record (nothing from the bad
 * line on is handed over, the lines before it were); -ENOMEM; or what
 * handler returned. */
int kv_record_parse(const char *text, size_t size, KVLineHandler handler, void *userdata);

/* A record being written. The first failure sticks and every later call is
 * a no-op, so a writer checks once, in kv_writer_finish(). */
typedef struct KVWriter {
        char *data;
        size_t size;
        size_t allocated;
        int error;
} KVWriter;

#define KV_WRITER_INIT {}

void kv_writer_done(KVWriter *w);

void kv_put_u64(KVWriter *w, const char *key, uint64_t v);
void kv_put_int(KVWriter *w, const char *key, int v);
/* A value written as it is: printable ASCII but space, maybe none (names,
 * ids, enum strings, addresses). Anything else fails the record with
 * -EINVAL. */
void kv_put_token(KVWriter *w, const char *key, const char *value);
/* Any bytes, as pairs of lowercase hex digits. */
void kv_put_hex(KVWriter *w, const char *key, const void *value, size_t size);
void kv_put_hex_string(KVWriter *w, const char *key, const char *s);

/* The record, NUL-terminated (*ret_size, if not NULL, does not count the
 * NUL), or the first failure: -EINVAL for a bad token, -ENOMEM. */
int kv_writer_finish(KVWriter *w, char **ret, size_t *ret_size);

bool kv_token_valid(const char *s);

/* Undoes kv_put_hex(): pairs of lowercase hex digits, nothing else. The
 * bytes are followed by a NUL not counted in *ret_size. Unless allow_nul,
 * the bytes are a C string and a 00 pair is refused. Returns 0, -EINVAL,
 * -ENOMEM. */
int kv_unhex(const char *s, bool allow_nul, uint8_t **ret, size_t *ret_size);
/* The same for a C string. */
int kv_unhex_string(const char *s, char **ret);
