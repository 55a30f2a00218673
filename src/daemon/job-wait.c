/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-names.h"
#include "job.h"
#include "job-result.h"
#include "job-wait.h"
#include "log.h"
#include "manager.h"

/* What changes when a job finishes (job_send_properties_changed()), with
 * the same names, types and values as the properties, and its Id. */
static int append_end(sd_bus_message *reply, const Job *j) {
        int r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}",
                                          "Id", "s", j->id,
                                          "State", "s", job_state_shown(j),
                                          "Result", "s", job_result_to_string(j->result),
                                          "ExitCode", "i", (int32_t) j->exit_code,
                                          "ExitSignal", "i", (int32_t) j->exit_signal,
                                          "StatusText", "s", j->status_text ?: "",
                                          "StartErrno", "i", (int32_t) j->start_errno);
        if (r >= 0)
                r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}",
                                          "FinishTimestamp", "t", j->finish_usec,
                                          "CPUUsageNSec", "t", j->cpu_usage_nsec,
                                          "MemoryPeak", "t", j->memory_peak,
                                          "StdoutBytes", "t", j->output_bytes[0],
                                          "StderrBytes", "t", j->output_bytes[1]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int answer(sd_bus_message *call, const Job *j) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = append_end(reply, j);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

static unsigned waiters_of(Manager *m, uid_t caller, unsigned *ret_all) {
        unsigned n = 0, all = 0;

        for (size_t i = 0; i < m->n_jobs; i++)
                for (size_t k = 0; k < m->jobs[i]->n_waiters; k++) {
                        n += m->jobs[i]->waiters[k].caller == caller;
                        all++;
                }
        *ret_all = all;
        return n;
}

int job_wait_add(Job *j, sd_bus_message *call, uid_t caller, sd_bus_error *error) {
        unsigned all;
        int r;

        if (!job_is_active(j)) {
                r = answer(call, j);
                return r < 0 ? r : 0;
        }
        if (waiters_of(j->manager, caller, &all) >= JOB_WAITERS_PER_USER_MAX || all >= JOB_WAITERS_MAX)
                return sd_bus_error_set(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                        "Too many calls are waiting for jobs to finish; watch the job's State instead.");
        JobWaiter *w = reallocarray(j->waiters, j->n_waiters + 1, sizeof(JobWaiter));
        if (!w)
                return -ENOMEM;
        j->waiters = w;
        j->waiters[j->n_waiters++] = (JobWaiter) { .call = sd_bus_message_ref(call), .caller = caller };
        return 1;
}

void job_wait_answer_all(Job *j) {
        for (size_t i = 0; i < j->n_waiters; i++) {
                int r = answer(j->waiters[i].call, j);
                if (r < 0)
                        log_debug_errno(r, "Failed to answer a Wait() for job %s: %m", j->id);
        }
        job_wait_drop_all(j);
}

void job_wait_drop_sender(Job *j, const char *unique_name) {
        size_t kept = 0;

        for (size_t i = 0; i < j->n_waiters; i++) {
                const char *sender = sd_bus_message_get_sender(j->waiters[i].call);
                if (sender && strcmp(sender, unique_name) == 0)
                        sd_bus_message_unref(j->waiters[i].call);
                else
                        j->waiters[kept++] = j->waiters[i];
        }
        j->n_waiters = kept;
}

void job_wait_drop_all(Job *j) {
        for (size_t i = 0; i < j->n_waiters; i++)
                sd_bus_message_unref(j->waiters[i].call);
        free(j->waiters);
        j->waiters = NULL;
        j->n_waiters = 0;
}
