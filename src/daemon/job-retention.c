/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The choice of finished jobs to forget (job-retention.h). */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "job-retention.h"
#include "macro.h"

/* Newest first: finish time, then start time, then id, so the order is
 * total and the choice does not depend on the table's order. */
static int compare_newest_first(const Job *a, const Job *b) {
        if (a->finish_usec != b->finish_usec)
                return a->finish_usec > b->finish_usec ? -1 : 1;
        if (a->start_usec != b->start_usec)
                return a->start_usec > b->start_usec ? -1 : 1;
        return -strcmp(a->id, b->id);
}

static int compare_newest(const void *x, const void *y) {
        return compare_newest_first(*(Job *const *) x, *(Job *const *) y);
}

static int compare_owner_then_newest(const void *x, const void *y) {
        const Job *a = *(Job *const *) x, *b = *(Job *const *) y;
        if (a->owner != b->owner)
                return a->owner < b->owner ? -1 : 1;
        return compare_newest_first(a, b);
}

int job_retention_choose(Job *const *jobs, size_t n, const JobRetention *limits, Job ***ret, size_t *ret_n) {
        _cleanup_free_ Job **finished = NULL, **victims = NULL;
        size_t n_finished = 0, n_kept = 0, n_victims = 0;

        assert(jobs || n == 0);
        assert(limits);
        assert(ret);
        assert(ret_n);

        finished = malloc(sizeof(Job *) * (n ? n : 1));
        victims = malloc(sizeof(Job *) * (n ? n : 1));
        if (!finished || !victims)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (jobs[i]->state == JOB_FINISHED)
                        finished[n_finished++] = jobs[i];

        /* Per owner: all but the newest per_user of each go. The kept ones
         * are compacted to the front of the array. */
        qsort(finished, n_finished, sizeof(Job *), compare_owner_then_newest);
        for (size_t i = 0, in_group = 0; i < n_finished; i++) {
                in_group = i > 0 && finished[i - 1]->owner == finished[i]->owner ? in_group + 1 : 0;
                if (in_group < limits->per_user)
                        finished[n_kept++] = finished[i];
                else
                        victims[n_victims++] = finished[i];
        }

        /* In total: of what is left, all but the newest total go. */
        qsort(finished, n_kept, sizeof(Job *), compare_newest);
        for (size_t i = limits->total; i < n_kept; i++)
                victims[n_victims++] = finished[i];

        /* Oldest first, so a caller that stops half-way forgot the right ones. */
        qsort(victims, n_victims, sizeof(Job *), compare_newest);
        for (size_t i = 0; i < n_victims / 2; i++) {
                Job *t = victims[i];
                victims[i] = victims[n_victims - 1 - i];
                victims[n_victims - 1 - i] = t;
        }

        *ret_n = n_victims;
        *ret = n_victims > 0 ? TAKE_PTR(victims) : NULL;
        return 0;
}
