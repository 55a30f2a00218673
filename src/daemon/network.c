/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bridged networking, the daemon's side (network.h). The rtnetlink calls
 * here are the kernel's to answer, never a client's, and bounded by a
 * receive timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bus-names.h"
#include "job.h"
#include "lease.h"
#include "log.h"
#include "macro.h"
#include "manager.h"
#include "net-address.h"
#include "network.h"
#include "network-config.h"
#include "parse-util.h"

static void mnl_socket_closep(struct mnl_socket **nl) {
        if (*nl)
                mnl_socket_close(*nl);
}

static int nl_open(int bus, struct mnl_socket **ret) {
        struct timeval tv = { .tv_sec = 2 };
        struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC);

        if (!nl)
                return -errno;
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
            setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
                int r = -errno;
                mnl_socket_close(nl);
                return r;
        }
        *ret = nl;
        return 0;
}

/* Sends and reads the answers until the ack or the dump's end: 0, or the
 * kernel's negative errno. */
static int nl_call_full(struct mnl_socket *nl, struct nlmsghdr *nlh, bool dump, mnl_cb_t cb, void *data) {
        static unsigned seq;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        ssize_t n;
        int r;

        /* NLM_F_DUMP shares bits with NLM_F_EXCL and NLM_F_REPLACE: the
         * kind of request is told, not read from the flags. */
        nlh->nlmsg_flags |= NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
        if (!dump && !cb)
                nlh->nlmsg_flags |= NLM_F_ACK;
        nlh->nlmsg_seq = ++seq;
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                n = mnl_socket_recvfrom(nl, buf, sizeof buf);
                if (n < 0)
                        return errno == EAGAIN ? -ETIMEDOUT : -errno;
                r = mnl_cb_run(buf, (size_t) n, seq, mnl_socket_get_portid(nl), cb, data);
                if (r < 0)
                        return -errno;
                if (r == MNL_CB_STOP || (cb && !dump))
                        return 0;
        }
}

static int nl_call(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data) {
        return nl_call_full(nl, nlh, false, cb, data);
}

static struct nlmsghdr *link_request(char *buf, uint16_t type, uint16_t flags, const char *name,
                                     struct ifinfomsg **ret_ifm) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifinfomsg *ifm;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
        ifm->ifi_family = AF_UNSPEC;
        if (name)
                mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        if (ret_ifm)
                *ret_ifm = ifm;
        return nlh;
}

typedef struct LinkInfo {
        bool found;
        unsigned flags;
        char kind[32];
} LinkInfo;

static int linkinfo_cb(const struct nlattr *a, void *data) {
        LinkInfo *l = data;
        if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
                snprintf(l->kind, sizeof l->kind, "%s", mnl_attr_get_str(a));
        return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data) {
        if (mnl_attr_get_type(a) == IFLA_LINKINFO && mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
                mnl_attr_parse_nested(a, linkinfo_cb, data);
        return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data) {
        LinkInfo *l = data;
        const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

        l->found = true;
        l->flags = ifm->ifi_flags;
        mnl_attr_parse(nlh, sizeof *ifm, link_attr_cb, data);
        return MNL_CB_OK;
}

/* -ENODEV if there is no such interface. */
static int link_get(struct mnl_socket *nl, const char *name, LinkInfo *ret) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = link_request(buf, RTM_GETLINK, 0, name, NULL);
        int r;

        *ret = (LinkInfo) {};
        r = nl_call(nl, nlh, link_cb, ret);
        if (r < 0)
                return r;
        return ret->found ? 0 : -ENODEV;
}

static int link_no_ipv6_autoconf(struct mnl_socket *nl, const char *name) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = link_request(buf, RTM_NEWLINK, 0, name, NULL);
        struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC), *inet6 = mnl_attr_nest_start(nlh, AF_INET6);
        int r;

        mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
        mnl_attr_nest_end(nlh, inet6);
        mnl_attr_nest_end(nlh, spec);
        r = nl_call(nl, nlh, NULL, NULL);
        return r == -EAFNOSUPPORT || r == -EOPNOTSUPP ? 0 : r;
}

static int bridge_create(struct mnl_socket *nl, const Network *n) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;
        struct ifinfomsg *ifm;
        struct ifaddrmsg *ifa;
        struct nlattr *linkinfo;
        /* A MAC of its own, set now: a bridge otherwise takes the lowest of
         * its ports', which changes as jobs come and go. */
        uint8_t mac[6] = { 0x02, 0x6a, (uint8_t) (n->gateway >> 24), (uint8_t) (n->gateway >> 16),
                           (uint8_t) (n->gateway >> 8), (uint8_t) n->gateway };
        unsigned index;
        int r;

        nlh = link_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, n->bridge, NULL);
        mnl_attr_put(nlh, IFLA_ADDRESS, sizeof mac, mac);
        linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(nlh, linkinfo);
        r = nl_call(nl, nlh, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to create bridge %s: %m", n->bridge);
        r = link_no_ipv6_autoconf(nl, n->bridge);
        if (r < 0)
                return log_error_errno(r, "Failed to turn off IPv6 autoconfiguration on %s: %m", n->bridge);
        index = if_nametoindex(n->bridge);
        if (index == 0)
                return -errno;

        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = RTM_NEWADDR;
        nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = (uint8_t) n->subnet.prefix;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = index;
        mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(n->gateway));
        mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(n->gateway));
        mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(net_subnet_broadcast(&n->subnet)));
        r = nl_call(nl, nlh, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Failed to add the gateway address to %s: %m", n->bridge);

        /* The MTU set on the bridge made (not given at creation): a bridge
         * keeps an MTU set so, instead of following its ports' (and going
         * back to 1500 when the last job leaves). */
        nlh = link_request(buf, RTM_NEWLINK, 0, n->bridge, &ifm);
        ifm->ifi_flags = IFF_UP;
        ifm->ifi_change = IFF_UP;
        mnl_attr_put_u32(nlh, IFLA_MTU, n->mtu);
        return nl_call(nl, nlh, NULL, NULL);
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

        r = nl_open(NETLINK_NETFILTER, &nl);
        if (r < 0)
                return r;
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN;
        g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
        g->nfgen_family = NFPROTO_UNSPEC;
        g->version = NFNETLINK_V0;
        r = nl_call_full(nl, nlh, true, chain_cb, &c);
        if (r < 0)
                return r;
        snprintf(found, size, "%s", c.found);
        return c.found[0] ? 1 : 0;
}

static void check_bridge_netfilter(const Network *n) {
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

/* The bridge: ours made if missing, an admin's used as it is. */
static int bridge_ensure(Network *n, sd_bus_error *error) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        LinkInfo l;
        int r;

        /* Seen to be a bridge before, under the same index (a deleted and
         * recreated interface gets a new one): nothing to ask rtnetlink,
         * whose calls take the kernel's rtnl lock and may wait on it. Only
         * a network's first job (or its first after a change) asks. */
        if (n->checked_ifindex != 0 && if_nametoindex(n->bridge) == n->checked_ifindex)
                return 0;
        n->checked_ifindex = 0;
        r = nl_open(NETLINK_ROUTE, &nl);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "Cannot open an rtnetlink socket: %m");
        r = link_get(nl, n->bridge, &l);
        if (r == -ENODEV) {
                r = bridge_create(nl, n);
                if (r < 0 && r != -EEXIST) {
                        log_error_errno(r, "Failed to create bridge %s for network %s: %m", n->bridge, n->name);
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_START_FAILED,
                                                 "Cannot create bridge %s of network %s: %s.", n->bridge, n->name,
                                                 strerror(-r));
                }
                if (r >= 0) {
                        char g[NET_ADDRESS_STRING_MAX];
                        log_info("Created bridge %s with address %s/%u for network %s.", n->bridge,
                                 net_address_format(n->gateway, g), n->subnet.prefix, n->name);
                }
                check_bridge_netfilter(n);
                if (r >= 0)
                        n->checked_ifindex = if_nametoindex(n->bridge);
                return 0;
        }
        if (r < 0)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_START_FAILED, "Cannot look at bridge %s: %s.",
                                         n->bridge, strerror(-r));
        if (strcmp(l.kind, "bridge") != 0)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_START_FAILED,
                                         "Interface %s of network %s is not a bridge; jobworker leaves it alone.",
                                         n->bridge, n->name);
        if (!(l.flags & IFF_UP))
                log_warning("Bridge %s of network %s is down; jobs on it reach nothing until it is up.",
                            n->bridge, n->name);
        else
                n->checked_ifindex = if_nametoindex(n->bridge);
        return 0;
}

/* A job's veth host end, if it is still there (the shim was killed): only
 * a veth of our name is touched. */
static void host_interface_remove(const char *name) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        LinkInfo l;
        int r;

        if (!name || strncmp(name, "jw", 2) != 0)
                return;
        /* The usual case: the shim deleted it, or it went with the job's
         * network namespace. if_nametoindex() does not take the rtnl lock;
         * only a leftover costs an rtnetlink call. */
        if (if_nametoindex(name) == 0 && errno == ENODEV)
                return;
        if (nl_open(NETLINK_ROUTE, &nl) < 0)
                return;
        r = link_get(nl, name, &l);
        if (r < 0 || strcmp(l.kind, "veth") != 0)
                return;
        r = nl_call(nl, link_request(buf, RTM_DELLINK, 0, name, NULL), NULL, NULL);
        if (r < 0 && r != -ENODEV)
                log_warning_errno(r, "Failed to remove %s: %m", name);
        else
                log_info("Removed %s, left behind by its job.", name);
}

int network_check_request(Manager *m, const char *network, uint32_t address, unsigned prefix, sd_bus_error *error) {
        const Network *n;
        char a[NET_ADDRESS_STRING_MAX], s[NET_PREFIX_STRING_MAX];
        NetAddressProblem p;

        if (!network)
                return 0;
        n = network_list_find(&m->networks, network);
        if (!n) {
                _cleanup_free_ char *names = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&names, &len);
                if (!f)
                        return -ENOMEM;
                for (size_t i = 0; i < m->networks.n_networks; i++)
                        fprintf(f, ", %s", m->networks.networks[i].name);
                if (fclose(f) != 0)
                        return -ENOMEM;
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NO_SUCH_NETWORK,
                                         "There is no network \"%s\" (networks: none%s).", network, names ?: "");
        }
        if (!address)
                return 0;
        p = net_address_check(&n->subnet, n->gateway, address, prefix);
        if (p == NET_ADDRESS_OK)
                return 0;
        net_address_format(address, a);
        if (prefix)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ADDRESS,
                                         "Address %s/%u is %s (network %s, subnet %s).", a, prefix,
                                         net_address_problem_to_string(p), network, net_subnet_format(&n->subnet, s));
        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ADDRESS, "Address %s is %s (network %s, subnet %s).",
                                 a, net_address_problem_to_string(p), network, net_subnet_format(&n->subnet, s));
}

static bool user_in_group(const UserRecord *user, gid_t gid) {
        if (user->gid == gid)
                return true;
        for (size_t i = 0; i < user->n_groups; i++)
                if (user->groups[i] == gid)
                        return true;
        return false;
}

static unsigned addresses_of(Manager *m, uid_t uid) {
        unsigned n = 0;
        for (size_t i = 0; i < m->n_jobs; i++)
                n += m->jobs[i]->owner == uid && m->jobs[i]->address && job_is_active(m->jobs[i]);
        return n;
}

int network_job_attach(Manager *m, Job *j, const UserRecord *user, sd_bus_error *error) {
        Network *n;
        char a[NET_ADDRESS_STRING_MAX], holder[JOB_ID_LENGTH + 1] = "", ifname[NETWORK_IFNAME_MAX + 1];
        uint32_t address = j->address;
        int r;

        if (!j->network)
                return 0;
        /* Again: the configuration may have been reloaded meanwhile. */
        r = network_check_request(m, j->network, j->address, j->address_prefix, error);
        if (r < 0)
                return r;
        n = (Network *) network_list_find(&m->networks, j->network);
        if (n->group && j->owner != 0) {
                if (n->gid == (gid_t) -1)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                                 "Network %s is for group %s, which does not exist.", n->name, n->group);
                if (!user_in_group(user, n->gid))
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_ACCESS_DENIED,
                                                 "Network %s is for the members of group %s; user %s is not one.",
                                                 n->name, n->group, user->name);
        }
        if (j->owner != 0 && addresses_of(m, j->owner) >= m->settings.max_addresses_per_user)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                         "User %u already holds %u addresses (MaxAddressesPerUser=%u).",
                                         (unsigned) j->owner, addresses_of(m, j->owner),
                                         m->settings.max_addresses_per_user);
        r = bridge_ensure(n, error);
        if (r < 0)
                return r;
        r = network_host_interface_name(j->id, ifname);
        if (r < 0)
                return r;

        if (address) {
                r = lease_take(LEASE_DIR, n->name, address, j->id, j->owner, holder);
                if (r == -EADDRINUSE)
                        /* Another user's job id is not the caller's to learn. */
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_ADDRESS_IN_USE,
                                                 "Address %s is already held by another running job on network %s.",
                                                 net_address_format(address, a), n->name);
        } else {
                r = lease_take_any(LEASE_DIR, n->name, &n->subnet, n->gateway, m->lease_hint++, j->id, j->owner,
                                   &address);
                if (r == -EADDRNOTAVAIL)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_LIMIT_EXCEEDED,
                                                 "Every address of network %s is held by a running job.", n->name);
        }
        if (r < 0) {
                log_error_errno(r, "Failed to take a lease on network %s: %m", n->name);
                return sd_bus_error_set_errnof(error, r, "Cannot record the address lease: %m");
        }
        j->address = address;
        j->address_prefix = n->subnet.prefix;
        free(j->host_interface);
        j->host_interface = strdup(ifname);
        if (!j->host_interface) {
                (void) lease_release(LEASE_DIR, n->name, address, j->id);
                j->address = 0;
                return -ENOMEM;
        }
        log_debug("Job %s gets %s/%u on network %s.", j->id, net_address_format(address, a), j->address_prefix,
                  n->name);
        return 0;
}

void network_job_release(Job *j) {
        int r;

        if (!j->network || !j->address)
                return;
        host_interface_remove(j->host_interface);
        r = lease_release(LEASE_DIR, j->network, j->address, j->id);
        if (r < 0 && r != -ENOENT) {
                char a[NET_ADDRESS_STRING_MAX];
                log_warning_errno(r, "Failed to give back address %s of job %s: %m",
                                  net_address_format(j->address, a), j->id);
        }
}

static int recover_lease(const char *network, uint32_t address, const char *job_id, uid_t uid, void *userdata) {
        Manager *m = userdata;
        Job *j = manager_find_job(m, job_id);
        char a[NET_ADDRESS_STRING_MAX], ifname[NETWORK_IFNAME_MAX + 1];

        if (j && job_is_active(j) && j->network && strcmp(j->network, network) == 0 && j->address == address)
                return 0;
        log_info("Giving back address %s on network %s: job %s is %s.", net_address_format(address, a), network,
                 job_id, j ? "over" : "gone");
        if (network_host_interface_name(job_id, ifname) >= 0)
                host_interface_remove(ifname);
        (void) lease_release(LEASE_DIR, network, address, job_id);
        return 0;
}

void network_recover_leases(Manager *m) {
        int r = lease_foreach(LEASE_DIR, recover_lease, m);
        if (r < 0)
                log_warning_errno(r, "Failed to look at the address leases in " LEASE_DIR ": %m");
}
