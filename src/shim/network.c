/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A bridged job's network, wired by the shim over rtnetlink (libmnl) while
 * it is still root, before the command runs: a veth pair whose host end
 * joins the bridge and whose other end is the job's eth0, with its address,
 * MTU, default route, no IPv6 autoconfiguration, and unprivileged ping for
 * the job's group. The host end is deleted again when the job is over: a
 * network namespace kept alive by some process must not keep the job's
 * address on the bridge after its lease is gone. */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <net/if.h>             /* before the kernel headers: both define IFF_* */
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "shim.h"
#include "time-util.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000    /* linux/if.h's, which clashes with net/if.h */
#endif

#define JOB_INTERFACE "eth0"
/* How long the job's eth0 may take to report its carrier. The veth reports
 * it at once when both ends are up; this only bounds a kernel that does not. */
#define CARRIER_WAIT_USEC (3 * USEC_PER_SEC)

struct mnl_socket;

static void mnl_socket_closep(struct mnl_socket **nl) {
        if (*nl)
                mnl_socket_close(*nl);
}

static int rtnl_open(struct mnl_socket **ret) {
        struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);

        if (!nl)
                return -errno;
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                mnl_socket_close(nl);
                return r;
        }
        *ret = nl;
        return 0;
}

int network_open_host(const ShimSpec *spec, NetworkHost *ret, const char **ret_stage) {
        int r;

        *ret = (NetworkHost) {};
        if (!spec->network)
                return 0;
        r = rtnl_open(&ret->rtnl);
        if (r < 0) {
                *ret_stage = "open an rtnetlink socket";
                return log_error_errno(r, "Failed to open an rtnetlink socket: %m");
        }
        ret->bridge_index = if_nametoindex(spec->network->bridge);
        if (ret->bridge_index == 0) {
                r = -errno;
                *ret_stage = "find the network's bridge";
                return log_error_errno(r, "Failed to find bridge %s: %m", spec->network->bridge);
        }
        return 0;
}

void network_host_done(NetworkHost *h) {
        mnl_socket_closep(&h->rtnl);
        h->rtnl = NULL;
}

/* Sends the request and waits for its acknowledgement: 0 or the kernel's
 * negative errno. */
static int rtnl_call(struct mnl_socket *nl, struct nlmsghdr *nlh) {
        static unsigned seq;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        unsigned portid = mnl_socket_get_portid(nl);
        ssize_t n;
        int r;

        nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
        nlh->nlmsg_seq = ++seq;
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        for (;;) {
                n = mnl_socket_recvfrom(nl, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                r = mnl_cb_run(buf, (size_t) n, nlh->nlmsg_seq, portid, NULL, NULL);
                if (r < 0)
                        return -errno;
                if (r == MNL_CB_STOP)
                        return 0;
        }
}

static struct nlmsghdr *link_request(char *buf, uint16_t type, uint16_t flags, int index, struct ifinfomsg **ret_ifm) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifinfomsg *ifm;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
        ifm->ifi_family = AF_UNSPEC;
        ifm->ifi_index = index;
        if (ret_ifm)
                *ret_ifm = ifm;
        return nlh;
}

/* Locally administered, derived from the address, so one address always
 * comes with one MAC (neighbour caches never hold a stale pair), set at
 * creation (addr_assign_type "set": udev leaves it alone). */
static void mac_for(uint32_t address, uint8_t kind, uint8_t mac[6]) {
        mac[0] = 0x02;
        mac[1] = kind;
        mac[2] = (uint8_t) (address >> 24);
        mac[3] = (uint8_t) (address >> 16);
        mac[4] = (uint8_t) (address >> 8);
        mac[5] = (uint8_t) address;
}

static int veth_create(const ShimSpec *spec, const NetworkHost *host, int job_netns) {
        const ShimNetwork *n = spec->network;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        uint8_t host_mac[6], job_mac[6];
        struct nlattr *linkinfo, *data, *peer;
        struct nlmsghdr *nlh;

        mac_for(n->address, 0x6b, host_mac);
        mac_for(n->address, 0x6a, job_mac);
        nlh = link_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, NULL);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, n->host_interface);
        mnl_attr_put(nlh, IFLA_ADDRESS, sizeof host_mac, host_mac);
        mnl_attr_put_u32(nlh, IFLA_MTU, n->mtu);
        mnl_attr_put_u32(nlh, IFLA_MASTER, host->bridge_index);
        linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
        data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
        peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
        /* The peer's attributes follow an ifinfomsg of its own. */
        struct ifinfomsg *pifm = mnl_nlmsg_get_payload_tail(nlh);
        memset(pifm, 0, sizeof *pifm);
        pifm->ifi_family = AF_UNSPEC;
        nlh->nlmsg_len += MNL_ALIGN(sizeof *pifm);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, JOB_INTERFACE);
        mnl_attr_put(nlh, IFLA_ADDRESS, sizeof job_mac, job_mac);
        mnl_attr_put_u32(nlh, IFLA_MTU, n->mtu);
        mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t) job_netns);
        mnl_attr_nest_end(nlh, peer);
        mnl_attr_nest_end(nlh, data);
        mnl_attr_nest_end(nlh, linkinfo);
        return rtnl_call(host->rtnl, nlh);
}

/* No IPv6 link-local address (nor router solicitations) on an interface of
 * ours: the networks are IPv4. A kernel without IPv6 has nothing to turn off. */
static int link_no_ipv6_autoconf(struct mnl_socket *nl, int index, const char *name) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlattr *spec, *inet6;
        struct nlmsghdr *nlh;
        int r;

        nlh = link_request(buf, RTM_NEWLINK, 0, index, NULL);
        if (name)
                mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
        inet6 = mnl_attr_nest_start(nlh, AF_INET6);
        mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
        mnl_attr_nest_end(nlh, inet6);
        mnl_attr_nest_end(nlh, spec);
        r = rtnl_call(nl, nlh);
        if (r == -EAFNOSUPPORT || r == -EOPNOTSUPP)
                return 0;
        return r;
}

static int link_up(struct mnl_socket *nl, int index, const char *name) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct ifinfomsg *ifm;
        struct nlmsghdr *nlh;

        nlh = link_request(buf, RTM_NEWLINK, 0, index, &ifm);
        ifm->ifi_flags = IFF_UP;
        ifm->ifi_change = IFF_UP;
        if (name)
                mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        return rtnl_call(nl, nlh);
}

static int address_add(struct mnl_socket *nl, int index, const ShimNetwork *n) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifaddrmsg *ifa;
        NetSubnet subnet = { .network = n->address & net_prefix_mask(n->prefix), .prefix = n->prefix };

        nlh->nlmsg_type = RTM_NEWADDR;
        nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = (uint8_t) n->prefix;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (unsigned) index;
        mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(n->address));
        mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(n->address));
        mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(net_subnet_broadcast(&subnet)));
        return rtnl_call(nl, nlh);
}

static int default_route_add(struct mnl_socket *nl, int index, uint32_t gateway) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct rtmsg *rtm;

        nlh->nlmsg_type = RTM_NEWROUTE;
        nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
        rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
        rtm->rtm_family = AF_INET;
        rtm->rtm_dst_len = 0;
        rtm->rtm_table = RT_TABLE_MAIN;
        rtm->rtm_protocol = RTPROT_BOOT;
        rtm->rtm_scope = RT_SCOPE_UNIVERSE;
        rtm->rtm_type = RTN_UNICAST;
        mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gateway));
        mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t) index);
        return rtnl_call(nl, nlh);
}

static int link_flags_cb(const struct nlmsghdr *nlh, void *data) {
        const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
        *(unsigned *) data = ifm->ifi_flags;
        return MNL_CB_OK;
}

static int link_flags(struct mnl_socket *nl, int index, unsigned *ret) {
        static unsigned seq = 1000000;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;
        ssize_t n;
        int r;

        nlh = link_request(buf, RTM_GETLINK, NLM_F_REQUEST, index, NULL);
        nlh->nlmsg_seq = ++seq;
        if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
                return -errno;
        n = mnl_socket_recvfrom(nl, buf, sizeof buf);
        if (n < 0)
                return -errno;
        r = mnl_cb_run(buf, (size_t) n, seq, mnl_socket_get_portid(nl), link_flags_cb, ret);
        return r < 0 ? -errno : 0;
}

/* The command's first packet must find its network ready: wait until the
 * veth reports its carrier (at once, normally: both ends are up). */
static int wait_for_carrier(struct mnl_socket *nl, int index) {
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + CARRIER_WAIT_USEC;
        unsigned flags = 0;
        int r;

        for (;;) {
                r = link_flags(nl, index, &flags);
                if (r < 0)
                        return r;
                if (flags & IFF_LOWER_UP)
                        return 0;
                if (now_usec(CLOCK_MONOTONIC) > deadline)
                        return -ETIMEDOUT;
                nanosleep(&ts, NULL);
        }
}

/* Unprivileged ICMP echo (ping) for the job's group, in the job's network
 * namespace only: /proc/sys/net is the opener's namespace's. */
static int ping_group_range_set(gid_t gid) {
        _cleanup_close_ int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        char text[32];
        int n;

        if (fd < 0)
                return -errno;
        n = snprintf(text, sizeof text, "%u %u\n", (unsigned) gid, (unsigned) gid);
        return write_all(fd, text, (size_t) n);
}

#define STAGE(s) do { *ret_stage = (s); } while (0)

int network_setup(const ShimSpec *spec, const NetworkHost *host, const char **ret_stage) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *job_rtnl = NULL;
        _cleanup_close_ int job_netns = -EBADF;
        const ShimNetwork *n = spec->network;
        int r, index;

        if (!n)
                return 0;

        /* We are in the job's network namespace now; host->rtnl is the host's. */
        job_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (job_netns < 0) {
                STAGE("open the job's network namespace");
                return log_error_errno(errno, "Failed to open the job's network namespace: %m");
        }
        r = rtnl_open(&job_rtnl);
        if (r < 0) {
                STAGE("open an rtnetlink socket in the job's network namespace");
                return log_error_errno(r, "Failed to open an rtnetlink socket in the job's namespace: %m");
        }

        r = veth_create(spec, host, job_netns);
        if (r < 0) {
                STAGE("create the job's veth pair");
                return log_error_errno(r, "Failed to create veth %s on bridge %s: %m", n->host_interface, n->bridge);
        }
        index = (int) if_nametoindex(JOB_INTERFACE);
        if (index == 0) {
                STAGE("find the job's network interface");
                return log_error_errno(errno, "Failed to find %s in the job's namespace: %m", JOB_INTERFACE);
        }
        r = link_no_ipv6_autoconf(job_rtnl, index, NULL);
        if (r >= 0)
                r = link_no_ipv6_autoconf(host->rtnl, 0, n->host_interface);
        if (r < 0) {
                STAGE("turn off IPv6 autoconfiguration on the job's veth");
                return log_error_errno(r, "Failed to turn off IPv6 autoconfiguration on the job's veth: %m");
        }
        r = address_add(job_rtnl, index, n);
        if (r < 0) {
                STAGE("add the job's address");
                return log_error_errno(r, "Failed to add the job's address: %m");
        }
        /* The job's end first, then the host's: the veth has its carrier as
         * the host end comes up, and the bridge forwards on it at once. */
        r = link_up(job_rtnl, index, NULL);
        if (r < 0) {
                STAGE("bring up the job's network interface");
                return log_error_errno(r, "Failed to bring up %s: %m", JOB_INTERFACE);
        }
        r = default_route_add(job_rtnl, index, n->gateway);
        if (r < 0) {
                STAGE("add the job's default route");
                return log_error_errno(r, "Failed to add the job's default route: %m");
        }
        r = link_up(host->rtnl, 0, n->host_interface);
        if (r < 0) {
                STAGE("bring up the host end of the job's veth");
                return log_error_errno(r, "Failed to bring up %s: %m", n->host_interface);
        }
        r = wait_for_carrier(job_rtnl, index);
        if (r < 0) {
                STAGE("wait for the carrier of the job's network interface");
                return log_error_errno(r, "Failed to see the carrier of %s: %m", JOB_INTERFACE);
        }
        r = ping_group_range_set(spec->gid);
        if (r < 0) {
                STAGE("allow unprivileged ping in the job's network namespace");
                return log_error_errno(r, "Failed to set net.ipv4.ping_group_range: %m");
        }
        return 0;
}

void network_teardown(const ShimSpec *spec, const NetworkHost *host) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh;
        int r;

        if (!spec->network || !host->rtnl)
                return;
        nlh = link_request(buf, RTM_DELLINK, 0, 0, NULL);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, spec->network->host_interface);
        r = rtnl_call(host->rtnl, nlh);
        if (r < 0 && r != -ENODEV)
                log_error_errno(r, "Failed to delete %s: %m", spec->network->host_interface);
}
