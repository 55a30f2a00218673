/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Address leases of bridged jobs: one file per address,
 * DIR/<network>/<a.b.c.d>, holding "<job id> <owner uid>\n", made with
 * link(), so that two starts never get one address, and surviving a daemon
 * restart or SIGKILL (DIR is RUNSTATEDIR/leases, next to the job records).
 * Only files: no bus, no logging. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "net-address.h"

#define LEASE_DIR RUNSTATEDIR "/leases"

/* Takes address (not 0) on network for job_id: -EADDRINUSE if another job
 * holds it (its id in ret_holder, if not NULL: 13 bytes). */
int lease_take(const char *dir, const char *network, uint32_t address, const char *job_id, uid_t uid,
               char *ret_holder);

/* Takes the first free host address of subnet other than gateway, trying
 * from the hint-th candidate on (wrapping), so that an address just given
 * back is not the next one handed out (neighbours still cache its MAC).
 * -EADDRNOTAVAIL when every one is held. */
int lease_take_any(const char *dir, const char *network, const NetSubnet *subnet, uint32_t gateway,
                   uint64_t hint, const char *job_id, uid_t uid, uint32_t *ret_address);

/* Gives the lease back if it is job_id's (0, or -ENOENT if there is none,
 * -EPERM if another job holds it). */
int lease_release(const char *dir, const char *network, uint32_t address, const char *job_id);

/* Calls f for every lease (a malformed file is removed first: it could
 * only come from a crash halfway through writing it). Stops at f's first
 * negative return. */
typedef int (*lease_func_t)(const char *network, uint32_t address, const char *job_id, uid_t uid, void *userdata);
int lease_foreach(const char *dir, lease_func_t f, void *userdata);
