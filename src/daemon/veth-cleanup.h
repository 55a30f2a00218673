/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host end of a veth that outlived its job (something held the job's
 * network namespace when the shim was killed): deleted by a child, never in
 * the event loop (rtnetlink waits on the kernel's rtnl_lock), and the
 * job's address lease freed only once it is gone: until then the address
 * is still on the bridge. */
#pragma once

#include <stdint.h>

#include "macro.h"
#include "time-util.h"

typedef struct Manager Manager;

/* How long a child may take before it is killed, and how long after a
 * failure the removal is tried again (also at every start-up, through the
 * leases left). */
#define VETH_CLEANUP_TIMEOUT_USEC (30 * USEC_PER_SEC)
#define VETH_CLEANUP_RETRY_USEC (60 * USEC_PER_SEC)

/* Job job_id is over: frees its lease of address on network at once if its
 * veth's host end (named for job_id) is gone, the normal case (it goes with
 * the job's network namespace); else a child deletes it (only a veth of
 * that name: anything else counts as gone) and the lease is freed after. */
void veth_cleanup_release(Manager *m, const char *network, uint32_t address, const char *job_id);

/* Removals under way or waiting for a retry. */
unsigned veth_cleanup_pending(Manager *m);

void veth_cleanup_free_all(Manager *m);
