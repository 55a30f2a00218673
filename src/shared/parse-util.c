/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing of sizes, rates, CPU fractions and lists, durations; job ids. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <systemd/sd-id128.h>

#include "macro.h"
#include "parse-util.h"

/* Locale-independent: the CLI may run under any LC_CTYPE. */
static bool ascii_isdigit(char c) {
        return c >= '0' && c <= '9';
}

static bool ascii_isalpha(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool ascii_isspace(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Length of the leading "digits[.digits]" of s (not validated further). */
static size_t decimal_span(const char *s) {
        size_t n = 0;

        while (ascii_isdigit(s[n]) || s[n] == '.')
                n++;
        return n;
}

/* The len bytes at s must be "digits[.digits]"; *ret = floor(value * mult),
 * computed exactly in integers (no double rounding surprises). mult must be
 * below UINT64_MAX / 10. */
static int parse_decimal_scaled(const char *s, size_t len, uint64_t mult, uint64_t *ret) {
        uint64_t whole = 0, frac = 0;
        size_t i = 0;

        if (len == 0 || !ascii_isdigit(s[0]))
                return -EINVAL;

        for (; i < len && ascii_isdigit(s[i]); i++) {
                unsigned d = (unsigned) (s[i] - '0');

                if (whole > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                whole = whole * 10 + d;
        }

        if (i < len) {
                size_t frac_start;

                if (s[i] != '.')
                        return -EINVAL;
                frac_start = ++i;
                if (i == len)
                        return -EINVAL; /* "1." */
                for (; i < len; i++)
                        if (!ascii_isdigit(s[i]))
                                return -EINVAL;

                /* floor(mult * 0.d1d2...dn) by Horner's rule from the last digit:
                 * floor((a + floor(x)) / 10) == floor((a + x) / 10) for integer a,
                 * so flooring at every step is exact. */
                for (size_t k = len; k > frac_start; k--)
                        frac = ((uint64_t) (s[k - 1] - '0') * mult + frac) / 10;
        }

        if (whole > UINT64_MAX / mult)
                return -ERANGE;
        whole *= mult;
        if (whole > UINT64_MAX - frac)
                return -ERANGE;

        *ret = whole + frac;
        return 0;
}

typedef struct Suffix {
        const char *name;
        uint64_t factor;
} Suffix;

static const Suffix size_suffixes[] = {
        { "",    1ULL },
        { "B",   1ULL },
        { "K",   1ULL << 10 },
        { "KiB", 1ULL << 10 },
        { "M",   1ULL << 20 },
        { "MiB", 1ULL << 20 },
        { "G",   1ULL << 30 },
        { "GiB", 1ULL << 30 },
        { "T",   1ULL << 40 },
        { "TiB", 1ULL << 40 },
};

static const Suffix time_suffixes[] = {
        { "",    USEC_PER_SEC },
        { "s",   USEC_PER_SEC },
        { "ms",  USEC_PER_MSEC },
        { "min", 60 * USEC_PER_SEC },
        { "h",   3600 * USEC_PER_SEC },
};

static int parse_with_suffix(const char *s, size_t len, const Suffix *table, size_t n_table,
                             uint64_t *ret) {
        size_t num_len;

        if (!s)
                return -EINVAL;

        num_len = decimal_span(s);
        if (num_len > len)
                num_len = len;

        for (size_t i = 0; i < n_table; i++) {
                size_t suffix_len = strlen(table[i].name);

                if (num_len + suffix_len != len ||
                    memcmp(s + num_len, table[i].name, suffix_len) != 0)
                        continue;

                return parse_decimal_scaled(s, num_len, table[i].factor, ret);
        }

        return -EINVAL;
}

int parse_size(const char *s, uint64_t *ret) {
        if (!s)
                return -EINVAL;
        return parse_with_suffix(s, strlen(s), size_suffixes, ELEMENTSOF(size_suffixes), ret);
}

int parse_rate(const char *s, uint64_t *ret) {
        size_t len;

        if (!s)
                return -EINVAL;

        len = strlen(s);
        if (len >= 2 && memcmp(s + len - 2, "/s", 2) == 0)
                len -= 2;

        return parse_with_suffix(s, len, size_suffixes, ELEMENTSOF(size_suffixes), ret);
}

int parse_seconds(const char *s, uint64_t *ret_usec) {
        if (!s)
                return -EINVAL;
        return parse_with_suffix(s, strlen(s), time_suffixes, ELEMENTSOF(time_suffixes), ret_usec);
}

int parse_uint64(const char *s, uint64_t *ret) {
        uint64_t v = 0;

        if (!s || !*s)
                return -EINVAL;

        for (const char *p = s; *p; p++) {
                unsigned d;

                if (!ascii_isdigit(*p))
                        return -EINVAL;
                d = (unsigned) (*p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }

        *ret = v;
        return 0;
}

int parse_int(const char *s, int *ret) {
        uint64_t v;
        bool negative;
        int r;

        if (!s)
                return -EINVAL;
        negative = s[0] == '-';
        r = parse_uint64(s + negative, &v);
        if (r < 0)
                return r;
        if (negative && v == 0)
                return -EINVAL;
        if (v > (negative ? (uint64_t) INT_MAX + 1 : (uint64_t) INT_MAX))
                return -ERANGE;
        *ret = negative ? (int) -(int64_t) v : (int) v;
        return 0;
}

int parse_cpu_fraction(const char *s, double *ret) {
        double mantissa = 0, scale = 1, v;
        const char *p = s;
        bool any_digit = false;

        if (!s)
                return -EINVAL;

        /* Parsed by hand rather than with strtod(), which also takes "inf",
         * "nan", hex floats, leading blanks and a locale's decimal comma. */
        for (; ascii_isdigit(*p); p++) {
                mantissa = mantissa * 10 + (*p - '0');
                any_digit = true;
        }
        if (!any_digit)
                return -EINVAL;

        if (*p == '.') {
                p++;
                if (!ascii_isdigit(*p))
                        return -EINVAL;
                for (; ascii_isdigit(*p); p++) {
                        mantissa = mantissa * 10 + (*p - '0');
                        scale *= 10;
                }
        }

        if (*p == '%') {
                scale *= 100;
                p++;
        }
        if (*p != '\0')
                return -EINVAL;

        v = mantissa / scale;
        if (!isfinite(v) || !(v > 0))
                return -ERANGE;

        *ret = v;
        return 0;
}

uint64_t cpu_fraction_to_quota_usec(double f) {
        const uint64_t step = 10000; /* 1 % of a CPU, in µs per second */
        double usec;
        uint64_t u;

        if (!(f > 0))
                return 0;

        usec = f * (double) USEC_PER_SEC;
        if (!(usec < 1.8e19)) /* below 2^64, with room for the rounding below */
                return UINT64_MAX;

        /* Round to the nearest µs first so that representation noise
         * (0.2 * 1e6 = 200000.00000000003) does not push a whole percent
         * up to the next one, then round up to whole percent. */
        u = (uint64_t) (usec + 0.5);
        if (u == 0)
                u = 1;

        return (u + step - 1) / step * step;
}

static const char *skip_space(const char *p) {
        while (ascii_isspace(*p))
                p++;
        return p;
}

/* A CPU number; -ERANGE when >= CPU_LIST_MAX_CPUS. */
static int parse_cpu_number(const char **p, unsigned *ret) {
        unsigned v = 0;
        const char *q = *p;

        if (!ascii_isdigit(*q))
                return -EINVAL;

        for (; ascii_isdigit(*q); q++) {
                v = v * 10 + (unsigned) (*q - '0');
                if (v >= CPU_LIST_MAX_CPUS)
                        return -ERANGE;
        }

        *p = q;
        *ret = v;
        return 0;
}

int parse_cpu_list(const char *s, uint8_t **ret_mask, size_t *ret_size) {
        _cleanup_free_ uint8_t *mask = NULL;
        const char *p;
        unsigned max_cpu = 0;
        bool any = false;
        uint8_t *shrunk;
        int r;

        if (!s)
                return -EINVAL;

        mask = calloc(CPU_LIST_MAX_CPUS / 8, 1);
        if (!mask)
                return -ENOMEM;

        p = skip_space(s);
        while (*p) {
                unsigned first, last;
                const char *after;

                r = parse_cpu_number(&p, &first);
                if (r < 0)
                        return r;
                last = first;

                if (*p == '-') {
                        p++;
                        r = parse_cpu_number(&p, &last);
                        if (r < 0)
                                return r;
                        if (last < first)
                                return -EINVAL;
                }

                for (unsigned c = first; c <= last; c++)
                        mask[c / 8] |= (uint8_t) (1U << (c % 8));
                if (last > max_cpu)
                        max_cpu = last;
                any = true;

                /* Separator: a comma and/or whitespace; no empty elements. */
                after = skip_space(p);
                if (*after == ',') {
                        after = skip_space(after + 1);
                        if (*after == '\0' || *after == ',')
                                return -EINVAL;
                } else if (*after != '\0' && after == p)
                        return -EINVAL; /* "1x", "1-2-3" */
                p = after;
        }

        if (!any)
                return -EINVAL;

        shrunk = realloc(mask, max_cpu / 8 + 1);
        if (shrunk)
                mask = shrunk;

        *ret_size = max_cpu / 8 + 1;
        *ret_mask = TAKE_PTR(mask);
        return 0;
}

static bool mask_test(const uint8_t *mask, size_t cpu) {
        return mask[cpu / 8] & (1U << (cpu % 8));
}

int cpu_list_format(const uint8_t *mask, size_t size, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t buf_size = 0, bits = size * 8;
        FILE *f;
        bool first = true;

        f = open_memstream(&buf, &buf_size);
        if (!f)
                return -ENOMEM;

        for (size_t c = 0; c < bits; c++) {
                size_t end;

                if (!mask_test(mask, c))
                        continue;
                for (end = c; end + 1 < bits && mask_test(mask, end + 1); end++)
                        ;

                fprintf(f, first ? "%zu" : ",%zu", c);
                if (end > c)
                        fprintf(f, "-%zu", end);
                first = false;
                c = end;
        }

        if (fclose(f) != 0 || !buf)
                return -ENOMEM;

        *ret = TAKE_PTR(buf);
        return 0;
}

int cpu_mask_max_cpu(const uint8_t *mask, size_t size) {
        if (size > (size_t) INT32_MAX / 8)
                return -ERANGE;

        for (size_t i = size; i > 0; i--) {
                uint8_t b = mask[i - 1];

                if (b == 0)
                        continue;
                for (int j = 7; j >= 0; j--)
                        if (b & (1U << j))
                                return (int) ((i - 1) * 8) + j;
        }

        return -ENOENT;
}

int parse_boolean(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

static bool env_name_start(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool parse_env_assignment_valid(const char *s, size_t len) {
        const char *eq;

        if (!s || len == 0 || memchr(s, '\0', len))
                return false;

        eq = memchr(s, '=', len);
        if (!eq || eq == s)
                return false;

        if (!env_name_start(s[0]))
                return false;
        for (const char *p = s + 1; p < eq; p++)
                if (!env_name_start(*p) && !ascii_isdigit(*p))
                        return false;

        return true;
}

bool job_id_valid(const char *id) {
        size_t i;

        if (!id)
                return false;

        for (i = 0; id[i]; i++) {
                if (i >= JOB_ID_LENGTH)
                        return false;
                if (!ascii_isdigit(id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
                        return false;
        }

        return i == JOB_ID_LENGTH;
}

int job_id_generate(char ret[static JOB_ID_LENGTH + 1]) {
        char s[SD_ID128_STRING_MAX];
        sd_id128_t id;
        int r;

        r = sd_id128_randomize(&id);
        if (r < 0)
                return r;

        sd_id128_to_string(id, s);
        memcpy(ret, s, JOB_ID_LENGTH);
        ret[JOB_ID_LENGTH] = '\0';
        return 0;
}

bool job_name_valid(const char *name) {
        size_t n, hex = 0;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > JOB_NAME_LENGTH_MAX)
                return false;
        if (!ascii_isalpha(name[0]) && !ascii_isdigit(name[0]))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                if (!ascii_isalpha(c) && !ascii_isdigit(c) && c != '_' && c != '.' && c != '-')
                        return false;
                if (ascii_isdigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))
                        hex++;
        }
        return !(n == JOB_ID_LENGTH && hex == n);
}

int parse_user_or_id(const char *s, uint32_t *ret_id) {
        size_t n;
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        n = strlen(s);
        if (n == 0 || n > 256 || s[0] == '-')
                return -EINVAL;
        if (ascii_isdigit(s[0])) {
                r = parse_uint64(s, &v);
                if (r == -ERANGE || (r >= 0 && v >= UINT32_MAX))
                        return -ERANGE;
                if (r >= 0) {
                        if (ret_id)
                                *ret_id = (uint32_t) v;
                        return 1;
                }
                /* Digits and more: a name such as "4u". */
        }
        for (size_t i = 0; i < n; i++)
                if (!ascii_isalpha(s[i]) && !ascii_isdigit(s[i]) && !strchr("_.-", s[i]) &&
                    !(s[i] == '$' && i == n - 1))
                        return -EINVAL;
        return 0;
}

bool bus_unique_name_valid(const char *name) {
        if (!name || name[0] != ':' || !name[1] || strlen(name) > 255)
                return false;
        for (const char *p = name + 1; *p; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                      *p == '.' || *p == '_' || *p == '-'))
                        return false;
        return true;
}
