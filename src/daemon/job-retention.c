/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The choice of finished jobs to forget (job-retention.h). */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
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

/* Owner, then active jobs before finished ones, then newest first: walking
 * one owner's group, the active records use up the budget first. */
static int compare_owner_active_newest(const void *x, const void *y) {
        const Job *a = *(Job *const *) x, *b = *(Job *const *) y;
        bool fa = a->state == JOB_FINISHED, fb = b->state == JOB_FINISHED;
        if (a->owner != b->owner)
                return a->owner < b->owner ? -1 : 1;
        if (fa != fb)
                return fa ? 1 : -1;
        return compare_newest_first(a, b);
}

/* used + cost within budget (0 = none), without overflow. */
static bool fits(uint64_t used, uint64_t cost, uint64_t budget) {
        return budget == 0 || (cost <= budget && used <= budget - cost);
}

static uint64_t add_sat(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t string_cost(const char *s) {
        /* KEY=, two hex digits a byte, newline. */
        return s ? 16 + 2 * (uint64_t) strlen(s) : 0;
}

/* The fixed part of a record: numbers and keys. */
#define RECORD_COST_BASE 1024U

uint64_t job_spec_cost(char *const *argv, char *const *environment, const char *working_directory) {
        uint64_t c = RECORD_COST_BASE;
        for (char *const *a = argv; a && *a; a++)
                c = add_sat(c, string_cost(*a));
        for (char *const *e = environment; e && *e; e++)
                c = add_sat(c, string_cost(*e));
        return add_sat(c, string_cost(working_directory));
}

uint64_t job_record_cost(const Job *j) {
        assert(j);
        /* The record of a finished job holds no environment. */
        uint64_t c = job_spec_cost(j->argv, j->state == JOB_FINISHED ? NULL : j->environment,
                                   j->working_directory);
        c = add_sat(c, string_cost(j->status_text));
        c = add_sat(c, string_cost(j->limits.root_directory));
        for (size_t i = 0; i < j->limits.n_binds; i++)
                c = add_sat(add_sat(c, string_cost(j->limits.binds[i].source)),
                            string_cost(j->limits.binds[i].destination));
        return add_sat(c, string_cost(j->limits.io_device));
}

int job_budget_check(Job *const *jobs, size_t n, uid_t owner, uint64_t cost, const JobRetention *limits,
                     uint64_t *ret_used) {
        uint64_t user = 0, total = 0;

        assert(jobs || n == 0);
        assert(limits);
        assert(ret_used);

        for (size_t i = 0; i < n; i++) {
                if (jobs[i]->state == JOB_FINISHED)
                        continue;
                uint64_t c = job_record_cost(jobs[i]);
                total = add_sat(total, c);
                if (jobs[i]->owner == owner)
                        user = add_sat(user, c);
        }
        if (owner != 0 && !fits(user, cost, limits->per_user_bytes)) {
                *ret_used = user;
                return -EDQUOT;
        }
        if (!fits(total, cost, limits->total_bytes)) {
                *ret_used = total;
                return -ENOSPC;
        }
        *ret_used = 0;
        return 0;
}

bool job_argv_shrink(char **argv, size_t max) {
        size_t used = 0, i;
        bool cut = false;

        assert(argv && argv[0]);
        assert(max >= 2);

        for (i = 0; argv[i]; i++) {
                size_t len = strlen(argv[i]);
                if (used + len + 1 <= max) {
                        used += len + 1;
                        continue;
                }
                /* Does not fit: cut it to what is left (argv[0] to max),
                 * or drop it when nothing is. */
                size_t left = max - used;
                if (left >= 2) {
                        argv[i][left - 1] = '\0';
                        char *s = realloc(argv[i], left);
                        if (s)
                                argv[i] = s;
                        i++;
                        cut = true;
                }
                break;
        }
        for (size_t k = i; argv[k]; k++) {
                free(argv[k]);
                argv[k] = NULL;
                cut = true;
        }
        return cut;
}

int job_retention_choose(Job *const *jobs, size_t n, const JobRetention *limits, Job ***ret, size_t *ret_n) {
        _cleanup_free_ Job **sorted = NULL, **victims = NULL;
        size_t n_kept = 0, n_victims = 0;
        uint64_t active_total = 0;

        assert(jobs || n == 0);
        assert(limits);
        assert(ret);
        assert(ret_n);

        sorted = malloc(sizeof(Job *) * (n ? n : 1));
        victims = malloc(sizeof(Job *) * (n ? n : 1));
        if (!sorted || !victims)
                return -ENOMEM;
        if (n > 0)      /* memcpy() from NULL is undefined even for 0 bytes */
                memcpy(sorted, jobs, sizeof(Job *) * n);

        /* Per owner: the active records first, then the newest finished
         * while count and bytes fit; from the first that does not, all go.
         * The kept finished ones are compacted to the front of the array. */
        qsort(sorted, n, sizeof(Job *), compare_owner_active_newest);
        uint64_t used = 0;
        size_t in_group = 0;
        bool full = false;
        for (size_t i = 0; i < n; i++) {
                Job *j = sorted[i];
                uint64_t c = job_record_cost(j);
                if (i == 0 || sorted[i - 1]->owner != j->owner) {
                        used = 0;
                        in_group = 0;
                        full = false;
                }
                if (j->state != JOB_FINISHED) {
                        used = add_sat(used, c);
                        active_total = add_sat(active_total, c);
                        continue;
                }
                if (limits->forget_finished_before_usec > 0 && j->finish_usec <= limits->forget_finished_before_usec) {
                        victims[n_victims++] = j;
                        continue;
                }
                if (!full && in_group < limits->per_user && fits(used, c, limits->per_user_bytes)) {
                        used = add_sat(used, c);
                        in_group++;
                        sorted[n_kept++] = j;
                } else {
                        full = true;
                        victims[n_victims++] = j;
                }
        }

        /* In total: of what is left, the newest while count and bytes fit. */
        qsort(sorted, n_kept, sizeof(Job *), compare_newest);
        used = active_total;
        full = false;
        for (size_t i = 0; i < n_kept; i++) {
                uint64_t c = job_record_cost(sorted[i]);
                if (!full && i < limits->total && fits(used, c, limits->total_bytes))
                        used = add_sat(used, c);
                else {
                        full = true;
                        victims[n_victims++] = sorted[i];
                }
        }

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

uint64_t job_retention_cutoff(uint64_t now_usec, uint64_t retention_usec) {
        if (retention_usec == UINT64_MAX || now_usec <= retention_usec)
                return 0;
        return now_usec - retention_usec;
}

uint64_t job_retention_next_expiry(Job *const *jobs, size_t n, uint64_t retention_usec) {
        uint64_t next = UINT64_MAX;

        assert(jobs || n == 0);
        if (retention_usec == UINT64_MAX)
                return UINT64_MAX;
        for (size_t i = 0; i < n; i++) {
                if (jobs[i]->state != JOB_FINISHED)
                        continue;
                uint64_t t = add_sat(jobs[i]->finish_usec, retention_usec);
                if (t < next)
                        next = t;
        }
        return next;
}
