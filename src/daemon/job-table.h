/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job table's index: Manager.jobs is kept sorted by id, so a lookup by
 * id (every call, every signal from systemd) is a binary search rather than
 * a scan of every job, finished ones included. Pure, so it is unit-tested. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct Job Job;

/* The index at which id is (*ret_found true) or would be inserted to keep
 * jobs[0..n) sorted (*ret_found false). */
size_t job_table_search(Job *const *jobs, size_t n, const char *id, bool *ret_found);
