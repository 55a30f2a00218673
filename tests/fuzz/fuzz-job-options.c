/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the parsing and validation of job options, which take
 * bytes from any local user over D-Bus (StartJob's a{sv}) or the command
 * line (jobworkerctl's --FLAG=TEXT).
 *
 * The input is a list of lines, each one option record:
 *
 *     NAME '\t' TYPE VALUE '\n'
 *
 * NAME is the D-Bus key (e.g. "MemoryMax"), TYPE one byte, the D-Bus type
 * character sent ('t', 'd', 's', 'b', or anything else for a wrong type), VALUE
 * the rest of the line. For 't' VALUE is a decimal ("-1" is sent as
 * 2^64-1, like a negative number cast to unsigned) or else up to 8 raw
 * bytes; for 'd' anything strtod() takes ("1e9", "nan", "-inf") or else 8
 * raw bytes; for 's' the bytes themselves; for 'b' true unless VALUE is
 * empty or starts with '0'. Every record is applied to one
 * JobLimits (so replacing earlier values is exercised too), and VALUE is
 * also fed to every text parser and to the CLI conversion of every option.
 * The whole input is also parsed as a job status file.
 *
 * Checked beyond "no crash, leak or UB": job_limits_set_option() leaves
 * the limits unchanged and sets a message on failure, and only ever stores
 * values within the documented ranges; CPU lists survive a
 * parse → format → parse round trip; a parsed status file formats to a
 * fixed point. See tests/fuzz/corpus/ for examples. */
#undef NDEBUG /* the checks below are the point */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job-limits.h"
#include "job-status.h"
#include "macro.h"
#include "parse-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated heap copy, exactly n + 1 bytes, so ASan sees over-reads. */
static char *memdup_nul(const void *p, size_t n) {
        char *s = malloc(n + 1);
        assert(s);
        if (n > 0)
                memcpy(s, p, n);
        s[n] = '\0';
        return s;
}

static bool limits_equal(const JobLimits *a, const JobLimits *b) {
        /* Pointers compared as pointers: unchanged means not even replaced. */
        return memcmp(a, b, sizeof *a) == 0;
}

static void check_unsigned(uint64_t v, uint64_t unset, bool zero_ok, uint64_t max) {
        if (v == unset)
                return;
        assert(zero_ok || v > 0);
        assert(v <= max);
}

static bool path_is_absolute_normalized(const char *p) {
        if (p[0] != '/')
                return false;
        if (strcmp(p, "/") == 0)
                return true;
        return !strstr(p, "//") && !strstr(p, "/./") && !strstr(p, "/../") &&
               p[strlen(p) - 1] != '/' &&
               !(strlen(p) >= 2 && strcmp(p + strlen(p) - 2, "/.") == 0) &&
               !(strlen(p) >= 3 && strcmp(p + strlen(p) - 3, "/..") == 0);
}

/* Whatever job_limits_set_option() stored must be in range. */
static void check_limits(const JobLimits *l) {
        if (l->cpu_quota_per_sec_usec != UINT64_MAX) {
                assert(l->cpu_quota_per_sec_usec >= 10000);
                assert(l->cpu_quota_per_sec_usec % 10000 == 0);
                assert(l->cpu_quota_per_sec_usec <= (uint64_t) (JOB_CPU_QUOTA_MAX * 1e6));
        }
        check_unsigned(l->memory_max, UINT64_MAX, false, JOB_MEMORY_MAX);
        assert(l->memory_swap_max <= JOB_MEMORY_MAX);
        check_unsigned(l->io_read_bandwidth_max, UINT64_MAX, false, JOB_IO_BANDWIDTH_MAX);
        check_unsigned(l->io_write_bandwidth_max, UINT64_MAX, false, JOB_IO_BANDWIDTH_MAX);
        check_unsigned(l->tasks_max, UINT64_MAX, false, JOB_TASKS_MAX);
        check_unsigned(l->runtime_max_usec, UINT64_MAX, false, JOB_TIMEOUT_MAX_USEC);
        assert(l->stop_timeout_usec > 0 && l->stop_timeout_usec <= JOB_TIMEOUT_MAX_USEC);
        if (l->io_device) {
                assert(strlen(l->io_device) < 4096);
                assert(path_is_absolute_normalized(l->io_device));
        }
        if (l->allowed_cpus) {
                assert(l->allowed_cpus_size > 0);
                assert(l->allowed_cpus_size <= CPU_LIST_MAX_CPUS / 8);
                assert(l->allowed_cpus[l->allowed_cpus_size - 1] != 0);
                int max = cpu_mask_max_cpu(l->allowed_cpus, l->allowed_cpus_size);
                assert(max >= 0 && (unsigned) max < CPU_LIST_MAX_CPUS);
        } else
                assert(l->allowed_cpus_size == 0);
}

/* Applies one option, checking the error contract. */
static void set_option(JobLimits *l, const char *name, const JobOptionValue *v) {
        JobLimits before = *l;
        char *message = NULL;
        int r;

        r = job_limits_set_option(l, name, v, &message);
        if (r < 0) {
                assert(r == -EINVAL || r == -ERANGE || r == -ENOMEM);
                assert(limits_equal(&before, l));
                if (r != -ENOMEM) {
                        assert(message);
                        assert(message[0] != '\0');
                }
        } else {
                assert(r == 0);
                assert(!message);
        }
        free(message);
        check_limits(l);

        /* Without a message pointer: same result, no message to leak. */
        JobLimits scratch;
        job_limits_init(&scratch);
        int r2 = job_limits_set_option(&scratch, name, v, NULL);
        assert((r2 == 0) == (r == 0) || r2 == -ENOMEM || r == -ENOMEM);
        job_limits_done(&scratch);
}

static void cpu_list_round_trip(const char *s) {
        uint8_t *mask = NULL, *mask2 = NULL;
        size_t size = 0, size2 = 0;
        char *text = NULL, *text2 = NULL;
        int r;

        r = parse_cpu_list(s, &mask, &size);
        if (r < 0) {
                assert(r == -EINVAL || r == -ERANGE || r == -ENOMEM);
                return;
        }
        assert(size > 0 && size <= CPU_LIST_MAX_CPUS / 8);
        assert(mask[size - 1] != 0);

        r = cpu_list_format(mask, size, &text);
        if (r == -ENOMEM)
                goto out;
        assert(r == 0 && text && text[0] != '\0');

        r = parse_cpu_list(text, &mask2, &size2);
        if (r == -ENOMEM)
                goto out;
        if (r != 0 || size2 != size || memcmp(mask, mask2, size) != 0) {
                fprintf(stderr, "CPU list round trip failed: '%s' -> '%s' -> r=%d size %zu vs %zu\n",
                        s, text, r, size2, size);
                abort();
        }
        r = cpu_list_format(mask2, size2, &text2);
        if (r == 0 && strcmp(text, text2) != 0) {
                fprintf(stderr, "CPU list format not canonical: '%s' vs '%s'\n", text, text2);
                abort();
        }
out:
        free(mask);
        free(mask2);
        free(text);
        free(text2);
}

/* Every text parser on one value. */
static void parse_text(const char *s) {
        uint64_t u, u2;
        double d;
        int r;

        r = parse_size(s, &u);
        assert(r == 0 || r == -EINVAL || r == -ERANGE);
        /* A size without "/s" is a rate of the same value. */
        size_t len = strlen(s);
        if (!(len >= 2 && strcmp(s + len - 2, "/s") == 0)) {
                int r2 = parse_rate(s, &u2);
                assert(r2 == r);
                assert(r != 0 || u == u2);
        } else {
                r = parse_rate(s, &u);
                assert(r == 0 || r == -EINVAL || r == -ERANGE);
        }

        r = parse_cpu_fraction(s, &d);
        assert(r == 0 || r == -EINVAL || r == -ERANGE);
        if (r == 0) {
                assert(isfinite(d) && d > 0);
                if (d <= JOB_CPU_QUOTA_MAX) {
                        uint64_t q = cpu_fraction_to_quota_usec(d);
                        assert(q >= 10000 && q % 10000 == 0);
                        assert(q <= (uint64_t) (JOB_CPU_QUOTA_MAX * 1e6));
                }
        }

        r = parse_seconds(s, &u);
        assert(r == 0 || r == -EINVAL || r == -ERANGE);
        r = parse_uint64(s, &u);
        assert(r == 0 || r == -EINVAL || r == -ERANGE);

        cpu_list_round_trip(s);
        (void) job_id_valid(s);
        (void) parse_env_assignment_valid(s, len);

        /* The CLI path: every flag's conversion, then the daemon's check. */
        for (const JobOptionInfo *info = job_option_table; info->name; info++) {
                JobOptionValue v;
                char *message = NULL;

                r = job_option_value_from_cli(info, s, &v, &message);
                if (r < 0) {
                        assert(r == -EINVAL || r == -ERANGE || r == -ENOMEM);
                        assert(r == -ENOMEM || message);
                        free(message);
                        continue;
                }
                assert(!message);
                assert(v.type == info->type);
                assert(job_option_info_by_cli_flag(info->cli_flag) == info);
                assert(job_option_info_by_name(info->name) == info);

                JobLimits l;
                job_limits_init(&l);
                set_option(&l, info->name, &v);
                job_limits_done(&l);
        }
}

/* The typed value a record sends, as the D-Bus layer would decode it. */
static JobOptionValue record_value(char type, const char *value, size_t len) {
        JobOptionValue v = { .type = type };

        switch (type) {
        case 't':
                if (parse_uint64(value, &v.t) == 0)
                        break;
                if (value[0] == '-' && len > 1) {
                        char *end;
                        errno = 0;
                        long long n = strtoll(value, &end, 10);
                        if (errno == 0 && *end == '\0') {
                                v.t = (uint64_t) n;
                                break;
                        }
                }
                v.t = 0;
                memcpy(&v.t, value, len < sizeof v.t ? len : sizeof v.t);
                break;
        case 'd': {
                char *end;
                v.d = strtod(value, &end);
                if (len > 0 && *end == '\0')
                        break;
                v.d = 0;
                memcpy(&v.d, value, len < sizeof v.d ? len : sizeof v.d);
                break;
        }
        case 's':
                v.s = value;
                break;
        case 'b':
                v.b = len > 0 && value[0] != '0';
                break;
        default:
                /* A wrong type: the union is not to be read (it is zero). */
                break;
        }
        return v;
}

static void status_fixed_point(const uint8_t *data, size_t size) {
        JobStatus s = JOB_STATUS_INIT, s2 = JOB_STATUS_INIT;
        char *text = NULL, *text2 = NULL;
        int r;

        r = job_status_parse((const char *) data, size, &s);
        if (r < 0)
                return;
        r = job_status_format(&s, &text);
        if (r == -ENOMEM)
                goto out;
        if (r < 0) {
                fprintf(stderr, "job_status_format() refused what job_status_parse() accepted: %d\n", r);
                abort();
        }
        r = job_status_parse(text, strlen(text), &s2);
        if (r < 0) {
                fprintf(stderr, "job_status_parse() refused what job_status_format() wrote: %d\n%s", r, text);
                abort();
        }
        r = job_status_format(&s2, &text2);
        assert(r == 0 || r == -ENOMEM);
        if (r == 0 && strcmp(text, text2) != 0) {
                fprintf(stderr, "status format is not a fixed point:\n%s---\n%s", text, text2);
                abort();
        }
out:
        job_status_done(&s);
        job_status_done(&s2);
        free(text);
        free(text2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        JobLimits limits;

        /* Keep single runs fast: option values are short in practice, and
         * the daemon refuses huge messages long before this. */
        if (size > 64 * 1024)
                return 0;

        status_fixed_point(data, size);

        job_limits_init(&limits);
        for (size_t pos = 0; pos < size;) {
                const uint8_t *line = data + pos;
                const uint8_t *nl = memchr(line, '\n', size - pos);
                size_t line_len = nl ? (size_t) (nl - line) : size - pos;
                pos += line_len + 1;

                const uint8_t *tab = memchr(line, '\t', line_len);
                if (!tab || (size_t) (tab - line) + 1 >= line_len) {
                        /* Not a record: still good text for the parsers. */
                        char *text = memdup_nul(line, line_len);
                        parse_text(text);
                        free(text);
                        continue;
                }

                size_t name_len = (size_t) (tab - line);
                char type = (char) tab[1];
                size_t value_len = line_len - name_len - 2;
                char *name = memdup_nul(line, name_len);
                char *value = memdup_nul(tab + 2, value_len);

                JobOptionValue v = record_value(type, value, value_len);
                set_option(&limits, name, &v);
                parse_text(value);

                free(name);
                free(value);
        }
        check_limits(&limits);
        job_limits_done(&limits);
        return 0;
}
