/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The few rtnetlink requests jobworker makes, over libmnl: one socket
 * helper, one request/answer loop, and the link and address calls the
 * shim (bridge and veth) and the daemon's clean-up child share. These
 * block on the kernel (rtnl_lock): never call them from the daemon's event
 * loop, only from the shim or a child. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "net-address.h"

struct ifinfomsg;

/* NETLINK_ROUTE or NETLINK_NETFILTER, bound, close-on-exec. */
int rtnl_open(int bus, struct mnl_socket **ret);
void mnl_socket_closep(struct mnl_socket **nl);

/* Sends nlh and reads the answers: until the ack (no cb), the one answer
 * (cb, !dump) or the dump's end (dump). 0, or the kernel's negative errno. */
int rtnl_call(struct mnl_socket *nl, struct nlmsghdr *nlh, bool dump, mnl_cb_t cb, void *data);

/* An RTM_*LINK request into buf (MNL_SOCKET_BUFFER_SIZE bytes) for the
 * interface of that index (0: by name), or of that name (NULL: by index). */
struct nlmsghdr *link_request(char *buf, uint16_t type, uint16_t flags, int index, const char *name,
                              struct ifinfomsg **ret_ifm);

typedef struct LinkInfo {
        int index;
        unsigned flags;             /* IFF_* */
        uint32_t mtu;
        uint8_t mac[6];
        bool has_mac;
        char kind[32];              /* IFLA_INFO_KIND: "bridge", "veth", "dummy"; "" for none */
} LinkInfo;

/* -ENODEV if there is no such interface. */
int link_get(struct mnl_socket *nl, int index, const char *name, LinkInfo *ret);
int link_delete(struct mnl_socket *nl, int index);
/* Up, and with mtu unless it is 0. */
int link_up(struct mnl_socket *nl, int index, const char *name, uint32_t mtu);
/* No IPv6 link-local address (nor router solicitations): the networks are
 * IPv4. A kernel without IPv6 has nothing to turn off. */
int link_no_ipv6_autoconf(struct mnl_socket *nl, int index, const char *name);
/* address/prefix on the interface, with the subnet's broadcast address;
 * -EEXIST if it has it already. */
int address_add(struct mnl_socket *nl, int index, uint32_t address, unsigned prefix);

/* Locally administered, derived from an address, so one address always
 * comes with one MAC (neighbour caches never hold a stale pair); set at
 * creation (addr_assign_type "set": udev leaves it alone). kind tells the
 * job's end (RTNL_MAC_JOB, also the bridge's, from the gateway) from the
 * veth's host end (RTNL_MAC_HOST). */
#define RTNL_MAC_JOB 0x6a
#define RTNL_MAC_HOST 0x6b
void mac_for_address(uint32_t address, uint8_t kind, uint8_t mac[static 6]);
