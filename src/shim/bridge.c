/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The bridge of a bridged job's network, made sure of by the shim (as root,
 * in the host's network namespace, before the veth is made) rather than by
 * the daemon: rtnetlink waits on the kernel's rtnl_lock, which the daemon's
 * event loop must never do for a client. Ours (made with a MAC derived from
 * the gateway) is created on first use and finished if found half made;
 * an admin's is used as it is; anything else of that name is refused. The
 * shims of several jobs may race to make the same bridge: every step is
 * one the loser can repeat. */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if.h>             /* before the kernel headers: both define IFF_* */
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "rtnl-util.h"
#include "shim.h"

static int bridge_create(struct mnl_socket *nl, const ShimNetwork *n, const uint8_t mac[static 6]) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = link_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, n->bridge, NULL);
        struct nlattr *linkinfo;

        /* A MAC of its own, set now: a bridge otherwise takes the lowest of
         * its ports', which changes as jobs come and go. It also tells our
         * bridge from an admin's. */
        mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
        linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(nlh, linkinfo);
        return rtnl_call(nl, nlh, false, NULL, NULL);
}

/* What a new bridge of ours needs, in an order whose every step may be
 * repeated by another shim: no IPv6 autoconfiguration (before it is up),
 * the gateway address, then the MTU and up in one request. The MTU is set
 * on the bridge made (not given at creation): a bridge keeps an MTU set so,
 * instead of following its ports' (and going back to 1500 when the last
 * job leaves). Up comes last: a bridge of ours that is up is complete. */
static int bridge_finish(struct mnl_socket *nl, const ShimNetwork *n, int index, const char **ret_stage) {
        int r;

        r = link_no_ipv6_autoconf(nl, index, NULL);
        if (r < 0) {
                *ret_stage = "turn off IPv6 autoconfiguration on the network's bridge";
                return log_error_errno(r, "Failed to turn off IPv6 autoconfiguration on %s: %m", n->bridge);
        }
        r = address_add(nl, index, n->gateway, n->prefix);
        if (r < 0 && r != -EEXIST) {
                *ret_stage = "add the gateway address to the network's bridge";
                return log_error_errno(r, "Failed to add the gateway address to %s: %m", n->bridge);
        }
        r = link_up(nl, index, NULL, n->mtu);
        if (r < 0) {
                *ret_stage = "bring up the network's bridge";
                return log_error_errno(r, "Failed to bring up %s: %m", n->bridge);
        }
        return 0;
}

/* ---- br_netfilter and a dropping FORWARD chain ---- */

typedef struct ChainInfo {
        uint8_t family;
        bool forward_hook;
        bool has_policy;
        uint32_t policy;
        char table[64], name[64];
        char found[256];
} ChainInfo;

static int hook_attr_cb(const struct nlattr *a, void *data) {
        ChainInfo *c = data;
        if (mnl_attr_get_type(a) == NFTA_HOOK_HOOKNUM && mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
                c->forward_hook = ntohl(mnl_attr_get_u32(a)) == NF_INET_FORWARD;
        return MNL_CB_OK;
}

static int chain_attr_cb(const struct nlattr *a, void *data) {
        ChainInfo *c = data;
        switch (mnl_attr_get_type(a)) {
        case NFTA_CHAIN_TABLE:
                if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
                        snprintf(c->table, sizeof c->table, "%s", mnl_attr_get_str(a));
                break;
        case NFTA_CHAIN_NAME:
                if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
                        snprintf(c->name, sizeof c->name, "%s", mnl_attr_get_str(a));
                break;
        case NFTA_CHAIN_HOOK:
                if (mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
                        mnl_attr_parse_nested(a, hook_attr_cb, data);
                break;
        case NFTA_CHAIN_POLICY:
                if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
                        c->has_policy = true;
                        c->policy = ntohl(mnl_attr_get_u32(a));
                }
                break;
        }
        return MNL_CB_OK;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data) {
        ChainInfo *result = data, c = {};
        const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

        c.family = g->nfgen_family;
        mnl_attr_parse(nlh, sizeof *g, chain_attr_cb, &c);
        /* br_netfilter hands bridged IPv4 to the ip family's hooks (inet
         * tables see it too). */
        if ((c.family == NFPROTO_IPV4 || c.family == NFPROTO_INET) && c.forward_hook && c.has_policy &&
            c.policy == NF_DROP && !result->found[0])
                snprintf(result->found, sizeof result->found, "%s %s, chain %s",
                         c.family == NFPROTO_INET ? "inet" : "ip", c.table, c.name);
        return MNL_CB_OK;
}

/* nftables' chains (iptables-nft, Docker's on Debian 12 included): a
 * forward chain with policy drop. 1 found (named in found), 0 not, < 0. */
static int forward_drop_chain(char *found, size_t size) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;
        struct nfgenmsg *g;
        ChainInfo c = {};
        int r;

        r = rtnl_open(NETLINK_NETFILTER, &nl);
        if (r < 0)
                return r;
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN;
        g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
        g->nfgen_family = NFPROTO_UNSPEC;
        g->version = NFNETLINK_V0;
        r = rtnl_call(nl, nlh, true, chain_cb, &c);
        if (r < 0)
                return r;
        snprintf(found, size, "%s", c.found);
        return c.found[0] ? 1 : 0;
}

/* Said once, by the shim that made the bridge. */
static void check_bridge_netfilter(const ShimNetwork *n) {
        char value[8] = {}, found[256];
        FILE *f = fopen("/proc/sys/net/bridge/bridge-nf-call-iptables", "re");
        int r;

        if (!f)
                return;        /* no br_netfilter: bridged traffic skips iptables */
        if (!fgets(value, sizeof value, f))
                value[0] = 0;
        fclose(f);
        if (value[0] != '1')
                return;
        r = forward_drop_chain(found, sizeof found);
        if (r > 0)
                log_warning("br_netfilter is loaded and %s drops forwarded packets by default: traffic between "
                            "jobs on bridge %s is dropped unless a rule accepts it (e.g. iptables -I FORWARD "
                            "-i %s -o %s -j ACCEPT). See jobworkerd.conf(5).", found, n->bridge, n->bridge, n->bridge);
        else
                log_notice("br_netfilter is loaded: traffic between jobs on bridge %s passes the iptables FORWARD "
                           "chain%s; a drop policy there (Docker's) drops it. See jobworkerd.conf(5).", n->bridge,
                           r < 0 ? " (its policy could not be read)" : "");
}

int bridge_ensure(struct mnl_socket *nl, const ShimNetwork *n, const char **ret_stage) {
        /* The stage names the interface: room for two names and the words. */
        static char stage[160];
        char gateway[NET_ADDRESS_STRING_MAX];
        uint8_t mac[6];
        LinkInfo l;
        bool created = false;
        int r;

        mac_for_address(n->gateway, RTNL_MAC_JOB, mac);
        r = link_get(nl, 0, n->bridge, &l);
        if (r == -ENODEV) {
                r = bridge_create(nl, n, mac);
                /* EEXIST: another job's shim made it first (or something
                 * else of that name appeared): looked at below. */
                if (r < 0 && r != -EEXIST) {
                        *ret_stage = "create the network's bridge";
                        return log_error_errno(r, "Failed to create bridge %s: %m", n->bridge);
                }
                created = r >= 0;
                r = link_get(nl, 0, n->bridge, &l);
        }
        if (r < 0) {
                *ret_stage = "look at the network's bridge";
                return log_error_errno(r, "Failed to look at bridge %s: %m", n->bridge);
        }
        if (strcmp(l.kind, "bridge") != 0) {
                snprintf(stage, sizeof stage, "use %s as the network's bridge (%s is %s%s, not a bridge; jobworker "
                         "leaves it alone)", n->bridge, n->bridge, l.kind[0] ? "a " : "an interface",
                         l.kind[0] ? l.kind : "");
                *ret_stage = stage;
                log_error("Interface %s is not a bridge (%s); jobworker leaves it alone.", n->bridge,
                          l.kind[0] ? l.kind : "no link kind");
                return -EMEDIUMTYPE;
        }

        if (created || (l.has_mac && memcmp(l.mac, mac, sizeof mac) == 0)) {
                /* Ours: complete once it is up with the network's MTU; else
                 * just made, by us or a shim still at it (or a crash left
                 * it half made). */
                if (created || !(l.flags & IFF_UP) || l.mtu != n->mtu) {
                        r = bridge_finish(nl, n, l.index, ret_stage);
                        if (r < 0)
                                return r;
                }
        } else if (!(l.flags & IFF_UP))
                log_warning("Bridge %s is down; the job reaches nothing until it is up.", n->bridge);

        if (created) {
                log_info("Created bridge %s with address %s/%u.", n->bridge, net_address_format(n->gateway, gateway),
                         n->prefix);
                check_bridge_netfilter(n);
        }
        return l.index;
}
