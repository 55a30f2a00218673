/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPv4 addresses and subnets of bridged networks: strict parsing of their
 * text forms, subnet arithmetic, and the check of a job's address against
 * its network. Pure: no I/O. Addresses are in host byte order. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "255.255.255.255" and a NUL. */
#define NET_ADDRESS_STRING_MAX 16U
/* "255.255.255.255/32" and a NUL. */
#define NET_PREFIX_STRING_MAX 19U

/* A network's subnets: /8 to /30 (a /31 or /32 has no room for a gateway
 * and a job besides the network and broadcast addresses). */
#define NET_SUBNET_PREFIX_MIN 8U
#define NET_SUBNET_PREFIX_MAX 30U

typedef struct NetSubnet {
        uint32_t network;      /* host bits zero */
        unsigned prefix;
} NetSubnet;

/* Dotted quad, exactly four decimal parts 0..255 without leading zeros,
 * sign or whitespace ("10.89.0.7"). -EINVAL otherwise. */
int net_address_parse(const char *s, uint32_t *ret);
/* "ADDRESS/PREFIX" (prefix 0..32, canonical decimal); without "/PREFIX"
 * *ret_prefix is 0 and the return value 0, with it 1. -EINVAL otherwise. */
int net_address_prefix_parse(const char *s, uint32_t *ret_address, unsigned *ret_prefix);
/* A subnet "NETWORK/PREFIX": prefix NET_SUBNET_PREFIX_MIN..MAX and no host
 * bits set (-EINVAL, or -EDOM for host bits, -ERANGE for the prefix). */
int net_subnet_parse(const char *s, NetSubnet *ret);

char *net_address_format(uint32_t address, char buf[static NET_ADDRESS_STRING_MAX]);
char *net_subnet_format(const NetSubnet *s, char buf[static NET_PREFIX_STRING_MAX]);

uint32_t net_prefix_mask(unsigned prefix);
uint32_t net_subnet_broadcast(const NetSubnet *s);
bool net_subnet_contains(const NetSubnet *s, uint32_t address);
/* Addresses a job may hold: the subnet's hosts minus the gateway. */
uint64_t net_subnet_n_hosts(const NetSubnet *s, uint32_t gateway);

/* Why an address may not be a job's on a network. */
typedef enum NetAddressProblem {
        NET_ADDRESS_OK,
        NET_ADDRESS_OUTSIDE,       /* not in the subnet */
        NET_ADDRESS_WRONG_PREFIX,  /* a prefix other than the subnet's */
        NET_ADDRESS_NETWORK,       /* the subnet's network address */
        NET_ADDRESS_BROADCAST,     /* its broadcast address */
        NET_ADDRESS_GATEWAY,       /* the network's gateway (the bridge's) */
} NetAddressProblem;

/* prefix 0: none was given (the subnet's is meant). */
NetAddressProblem net_address_check(const NetSubnet *s, uint32_t gateway, uint32_t address, unsigned prefix);
/* A phrase following "ADDRESS is ...": "not in subnet 10.89.0.0/24". */
const char *net_address_problem_to_string(NetAddressProblem p);

/* The n-th candidate address of a subnet for automatic assignment, counting
 * from its first host and skipping the gateway: n in 0..net_subnet_n_hosts()-1. */
uint32_t net_subnet_nth_host(const NetSubnet *s, uint32_t gateway, uint64_t n);

/* An interface name we create or accept in the configuration: 1..15 of
 * [A-Za-z0-9_.-], not "." or "..". */
#define NET_IFNAME_MAX 15U
bool net_ifname_valid(const char *name);
