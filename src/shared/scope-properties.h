/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The properties of a job's transient scope for systemd's
 * StartTransientUnit: built as plain data from JobLimits (testable without a
 * bus), then appended to a message by a thin sd-bus layer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "bus-names.h"
#include "job-limits.h"

/* Enough room for every property scope_properties_build() can emit. */
#define SCOPE_PROPERTIES_MAX 24

/* One (sv) entry. The signature says which union member is used:
 *   "s" s, "b" b, "t" t, "i" i, "u" u,
 *   "au" u (a one-element array: the PIDs property),
 *   "ay" ay, "a(st)" st (a one-element array).
 * All pointers are borrowed from the JobLimits / description passed to
 * scope_properties_build(): keep those alive while using the list. */
typedef struct ScopeProperty {
        const char *name;
        const char *signature;
        union {
                const char *s;
                int b;
                uint64_t t;
                int32_t i;
                uint32_t u;
                struct {
                        const uint8_t *bytes;
                        size_t size;
                } ay;
                struct {
                        const char *path;
                        uint64_t value;
                } st;
        };
} ScopeProperty;

/* Fills out[0..*ret_n) with the properties of the scope holding pid.
 * Always: Description, Slice (slice: the owner's, user_slice_name()), PIDs, CPU/Memory/Tasks/IO
 * accounting, KillMode=control-group, SendSIGKILL, TimeoutStopUSec,
 * MemorySwapMax. Only when set in l: CPUQuotaPerSecUSec, MemoryMax,
 * IOReadBandwidthMax, IOWriteBandwidthMax (on l->io_device_node, else
 * l->io_device, else "/"),
 * AllowedCPUs, TasksMax, RuntimeMaxUSec.
 * Returns 0, -EINVAL (no description, pid <= 0: systemd reads PID 0 as "the
 * sender"), -ENOBUFS when out_max is too small. */
int scope_properties_build(const JobLimits *l, const char *description, const char *slice, pid_t pid,
                           ScopeProperty *out, size_t out_max, size_t *ret_n);

/* The slice of uid's jobs, "jobworker-u<UID>.slice", into buf. */
const char *user_slice_name(uid_t uid, char buf[static JOBWORKER_USER_SLICE_NAME_MAX]);

/* The properties of a user's slice from [UserSlice] (UINT64_MAX = not set,
 * not sent): MemoryMax, CPUQuotaPerSecUSec, TasksMax, IOWeight, in that
 * order. Returns how many were filled in (at most 4). */
size_t user_slice_properties_build(uint64_t memory_max, uint64_t cpu_quota_per_sec_usec, uint64_t tasks_max,
                                   uint64_t io_weight, ScopeProperty out[static 4]);

/* The properties Job.SetLimits changes on a running scope: those of l that
 * differ from old (CPUQuotaPerSecUSec, MemoryMax, MemorySwapMax, TasksMax,
 * IO bandwidths on the job's IO device, AllowedCPUs, RuntimeMaxUSec).
 * Borrowed from l. Returns the number, or -ENOBUFS. */
int scope_properties_build_changes(const JobLimits *old, const JobLimits *l, ScopeProperty *out, size_t out_max,
                                   size_t *ret_n);

/* Appends the whole a(sv) array (opening and closing it) to m, which must
 * be positioned where StartTransientUnit's properties argument goes.
 * Returns 0 or the negative errno from sd-bus (-EINVAL for an unknown
 * signature). */
int scope_properties_append(sd_bus_message *m, const ScopeProperty *p, size_t n);

/* Whether a /proc/PID/cgroup text (cgroup v2: one "0::PATH" line) puts the
 * process in the scope unit of slice (JOBWORKER_SLICE or a child of it),
 * i.e. PATH ends in "/" JOBWORKER_SLICE "/" [slice "/"] unit. Any other
 * text, including v1 or hybrid layouts, is not in the scope. */
bool scope_cgroup_file_matches(const char *contents, size_t len, const char *slice, const char *unit);
