/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which finished jobs to forget, and whether a new job's record fits.
 * Finished jobs are kept so that their owner can still ask how they ended,
 * but each one costs memory and a record in /run: at most per_user of one
 * owner and total of all owners stay, and records (active ones first) are
 * bounded in bytes per owner and in all; the oldest (by finish time) are
 * forgotten first. Their output and finish record stay in the journal.
 * Pure, so it is unit-tested. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct Job Job;

typedef struct JobRetention {
        size_t per_user;   /* finished jobs one owner keeps */
        size_t total;      /* finished jobs of all owners */
        /* Bytes of records (job_record_cost()) one owner and all owners
         * may hold, active and finished jobs together; 0 = no budget. */
        uint64_t per_user_bytes;
        uint64_t total_bytes;
        /* FinishedRetentionSec=: finished jobs that finished at or before
         * this time (CLOCK_REALTIME) go whatever the counts; 0 = none. */
        uint64_t forget_finished_before_usec;
} JobRetention;

/* forget_finished_before_usec for "now" and a retention time (UINT64_MAX =
 * forever gives 0). */
uint64_t job_retention_cutoff(uint64_t now_usec, uint64_t retention_usec);
/* When the next finished job of jobs[0..n) becomes older than retention_usec
 * (CLOCK_REALTIME), or UINT64_MAX when none will. */
uint64_t job_retention_next_expiry(Job *const *jobs, size_t n, uint64_t retention_usec);

/* Picks from jobs[0..n) the finished jobs to forget, oldest first, into a
 * newly allocated array *ret (NULL when none) of *ret_n entries: those that
 * finished at or before forget_finished_before_usec, and of the rest as
 * follows. Unfinished
 * jobs are never picked, and do not count against the numbers, but their
 * records use up the byte budgets first: of one owner's finished jobs the
 * newest are kept as long as both the count and the bytes fit, the rest
 * (all older than the first that does not fit) go; then the same across
 * owners. Returns 0 or -ENOMEM. */
int job_retention_choose(Job *const *jobs, size_t n, const JobRetention *limits, Job ***ret, size_t *ret_n);

/* What a job's record costs, in bytes of its file in /run (hex: about twice
 * its strings; the daemon holds about half of that in memory). The same
 * for a job not made yet, from what StartJob was given. */
uint64_t job_spec_cost(char *const *argv, char *const *environment, const char *working_directory);
uint64_t job_record_cost(const Job *j);

/* Whether a new job of owner whose record costs cost fits the byte budgets
 * next to the active jobs' records (finished ones make room: retention
 * forgets them). root is exempt from the per-user budget. Returns 0,
 * -EDQUOT (owner's budget) or -ENOSPC (the total budget), with the bytes
 * already used of that budget in *ret_used. */
int job_budget_check(Job *const *jobs, size_t n, uid_t owner, uint64_t cost, const JobRetention *limits,
                     uint64_t *ret_used);

/* A finished job's command line is kept for display only: at most this many
 * bytes of it (arguments with their NULs). */
#define JOB_FINISHED_ARGV_BYTES_MAX 4096U
/* Cuts argv (NULL-terminated, non-empty) in place to at most max bytes
 * counting a NUL per argument, max >= 2: the arguments that fit, the next
 * one cut short, the rest dropped; argv[0] always stays, cut if needed.
 * Returns whether anything was cut. */
bool job_argv_shrink(char **argv, size_t max);
