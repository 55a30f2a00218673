/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bridged networks a job may join: the built-in "bridge" and the
 * [Network "NAME"] sections of jobworkerd.conf(5), checked key by key while
 * the file is read and as a whole once it is. Pure: no syscalls (a Group=
 * given by name is resolved by the caller of network_list_build()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "net-address.h"
#include "shim-spec.h"

#define NETWORK_NONE "none"                 /* loopback only: the default */
#define NETWORK_BUILTIN_NAME "bridge"
#define NETWORK_BUILTIN_BRIDGE "jobworker0"
#define NETWORK_BUILTIN_SUBNET "10.89.0.0/24"
#define NETWORK_BUILTIN_GATEWAY "10.89.0.1"
#define NETWORK_MTU_DEFAULT 1500U
#define NETWORK_MTU_MIN 68U
#define NETWORK_MTU_MAX 65535U
#define NETWORK_NAME_MAX 64U
/* IFNAMSIZ - 1 */
#define NETWORK_IFNAME_MAX 15U

typedef struct Network {
        char *name;
        char *bridge;
        NetSubnet subnet;
        uint32_t gateway;
        uint32_t mtu;
        char *group;                /* Group= as written; NULL = every user may */
        gid_t gid;                  /* resolved; (gid_t) -1 while not */
} Network;

typedef struct NetworkList {
        Network *networks;
        size_t n_networks;
} NetworkList;

void network_list_done(NetworkList *l);
/* Moves src into dst (dst freed first). */
void network_list_move(NetworkList *dst, NetworkList *src);
const Network *network_list_find(const NetworkList *l, const char *name);

/* The check of one key of a [Network "NAME"] section while the file is read
 * (config.c's argument_sections): 0, or -EINVAL with *ret_message set. */
int network_config_validate_entry(const char *argument, const char *key, const char *value, char **ret_message);

/* The networks of s: the built-in one, overridden or added to by the
 * sections (a later value of a key wins). A section must end up with Bridge
 * and Subnet (the built-in one has them), a Gateway that is a host of its
 * Subnet (default: the subnet's first host), and no two networks may share a
 * bridge or overlap. 0, or -EINVAL with *error naming the section's file
 * and line. Group= names are left for network_list_resolve_groups(). */
int network_list_build(const Settings *s, NetworkList *ret, ConfigError *error);

/* Whether name is a valid interface name (1..15 of [A-Za-z0-9_.-], not "."
 * or ".."). */
bool network_ifname_valid(const char *name);
/* The host-side interface of job id's veth: "jw" and the id (14 characters). */
int network_host_interface_name(const char *job_id, char ret[static NETWORK_IFNAME_MAX + 1]);

/* What the shim of job job_id, holding address on n, is told (shim-spec.h's
 * NETWORK): enough to wire its veth and to make n's bridge if it is not
 * there yet (bridge name, gateway address, the subnet's prefix, MTU).
 * -EINVAL if address is not in n's subnet or job_id is no job id. */
int network_shim_network(const Network *n, const char *job_id, uint32_t address, ShimNetwork *ret);
