/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text forms jobworkerctl prints: sizes, durations, timestamps, JSON strings
 * and shell-quoted words. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "macro.h"
#include "utf8.h"

char *format_bytes(char buf[static FORMAT_BYTES_MAX], uint64_t bytes) {
        static const struct {
                const char *suffix;
                uint64_t factor;
        } table[] = {
                { "E", UINT64_C(1024) * 1024 * 1024 * 1024 * 1024 * 1024 },
                { "P", UINT64_C(1024) * 1024 * 1024 * 1024 * 1024 },
                { "T", UINT64_C(1024) * 1024 * 1024 * 1024 },
                { "G", UINT64_C(1024) * 1024 * 1024 },
                { "M", UINT64_C(1024) * 1024 },
                { "K", UINT64_C(1024) },
        };

        if (bytes == UINT64_MAX) {
                snprintf(buf, FORMAT_BYTES_MAX, "infinity");
                return buf;
        }
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (bytes >= table[i].factor) {
                        /* The tenth from the remainder: bytes * 10 could overflow,
                         * the remainder (< 2^60) * 10 cannot. */
                        uint64_t whole = bytes / table[i].factor;
                        uint64_t tenth = (bytes % table[i].factor) * 10 / table[i].factor;
                        snprintf(buf, FORMAT_BYTES_MAX, "%" PRIu64 ".%u%s",
                                 whole, (unsigned) (tenth % 10), table[i].suffix);
                        return buf;
                }
        snprintf(buf, FORMAT_BYTES_MAX, "%" PRIu64 "B", bytes);
        return buf;
}

char *format_timespan(char buf[static FORMAT_TIMESPAN_MAX], uint64_t usec, uint64_t accuracy_usec) {
        static const struct {
                const char *suffix;
                uint64_t usec;
        } table[] = {
                { "d",   24 * 3600 * USEC_PER_SEC },
                { "h",   3600 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "s",   USEC_PER_SEC },
                { "ms",  USEC_PER_MSEC },
                { "us",  1 },
        };
        size_t l = 0;
        int parts = 0;

        if (usec == UINT64_MAX) {
                snprintf(buf, FORMAT_TIMESPAN_MAX, "infinity");
                return buf;
        }
        if (accuracy_usec == 0)
                accuracy_usec = 1;
        usec -= usec % accuracy_usec;
        if (usec == 0) {
                snprintf(buf, FORMAT_TIMESPAN_MAX, "0");
                return buf;
        }

        buf[0] = 0;
        for (size_t i = 0; i < ELEMENTSOF(table) && parts < 2 && usec > 0; i++) {
                uint64_t n = usec / table[i].usec;

                if (n == 0)
                        continue;
                usec -= n * table[i].usec;

                /* Under a minute, seconds take their fraction as decimals
                 * ("1.2s"), to the accuracy asked for, trailing zeros cut. */
                if (parts == 0 && table[i].usec == USEC_PER_SEC && usec > 0 && accuracy_usec < USEC_PER_SEC) {
                        char frac[7];
                        snprintf(frac, sizeof frac, "%06" PRIu64, usec);
                        size_t digits = 6;
                        for (uint64_t a = accuracy_usec; a >= 10 && digits > 0; a /= 10)
                                digits--;
                        frac[digits] = 0;
                        while (digits > 0 && frac[digits - 1] == '0')
                                frac[--digits] = 0;
                        if (digits > 0) {
                                snprintf(buf + l, FORMAT_TIMESPAN_MAX - l, "%" PRIu64 ".%ss", n, frac);
                                return buf;
                        }
                }

                l += snprintf(buf + l, FORMAT_TIMESPAN_MAX - l, "%s%" PRIu64 "%s",
                              parts > 0 ? " " : "", n, table[i].suffix);
                parts++;
        }
        return buf;
}

char *format_timestamp(char buf[static FORMAT_TIMESTAMP_MAX], uint64_t usec) {
        struct tm tm;
        time_t t;

        if (usec == 0 || usec == UINT64_MAX) {
                snprintf(buf, FORMAT_TIMESTAMP_MAX, "n/a");
                return buf;
        }
        t = (time_t) (usec / USEC_PER_SEC);
        if (!localtime_r(&t, &tm) ||
            strftime(buf, FORMAT_TIMESTAMP_MAX, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0)
                snprintf(buf, FORMAT_TIMESTAMP_MAX, "@%" PRIu64, usec / USEC_PER_SEC);
        return buf;
}

static void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}

/* Builds the string in a memstream: returns NULL if any write failed. */
static char *memstream_finish(FILE **f, char **buf) {
        int r = ferror(*f);
        if (fclose(*f) != 0)
                r = 1;
        *f = NULL;
        if (r != 0) {
                free(*buf);
                *buf = NULL;
        }
        return TAKE_PTR(*buf);
}

char *json_escape(const void *p, size_t n) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        const uint8_t *s = p;
        size_t size;

        f = open_memstream(&buf, &size);
        if (!f)
                return NULL;

        fputc('"', f);
        for (size_t i = 0; i < n;) {
                size_t len = utf8_sequence_length(s + i, n - i, NULL);

                if (len == 0) {
                        fprintf(f, "\\u%04x", s[i]);
                        i++;
                        continue;
                }
                if (len > 1) {
                        fwrite(s + i, 1, len, f);
                        i += len;
                        continue;
                }
                switch (s[i]) {
                case '"':  fputs("\\\"", f); break;
                case '\\': fputs("\\\\", f); break;
                case '\b': fputs("\\b", f); break;
                case '\f': fputs("\\f", f); break;
                case '\n': fputs("\\n", f); break;
                case '\r': fputs("\\r", f); break;
                case '\t': fputs("\\t", f); break;
                default:
                        if (s[i] < 0x20 || s[i] == 0x7f)
                                fprintf(f, "\\u%04x", s[i]);
                        else
                                fputc(s[i], f);
                }
                i++;
        }
        fputc('"', f);
        return memstream_finish(&f, &buf);
}

static bool shell_safe_char(uint8_t c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                strchr("-_./=:,+@%^", c);
}

/* Printable here means: valid UTF-8 with no C0/C1 control characters and
 * no DEL, so it shows as itself inside '...'. */
static bool shell_printable(const uint8_t *s, size_t n) {
        for (size_t i = 0; i < n;) {
                uint32_t c;
                size_t len = utf8_sequence_length(s + i, n - i, &c);
                if (len == 0 || c < 0x20 || (c >= 0x7f && c < 0xa0))
                        return false;
                i += len;
        }
        return true;
}

char *shell_escape(const void *p, size_t n) {
        _cleanup_(fclosep) FILE *f = NULL;
        _cleanup_free_ char *buf = NULL;
        const uint8_t *s = p;
        size_t size;
        bool safe = n > 0;

        for (size_t i = 0; i < n && safe; i++)
                safe = s[i] != 0 && shell_safe_char(s[i]);

        f = open_memstream(&buf, &size);
        if (!f)
                return NULL;

        if (safe)
                fwrite(s, 1, n, f);
        else if (shell_printable(s, n)) {
                fputc('\'', f);
                for (size_t i = 0; i < n; i++)
                        if (s[i] == '\'')
                                fputs("'\\''", f);
                        else
                                fputc(s[i], f);
                fputc('\'', f);
        } else {
                fputs("$'", f);
                for (size_t i = 0; i < n;) {
                        uint32_t c;
                        size_t len = utf8_sequence_length(s + i, n - i, &c);

                        if (len > 1 && c >= 0xa0) {
                                fwrite(s + i, 1, len, f);
                                i += len;
                                continue;
                        }
                        switch (s[i]) {
                        case '\'': fputs("\\'", f); break;
                        case '\\': fputs("\\\\", f); break;
                        case '\n': fputs("\\n", f); break;
                        case '\t': fputs("\\t", f); break;
                        case '\r': fputs("\\r", f); break;
                        default:
                                if (s[i] < 0x20 || s[i] >= 0x7f)
                                        fprintf(f, "\\x%02x", s[i]);
                                else
                                        fputc(s[i], f);
                        }
                        i++;
                }
                fputc('\'', f);
        }
        return memstream_finish(&f, &buf);
}
