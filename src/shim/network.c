/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A bridged job's network, wired by the shim over rtnetlink (libmnl) while
 * it is still root, before the command runs: a veth pair whose host end
 * joins the bridge and whose other end is the job's eth0, with its address,
 * MTU, default route, no IPv6 autoconfiguration, and unprivileged ping for
 * the job's group. The host end is deleted again when the job is over: a
 * network namespace kept alive by some process must not keep the job's
 * address on the bridge after its lease is gone (if the shim is killed, the
 * daemon removes it: veth-cleanup.c). The bridge is bridge.c's. */
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
#include "rtnl-util.h"
#include "shim.h"
#include "time-util.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000    /* linux/if.h's, which clashes with net/if.h */
#endif

#define JOB_INTERFACE "eth0"
/* How long the job's eth0 may take to report its carrier. The veth reports
 * it at once when both ends are up; this only bounds a kernel that does not. */
#define CARRIER_WAIT_USEC (3 * USEC_PER_SEC)

int network_open_host(const ShimSpec *spec, NetworkHost *ret, const char **ret_stage) {
        int r;

        *ret = (NetworkHost) {};
        if (!spec->network)
                return 0;
        r = rtnl_open(NETLINK_ROUTE, &ret->rtnl);
        if (r < 0) {
                *ret_stage = "open an rtnetlink socket";
                return log_error_errno(r, "Failed to open an rtnetlink socket: %m");
        }
        r = bridge_ensure(ret->rtnl, spec->network, ret_stage);
        if (r < 0)
                return r;
        ret->bridge_index = (unsigned) r;
        return 0;
}

void network_host_done(NetworkHost *h) {
        mnl_socket_closep(&h->rtnl);
}

static int veth_create(const ShimSpec *spec, const NetworkHost *host, int job_netns) {
        const ShimNetwork *n = spec->network;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        uint8_t host_mac[6], job_mac[6];
        struct nlattr *linkinfo, *data, *peer;
        struct nlmsghdr *nlh;

        mac_for_address(n->address, RTNL_MAC_HOST, host_mac);
        mac_for_address(n->address, RTNL_MAC_JOB, job_mac);
        nlh = link_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, n->host_interface, NULL);
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
        return rtnl_call(host->rtnl, nlh, false, NULL, NULL);
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
        return rtnl_call(nl, nlh, false, NULL, NULL);
}

/* The command's first packet must find its network ready: wait until the
 * veth reports its carrier (at once, normally: both ends are up). */
static int wait_for_carrier(struct mnl_socket *nl, int index) {
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        uint64_t deadline = now_usec(CLOCK_MONOTONIC) + CARRIER_WAIT_USEC;
        LinkInfo l;
        int r;

        for (;;) {
                r = link_get(nl, index, NULL, &l);
                if (r < 0)
                        return r;
                if (l.flags & IFF_LOWER_UP)
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
        r = rtnl_open(NETLINK_ROUTE, &job_rtnl);
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
        r = address_add(job_rtnl, index, n->address, n->prefix);
        if (r < 0) {
                STAGE("add the job's address");
                return log_error_errno(r, "Failed to add the job's address: %m");
        }
        /* The job's end first, then the host's: the veth has its carrier as
         * the host end comes up, and the bridge forwards on it at once. */
        r = link_up(job_rtnl, index, NULL, 0);
        if (r < 0) {
                STAGE("bring up the job's network interface");
                return log_error_errno(r, "Failed to bring up %s: %m", JOB_INTERFACE);
        }
        r = default_route_add(job_rtnl, index, n->gateway);
        if (r < 0) {
                STAGE("add the job's default route");
                return log_error_errno(r, "Failed to add the job's default route: %m");
        }
        r = link_up(host->rtnl, 0, n->host_interface, 0);
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
        nlh = link_request(buf, RTM_DELLINK, 0, 0, spec->network->host_interface, NULL);
        r = rtnl_call(host->rtnl, nlh, false, NULL, NULL);
        if (r < 0 && r != -ENODEV)
                log_error_errno(r, "Failed to delete %s: %m", spec->network->host_interface);
}
