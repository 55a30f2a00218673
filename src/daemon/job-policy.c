/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Defaults and ceilings of job limits. */
#include <assert.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "job-policy.h"
#include "macro.h"

typedef enum LimitKind { LIMIT_BYTES, LIMIT_RATE, LIMIT_CPU, LIMIT_COUNT, LIMIT_USEC } LimitKind;

/* One limit a ceiling may bound: where it is in JobLimits and in
 * ConfigJobLimits, and its names in a StartJob option and in [Ceilings]. */
typedef struct CeilingInfo {
        const char *option;
        const char *key;
        size_t job_offset;
        size_t config_offset;
        LimitKind kind;
} CeilingInfo;

static const CeilingInfo ceilings_table[] = {
        { "MemoryMax", "MemoryMax", offsetof(JobLimits, memory_max), offsetof(ConfigJobLimits, memory_max), LIMIT_BYTES },
        { "CPUQuota", "CPUQuota", offsetof(JobLimits, cpu_quota_per_sec_usec),
          offsetof(ConfigJobLimits, cpu_quota_per_sec_usec), LIMIT_CPU },
        { "TasksMax", "TasksMax", offsetof(JobLimits, tasks_max), offsetof(ConfigJobLimits, tasks_max), LIMIT_COUNT },
        { "RuntimeMaxUSec", "RuntimeMaxSec", offsetof(JobLimits, runtime_max_usec),
          offsetof(ConfigJobLimits, runtime_max_usec), LIMIT_USEC },
        { "IOReadBandwidthMax", "IOReadBandwidthMax", offsetof(JobLimits, io_read_bandwidth_max),
          offsetof(ConfigJobLimits, io_read_bandwidth_max), LIMIT_RATE },
        { "IOWriteBandwidthMax", "IOWriteBandwidthMax", offsetof(JobLimits, io_write_bandwidth_max),
          offsetof(ConfigJobLimits, io_write_bandwidth_max), LIMIT_RATE },
};

static uint64_t get_u64(const void *base, size_t offset) {
        return *(const uint64_t *) ((const uint8_t *) base + offset);
}

static void set_u64(void *base, size_t offset, uint64_t v) {
        *(uint64_t *) ((uint8_t *) base + offset) = v;
}

/* As the CLI takes it: bytes and rates as bytes, CPU in percent, time in s. */
static void format_value(LimitKind kind, uint64_t v, char *buf, size_t size) {
        switch (kind) {
        case LIMIT_CPU:
                snprintf(buf, size, "%" PRIu64 "%%", v / 10000);
                break;
        case LIMIT_USEC:
                snprintf(buf, size, "%" PRIu64 ".%06" PRIu64 "s", v / USEC_PER_SEC, v % USEC_PER_SEC);
                break;
        case LIMIT_RATE:
                snprintf(buf, size, "%" PRIu64 "/s", v);
                break;
        default:
                snprintf(buf, size, "%" PRIu64, v);
        }
}

int job_limits_check_ceilings(const JobLimits *l, const ConfigJobLimits *ceilings, char **ret_message) {
        assert(l);
        assert(ceilings);

        for (size_t i = 0; i < ELEMENTSOF(ceilings_table); i++) {
                const CeilingInfo *c = &ceilings_table[i];
                uint64_t asked = get_u64(l, c->job_offset), ceiling = get_u64(ceilings, c->config_offset);
                char a[64], b[64];

                if (ceiling == UINT64_MAX || asked == UINT64_MAX || asked <= ceiling)
                        continue;
                if (!ret_message)
                        return -EDQUOT;
                format_value(c->kind, asked, a, sizeof a);
                format_value(c->kind, ceiling, b, sizeof b);
                if (asprintf(ret_message,
                             "%s=%s is above the ceiling [Ceilings] %s=%s of jobworkerd.conf; only callers "
                             "allowed org.jobworker1.privileged-options may pass it.",
                             c->option, a, c->key, b) < 0) {
                        *ret_message = NULL;
                        return -ENOMEM;
                }
                return -EDQUOT;
        }
        return 0;
}

int job_limits_check_ceilings_changed(const JobLimits *old, const JobLimits *l, const ConfigJobLimits *ceilings,
                                      char **ret_message) {
        JobLimits changed;

        assert(old);
        assert(l);
        assert(ceilings);

        /* A shallow copy: only the numbers are read. */
        changed = *l;
        for (size_t i = 0; i < ELEMENTSOF(ceilings_table); i++) {
                const CeilingInfo *c = &ceilings_table[i];
                if (get_u64(old, c->job_offset) == get_u64(l, c->job_offset))
                        set_u64(&changed, c->job_offset, UINT64_MAX);
        }
        return job_limits_check_ceilings(&changed, ceilings, ret_message);
}

static uint64_t min_u64(uint64_t a, uint64_t b) {
        return a < b ? a : b;
}

void job_limits_fill_defaults(JobLimits *l, const Settings *s) {
        assert(l);
        assert(s);

        if (l->stop_timeout_usec == UINT64_MAX)
                l->stop_timeout_usec = s->default_stop_timeout_usec;
        for (size_t i = 0; i < ELEMENTSOF(ceilings_table); i++) {
                const CeilingInfo *c = &ceilings_table[i];
                if (get_u64(l, c->job_offset) != UINT64_MAX)
                        continue;
                /* No default for RuntimeMaxSec and IO: unset there, so the
                 * ceiling alone decides. */
                set_u64(l, c->job_offset, min_u64(get_u64(&s->defaults, c->config_offset),
                                                  get_u64(&s->ceilings, c->config_offset)));
        }
}
