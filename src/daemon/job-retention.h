/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which finished jobs to forget. Finished jobs are kept so that their owner
 * can still ask how they ended, but each one costs memory and a record in
 * /run: at most per_user of one owner and total of all owners stay, the
 * oldest (by finish time) forgotten first. Their output and finish record
 * stay in the journal. Pure, so it is unit-tested. */
#pragma once

#include <stddef.h>

typedef struct Job Job;

typedef struct JobRetention {
        size_t per_user;   /* finished jobs one owner keeps */
        size_t total;      /* finished jobs of all owners */
} JobRetention;

/* Picks from jobs[0..n) the finished jobs to forget, oldest first, into a
 * newly allocated array *ret (NULL when none) of *ret_n entries. Unfinished
 * jobs are never picked and do not count. Returns 0 or -ENOMEM. */
int job_retention_choose(Job *const *jobs, size_t n, const JobRetention *limits, Job ***ret, size_t *ret_n);
