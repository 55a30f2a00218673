/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPv4 addresses and subnets (net-address.h): parsing, arithmetic, the
 * check of a job's address. No I/O. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net-address.h"

/* One decimal part of a dotted quad or a prefix: 1-3 digits, no leading
 * zero, at most max; *p advanced past it. */
static int parse_part(const char **p, unsigned max, unsigned *ret) {
        const char *s = *p;
        unsigned v = 0;
        size_t n = 0;

        while (s[n] >= '0' && s[n] <= '9') {
                if (n == 3)
                        return -EINVAL;
                v = v * 10 + (unsigned) (s[n] - '0');
                n++;
        }
        if (n == 0 || (n > 1 && s[0] == '0') || v > max)
                return -EINVAL;
        *p = s + n;
        *ret = v;
        return 0;
}

static int parse_quad(const char **p, uint32_t *ret) {
        uint32_t a = 0;

        for (int i = 0; i < 4; i++) {
                unsigned part;
                if (i > 0) {
                        if (**p != '.')
                                return -EINVAL;
                        (*p)++;
                }
                if (parse_part(p, 255, &part) < 0)
                        return -EINVAL;
                a = a << 8 | part;
        }
        *ret = a;
        return 0;
}

int net_address_parse(const char *s, uint32_t *ret) {
        uint32_t a;

        assert(ret);
        if (!s || parse_quad(&s, &a) < 0 || *s)
                return -EINVAL;
        *ret = a;
        return 0;
}

int net_address_prefix_parse(const char *s, uint32_t *ret_address, unsigned *ret_prefix) {
        unsigned prefix = 0;
        uint32_t a;

        assert(ret_address);
        assert(ret_prefix);
        if (!s || parse_quad(&s, &a) < 0)
                return -EINVAL;
        if (*s == '/') {
                s++;
                if (parse_part(&s, 32, &prefix) < 0 || *s)
                        return -EINVAL;
                *ret_address = a;
                *ret_prefix = prefix;
                return 1;
        }
        if (*s)
                return -EINVAL;
        *ret_address = a;
        *ret_prefix = 0;
        return 0;
}

uint32_t net_prefix_mask(unsigned prefix) {
        assert(prefix <= 32);
        return prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
}

int net_subnet_parse(const char *s, NetSubnet *ret) {
        uint32_t a;
        unsigned prefix;
        int r;

        assert(ret);
        r = net_address_prefix_parse(s, &a, &prefix);
        if (r <= 0)
                return -EINVAL;      /* a subnet needs its prefix */
        if (prefix < NET_SUBNET_PREFIX_MIN || prefix > NET_SUBNET_PREFIX_MAX)
                return -ERANGE;
        if (a & ~net_prefix_mask(prefix))
                return -EDOM;
        *ret = (NetSubnet) { .network = a, .prefix = prefix };
        return 0;
}

char *net_address_format(uint32_t a, char buf[static NET_ADDRESS_STRING_MAX]) {
        snprintf(buf, NET_ADDRESS_STRING_MAX, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
        return buf;
}

char *net_subnet_format(const NetSubnet *s, char buf[static NET_PREFIX_STRING_MAX]) {
        char a[NET_ADDRESS_STRING_MAX];

        assert(s);
        snprintf(buf, NET_PREFIX_STRING_MAX, "%s/%u", net_address_format(s->network, a), s->prefix);
        return buf;
}

uint32_t net_subnet_broadcast(const NetSubnet *s) {
        assert(s);
        return s->network | ~net_prefix_mask(s->prefix);
}

bool net_subnet_contains(const NetSubnet *s, uint32_t address) {
        assert(s);
        return (address & net_prefix_mask(s->prefix)) == s->network;
}

static bool gateway_is_host(const NetSubnet *s, uint32_t gateway) {
        return net_subnet_contains(s, gateway) && gateway != s->network && gateway != net_subnet_broadcast(s);
}

uint64_t net_subnet_n_hosts(const NetSubnet *s, uint32_t gateway) {
        assert(s);
        assert(s->prefix <= 30);
        return (UINT64_C(1) << (32 - s->prefix)) - 2 - (uint64_t) gateway_is_host(s, gateway);
}

NetAddressProblem net_address_check(const NetSubnet *s, uint32_t gateway, uint32_t address, unsigned prefix) {
        assert(s);
        if (!net_subnet_contains(s, address))
                return NET_ADDRESS_OUTSIDE;
        if (prefix != 0 && prefix != s->prefix)
                return NET_ADDRESS_WRONG_PREFIX;
        if (address == s->network)
                return NET_ADDRESS_NETWORK;
        if (address == net_subnet_broadcast(s))
                return NET_ADDRESS_BROADCAST;
        if (address == gateway)
                return NET_ADDRESS_GATEWAY;
        return NET_ADDRESS_OK;
}

const char *net_address_problem_to_string(NetAddressProblem p) {
        switch (p) {
        case NET_ADDRESS_OK:           return "usable";
        case NET_ADDRESS_OUTSIDE:      return "outside the network's subnet";
        case NET_ADDRESS_WRONG_PREFIX: return "given with a prefix length other than the subnet's";
        case NET_ADDRESS_NETWORK:      return "the subnet's network address";
        case NET_ADDRESS_BROADCAST:    return "the subnet's broadcast address";
        case NET_ADDRESS_GATEWAY:      return "the network's gateway address";
        }
        return "unusable";
}

uint32_t net_subnet_nth_host(const NetSubnet *s, uint32_t gateway, uint64_t n) {
        uint32_t a;

        assert(s);
        a = s->network + 1 + (uint32_t) n;
        /* The gateway is a host of the subnet: the candidates after it move
         * up by one. */
        if (gateway_is_host(s, gateway) && a >= gateway)
                a++;
        return a;
}

bool net_ifname_valid(const char *name) {
        size_t n;

        if (!name)
                return false;
        n = strlen(name);
        if (n == 0 || n > NET_IFNAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        for (const char *c = name; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                      *c == '_' || *c == '.' || *c == '-'))
                        return false;
        return true;
}
