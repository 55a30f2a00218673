/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* StartTransientUnit properties of a job scope: the list, then the a(sv). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bus-names.h"
#include "scope-properties.h"

typedef struct Builder {
        ScopeProperty *out;
        size_t max, n;
        bool overflow;
} Builder;

static ScopeProperty *builder_add(Builder *b, const char *name, const char *signature) {
        if (b->n >= b->max) {
                b->overflow = true;
                return NULL;
        }

        b->out[b->n] = (ScopeProperty) { .name = name, .signature = signature };
        return &b->out[b->n++];
}

static void add_string(Builder *b, const char *name, const char *s) {
        ScopeProperty *p = builder_add(b, name, "s");
        if (p)
                p->s = s;
}

static void add_bool(Builder *b, const char *name, bool v) {
        ScopeProperty *p = builder_add(b, name, "b");
        if (p)
                p->b = v;
}

static void add_u64(Builder *b, const char *name, uint64_t v) {
        ScopeProperty *p = builder_add(b, name, "t");
        if (p)
                p->t = v;
}

static void add_device_u64(Builder *b, const char *name, const char *path, uint64_t v) {
        ScopeProperty *p = builder_add(b, name, "a(st)");
        if (p) {
                p->st.path = path;
                p->st.value = v;
        }
}

int scope_properties_build(const JobLimits *l, const char *description, const char *slice, pid_t pid,
                           ScopeProperty *out, size_t out_max, size_t *ret_n) {
        Builder b = { .out = out, .max = out_max };
        const char *io_device;
        ScopeProperty *p;

        if (!l || !description || !slice || pid <= 0 || (!out && out_max > 0) || !ret_n)
                return -EINVAL;

        /* The device as the caller resolved it, never a path for root to
         * look up on their behalf. */
        io_device = l->io_device_node ?: l->io_device ?: "/";

        add_string(&b, "Description", description);
        add_string(&b, "Slice", slice);
        p = builder_add(&b, "PIDs", "au");
        if (p)
                p->u = (uint32_t) pid;

        add_bool(&b, "CPUAccounting", true);
        add_bool(&b, "MemoryAccounting", true);
        add_bool(&b, "TasksAccounting", true);
        add_bool(&b, "IOAccounting", true);

        /* Stop kills every process of the job, and SIGKILL follows SIGTERM
         * after the job's stop timeout. */
        add_string(&b, "KillMode", "control-group");
        add_bool(&b, "SendSIGKILL", true);
        add_u64(&b, "TimeoutStopUSec", l->stop_timeout_usec);

        /* Always sent: the job gets no swap unless it asked for some. */
        add_u64(&b, "MemorySwapMax", l->memory_swap_max);

        if (l->cpu_quota_per_sec_usec != UINT64_MAX)
                add_u64(&b, "CPUQuotaPerSecUSec", l->cpu_quota_per_sec_usec);
        if (l->memory_max != UINT64_MAX)
                add_u64(&b, "MemoryMax", l->memory_max);
        if (l->io_read_bandwidth_max != UINT64_MAX)
                add_device_u64(&b, "IOReadBandwidthMax", io_device, l->io_read_bandwidth_max);
        if (l->io_write_bandwidth_max != UINT64_MAX)
                add_device_u64(&b, "IOWriteBandwidthMax", io_device, l->io_write_bandwidth_max);
        if (l->allowed_cpus) {
                p = builder_add(&b, "AllowedCPUs", "ay");
                if (p) {
                        p->ay.bytes = l->allowed_cpus;
                        p->ay.size = l->allowed_cpus_size;
                }
        }
        if (l->tasks_max != UINT64_MAX)
                add_u64(&b, "TasksMax", l->tasks_max);
        if (l->runtime_max_usec != UINT64_MAX)
                add_u64(&b, "RuntimeMaxUSec", l->runtime_max_usec);

        if (b.overflow)
                return -ENOBUFS;

        *ret_n = b.n;
        return 0;
}

static int append_value(sd_bus_message *m, const ScopeProperty *p) {
        const char *sig = p->signature;

        if (strcmp(sig, "s") == 0)
                return sd_bus_message_append_basic(m, 's', p->s);
        if (strcmp(sig, "b") == 0) {
                int b = !!p->b;
                return sd_bus_message_append_basic(m, 'b', &b);
        }
        if (strcmp(sig, "t") == 0)
                return sd_bus_message_append_basic(m, 't', &p->t);
        if (strcmp(sig, "i") == 0)
                return sd_bus_message_append_basic(m, 'i', &p->i);
        if (strcmp(sig, "u") == 0)
                return sd_bus_message_append_basic(m, 'u', &p->u);
        if (strcmp(sig, "au") == 0)
                return sd_bus_message_append(m, "au", 1, p->u);
        if (strcmp(sig, "ay") == 0)
                return sd_bus_message_append_array(m, 'y', p->ay.bytes, p->ay.size);
        if (strcmp(sig, "a(st)") == 0)
                return sd_bus_message_append(m, "a(st)", 1, p->st.path, p->st.value);

        return -EINVAL;
}

int scope_properties_append(sd_bus_message *m, const ScopeProperty *p, size_t n) {
        int r;

        if (!m || (!p && n > 0))
                return -EINVAL;

        r = sd_bus_message_open_container(m, 'a', "(sv)");
        if (r < 0)
                return r;

        for (size_t i = 0; i < n; i++) {
                r = sd_bus_message_open_container(m, 'r', "sv");
                if (r < 0)
                        return r;
                r = sd_bus_message_append_basic(m, 's', p[i].name);
                if (r < 0)
                        return r;
                r = sd_bus_message_open_container(m, 'v', p[i].signature);
                if (r < 0)
                        return r;
                r = append_value(m, &p[i]);
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }

        return sd_bus_message_close_container(m);
}

bool scope_cgroup_file_matches(const char *contents, size_t len, const char *slice, const char *unit) {
        static const char prefix[] = "0::";
        char suffix[256];
        size_t ls;

        if (!contents || !unit || !slice || !*unit || memchr(contents, '\0', len))
                return false;
        /* The cgroup of a scope in jobworker.slice, or in a child of it. */
        if (strcmp(slice, JOBWORKER_SLICE) == 0)
                ls = (size_t) snprintf(suffix, sizeof suffix, "/" JOBWORKER_SLICE "/%s", unit);
        else
                ls = (size_t) snprintf(suffix, sizeof suffix, "/" JOBWORKER_SLICE "/%s/%s", slice, unit);
        if (ls >= sizeof suffix)
                return false;
        /* Exactly one line, with or without its newline. */
        if (len > 0 && contents[len - 1] == '\n')
                len--;
        if (len < sizeof prefix - 1 || memcmp(contents, prefix, sizeof prefix - 1) != 0 ||
            memchr(contents, '\n', len))
                return false;
        if (len < sizeof prefix - 1 + ls)
                return false;
        return memcmp(contents + len - ls, suffix, ls) == 0;
}

const char *user_slice_name(uid_t uid, char buf[static JOBWORKER_USER_SLICE_NAME_MAX]) {
        snprintf(buf, JOBWORKER_USER_SLICE_NAME_MAX, JOBWORKER_USER_SLICE_FORMAT, (unsigned) uid);
        return buf;
}

size_t user_slice_properties_build(uint64_t memory_max, uint64_t cpu_quota_per_sec_usec, uint64_t tasks_max,
                                   uint64_t io_weight, ScopeProperty out[static 4]) {
        Builder b = { .out = out, .max = 4 };

        if (memory_max != UINT64_MAX)
                add_u64(&b, "MemoryMax", memory_max);
        if (cpu_quota_per_sec_usec != UINT64_MAX)
                add_u64(&b, "CPUQuotaPerSecUSec", cpu_quota_per_sec_usec);
        if (tasks_max != UINT64_MAX)
                add_u64(&b, "TasksMax", tasks_max);
        if (io_weight != UINT64_MAX)
                add_u64(&b, "IOWeight", io_weight);
        return b.n;
}

int scope_properties_build_changes(const JobLimits *old, const JobLimits *l, ScopeProperty *out, size_t out_max,
                                   size_t *ret_n) {
        Builder b = { .out = out, .max = out_max };
        const char *io_device;

        if (!old || !l || (!out && out_max > 0) || !ret_n)
                return -EINVAL;
        io_device = l->io_device_node ?: l->io_device ?: "/";
        /* UINT64_MAX is systemd's "infinity" for all of these. */
        if (l->cpu_quota_per_sec_usec != old->cpu_quota_per_sec_usec)
                add_u64(&b, "CPUQuotaPerSecUSec", l->cpu_quota_per_sec_usec);
        if (l->memory_max != old->memory_max)
                add_u64(&b, "MemoryMax", l->memory_max);
        if (l->memory_swap_max != old->memory_swap_max)
                add_u64(&b, "MemorySwapMax", l->memory_swap_max);
        if (l->tasks_max != old->tasks_max)
                add_u64(&b, "TasksMax", l->tasks_max);
        if (l->io_read_bandwidth_max != old->io_read_bandwidth_max)
                add_device_u64(&b, "IOReadBandwidthMax", io_device, l->io_read_bandwidth_max);
        if (l->io_write_bandwidth_max != old->io_write_bandwidth_max)
                add_device_u64(&b, "IOWriteBandwidthMax", io_device, l->io_write_bandwidth_max);
        if (l->allowed_cpus && (!old->allowed_cpus || old->allowed_cpus_size != l->allowed_cpus_size ||
                                memcmp(old->allowed_cpus, l->allowed_cpus, l->allowed_cpus_size) != 0)) {
                ScopeProperty *p = builder_add(&b, "AllowedCPUs", "ay");
                if (p) {
                        p->ay.bytes = l->allowed_cpus;
                        p->ay.size = l->allowed_cpus_size;
                }
        }
        if (l->runtime_max_usec != old->runtime_max_usec)
                add_u64(&b, "RuntimeMaxUSec", l->runtime_max_usec);
        if (b.overflow)
                return -ENOBUFS;
        *ret_n = b.n;
        return 0;
}
