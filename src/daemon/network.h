/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bridged networking on the daemon's side: the bridge (made on first use
 * when missing, with the gateway address), each job's lease (lease.h) from
 * the moment it is made until it is over, the recovery of leases after a
 * restart, and the check for netfilter rules that would drop bridged
 * traffic. rtnetlink through libmnl; the veth itself is the shim's. */
#pragma once

#include <systemd/sd-bus.h>

#include "caller-report.h"

typedef struct Manager Manager;
typedef struct Job Job;

/* For j, before it starts: checks that the caller may use j->network (its
 * group, MaxAddressesPerUser), makes sure the bridge is there, and takes
 * the lease of j->address (or of the next free address, put into
 * j->address). Refusals set error (specific org.jobworker1.Error.*) and
 * return negative. On success the lease is j's until network_job_release(). */
int network_job_attach(Manager *m, Job *j, const UserRecord *user, sd_bus_error *error);

/* j is over (or never started): its lease is given back and its veth's host
 * end removed if the shim could not (it was killed). Harmless without. */
void network_job_release(Job *j);

/* At start-up, once the jobs are recovered: gives back leases of jobs that
 * are gone or over. */
void network_recover_leases(Manager *m);

/* What StartJob checks before asking anyone: the network exists, and the
 * address asked for (if any) may be a job's there. */
int network_check_request(Manager *m, const char *network, uint32_t address, unsigned prefix, sd_bus_error *error);
