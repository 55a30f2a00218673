/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bridged networking on the daemon's side: who may use a network, each
 * job's lease (lease.h) from the moment it is made until the job is over
 * and its veth gone, and the recovery of leases after a restart. No
 * rtnetlink: the bridge (made on first use) and the veth are the shim's,
 * a veth left behind veth-cleanup.h's. */
#pragma once

#include <systemd/sd-bus.h>

#include "caller-report.h"

typedef struct Manager Manager;
typedef struct Job Job;

/* For j, before it starts: checks that the caller may use j->network (its
 * group, MaxAddressesPerUser) and takes the lease of j->address (or of the next free address, put into
 * j->address). Refusals set error (specific org.jobworker1.Error.*) and
 * return negative. On success the lease is j's until network_job_release(). */
int network_job_attach(Manager *m, Job *j, const UserRecord *user, sd_bus_error *error);

/* j is over (or never started): its lease is given back, at once if its
 * veth is gone, else once a child has removed what the shim could not (it
 * was killed while something held the job's network namespace). Harmless
 * without a network. */
void network_job_release(Job *j);

/* At start-up, once the jobs are recovered: gives back leases of jobs that
 * are gone or over (as network_job_release()). */
void network_recover_leases(Manager *m);

/* What StartJob checks before asking anyone: the network exists, and the
 * address asked for (if any) may be a job's there. */
int network_check_request(Manager *m, const char *network, uint32_t address, unsigned prefix, sd_bus_error *error);
