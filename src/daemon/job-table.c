/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Binary search over the job table, sorted by id (job-table.h). */
#include <assert.h>
#include <string.h>

#include "job.h"
#include "job-table.h"

size_t job_table_search(Job *const *jobs, size_t n, const char *id, bool *ret_found) {
        size_t lo = 0, hi = n;

        assert(jobs || n == 0);
        assert(id);
        assert(ret_found);

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(jobs[mid]->id, id);

                if (c == 0) {
                        *ret_found = true;
                        return mid;
                }
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *ret_found = false;
        return lo;
}
