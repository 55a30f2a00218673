/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The configured policy on one job's limits (jobworkerd.conf [Jobs] Default*
 * and [Ceilings]): what a job that asks nothing gets, and whether what it
 * asks for stays under the ceilings. Pure, so it is unit-tested; the same
 * functions serve StartJob and Job.SetLimits. */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "job-limits.h"

/* Whether l stays under every ceiling. A limit l leaves unset is no lift:
 * job_limits_fill_defaults() sets it to at most the ceiling. Returns 0, or
 * -EDQUOT with *ret_message (if not NULL) a sentence naming the option, its
 * value and the ceiling (the first one passed), or -ENOMEM. */
int job_limits_check_ceilings(const JobLimits *l, const ConfigJobLimits *ceilings, char **ret_message);

/* The same for a change of a running job's limits from old to l: only the
 * limits that change are checked, so a job that got more than a ceiling
 * (root asked, or the ceiling was lowered since) may still change others. */
int job_limits_check_ceilings_changed(const JobLimits *old, const JobLimits *l, const ConfigJobLimits *ceilings,
                                      char **ret_message);

/* Fills in what the job did not ask for: the stop timeout (UINT64_MAX =
 * not asked) from DefaultStopTimeoutSec=; MemoryMax, CPUQuota and TasksMax
 * from the Default* keys, each capped by its ceiling; and where there is no
 * default, a ceiling is the limit (RuntimeMaxSec, IO maxima too). Values the
 * job asked for are left as they are (checked before, or allowed). */
void job_limits_fill_defaults(JobLimits *l, const Settings *s);
