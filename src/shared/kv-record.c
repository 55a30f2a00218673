/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The KEY=VALUE record codec (kv-record.h): reader, writers, hex. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv-record.h"
#include "macro.h"

static const char hex_digits[] = "0123456789abcdef";

static bool key_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool key_valid(const char *key, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!key_char(key[i]))
                        return false;
        return true;
}

/* Room for n more bytes and a NUL: doubling, so a 2 MiB value costs a few
 * reallocations, not one per write. */
static bool writer_reserve(KVWriter *w, size_t n) {
        if (w->error < 0)
                return false;
        if (n >= SIZE_MAX / 2 - w->size) {
                w->error = -ENOMEM;
                return false;
        }
        if (w->size + n + 1 <= w->allocated)
                return true;

        size_t a = w->allocated < 128 ? 256 : w->allocated < SIZE_MAX / 4 ? w->allocated * 2 : 0;
        if (a < w->size + n + 1)
                a = w->size + n + 1;
        char *d = realloc(w->data, a);
        if (!d) {
                w->error = -ENOMEM;
                return false;
        }
        w->data = d;
        w->allocated = a;
        return true;
}

static void writer_append(KVWriter *w, const char *p, size_t n) {
        memcpy(w->data + w->size, p, n);
        w->size += n;
        w->data[w->size] = '\0';
}

/* A line whose value is already text; value_len bytes of it. */
static void put_line(KVWriter *w, const char *key, const char *value, size_t value_len) {
        size_t key_len = strlen(key);

        assert(key_valid(key, key_len));
        if (!writer_reserve(w, key_len + 1 + value_len + 1))
                return;
        writer_append(w, key, key_len);
        writer_append(w, "=", 1);
        writer_append(w, value, value_len);
        writer_append(w, "\n", 1);
}

void kv_put_u64(KVWriter *w, const char *key, uint64_t v) {
        char buf[sizeof("18446744073709551615")];
        int n = snprintf(buf, sizeof buf, "%" PRIu64, v);

        assert(w);
        put_line(w, key, buf, (size_t) n);
}

void kv_put_int(KVWriter *w, const char *key, int v) {
        char buf[sizeof("-2147483648")];
        int n = snprintf(buf, sizeof buf, "%d", v);

        assert(w);
        put_line(w, key, buf, (size_t) n);
}

bool kv_token_valid(const char *s) {
        if (!s)
                return false;
        for (const char *p = s; *p; p++)
                if (*p <= ' ' || *p > '~')
                        return false;
        return true;
}

void kv_put_token(KVWriter *w, const char *key, const char *value) {
        assert(w);
        if (!kv_token_valid(value)) {
                if (w->error == 0)
                        w->error = -EINVAL;
                return;
        }
        put_line(w, key, value, strlen(value));
}

/* Straight into the buffer: a record may hold 2 MiB of command line, and
 * a printf per byte would keep the daemon's event loop busy noticeably. */
void kv_put_hex(KVWriter *w, const char *key, const void *value, size_t size) {
        const uint8_t *v = value;
        size_t key_len = strlen(key);

        assert(w);
        assert(value || size == 0);
        assert(key_valid(key, key_len));
        if (size > SIZE_MAX / 4 || !writer_reserve(w, key_len + 1 + 2 * size + 1)) {
                if (w->error == 0)
                        w->error = -ENOMEM;
                return;
        }
        writer_append(w, key, key_len);
        writer_append(w, "=", 1);
        char *out = w->data + w->size;
        for (size_t i = 0; i < size; i++) {
                *out++ = hex_digits[v[i] >> 4];
                *out++ = hex_digits[v[i] & 15];
        }
        w->size += 2 * size;
        writer_append(w, "\n", 1);
}

void kv_put_hex_string(KVWriter *w, const char *key, const char *s) {
        assert(s);
        kv_put_hex(w, key, s, strlen(s));
}

int kv_writer_finish(KVWriter *w, char **ret, size_t *ret_size) {
        assert(w);
        assert(ret);

        /* An empty record is still a string. */
        if (!writer_reserve(w, 0))
                return w->error;
        w->data[w->size] = '\0';
        if (ret_size)
                *ret_size = w->size;
        *ret = TAKE_PTR(w->data);
        *w = (KVWriter) KV_WRITER_INIT;
        return 0;
}

void kv_writer_done(KVWriter *w) {
        free(w->data);
        *w = (KVWriter) KV_WRITER_INIT;
}

int kv_record_parse(const char *text, size_t size, KVLineHandler handler, void *userdata) {
        _cleanup_free_ char *line = NULL;
        size_t allocated = 0;
        int r;

        assert(text || size == 0);
        assert(handler);

        for (size_t pos = 0; pos < size;) {
                const char *start = text + pos, *nl, *eq;
                size_t n;

                nl = memchr(start, '\n', size - pos);
                if (!nl)
                        return -EBADMSG;        /* cut short: the last line has no newline */
                n = (size_t) (nl - start);
                if (memchr(start, '\0', n))
                        return -EBADMSG;
                eq = memchr(start, '=', n);
                if (!eq || !key_valid(start, (size_t) (eq - start)))
                        return -EBADMSG;

                /* Copies, so the handler gets C strings and the text may be
                 * read-only; one buffer grown to the longest line. */
                if (n + 1 > allocated) {
                        char *l = realloc(line, n + 1);
                        if (!l)
                                return -ENOMEM;
                        line = l;
                        allocated = n + 1;
                }
                memcpy(line, start, n);
                line[n] = '\0';
                line[eq - start] = '\0';

                r = handler(line, line + (eq - start) + 1, userdata);
                if (r < 0)
                        return r;
                pos += n + 1;
        }
        return 0;
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

int kv_unhex(const char *s, bool allow_nul, uint8_t **ret, size_t *ret_size) {
        _cleanup_free_ uint8_t *out = NULL;
        size_t n;

        assert(s);
        assert(ret);

        n = strlen(s);
        if (n % 2 != 0)
                return -EINVAL;
        out = malloc(n / 2 + 1);
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n / 2; i++) {
                int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -EINVAL;
                out[i] = (uint8_t) (hi << 4 | lo);
                if (out[i] == 0 && !allow_nul)
                        return -EINVAL;
        }
        out[n / 2] = 0;
        if (ret_size)
                *ret_size = n / 2;
        *ret = TAKE_PTR(out);
        return 0;
}

int kv_unhex_string(const char *s, char **ret) {
        uint8_t *bytes;
        int r = kv_unhex(s, false, &bytes, NULL);

        if (r < 0)
                return r;
        *ret = (char *) bytes;
        return 0;
}
