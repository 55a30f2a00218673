/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rtnetlink over libmnl (rtnl-util.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>             /* before the kernel headers: both define IFF_* */
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "rtnl-util.h"

int rtnl_open(int bus, struct mnl_socket **ret) {
        struct mnl_socket *nl = mnl_socket_open2(bus, SOCK_CLOEXEC);

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

void mnl_socket_closep(struct mnl_socket **nl) {
        if (*nl)
                mnl_socket_close(*nl);
        *nl = NULL;
}

int rtnl_call(struct mnl_socket *nl, struct nlmsghdr *nlh, bool dump, mnl_cb_t cb, void *data) {
        static unsigned seq;
        char buf[MNL_SOCKET_BUFFER_SIZE];
        unsigned portid = mnl_socket_get_portid(nl);
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
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                r = mnl_cb_run(buf, (size_t) n, nlh->nlmsg_seq, portid, cb, data);
                if (r < 0)
                        return -errno;
                if (r == MNL_CB_STOP || (cb && !dump))
                        return 0;
        }
}

struct nlmsghdr *link_request(char *buf, uint16_t type, uint16_t flags, int index, const char *name,
                              struct ifinfomsg **ret_ifm) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifinfomsg *ifm;

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
        ifm->ifi_family = AF_UNSPEC;
        ifm->ifi_index = index;
        if (name)
                mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
        if (ret_ifm)
                *ret_ifm = ifm;
        return nlh;
}

typedef struct LinkAnswer {
        bool found;
        LinkInfo *info;
} LinkAnswer;

static int linkinfo_cb(const struct nlattr *a, void *data) {
        LinkInfo *l = data;
        if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
                snprintf(l->kind, sizeof l->kind, "%s", mnl_attr_get_str(a));
        return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *a, void *data) {
        LinkInfo *l = data;

        switch (mnl_attr_get_type(a)) {
        case IFLA_LINKINFO:
                if (mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
                        mnl_attr_parse_nested(a, linkinfo_cb, data);
                break;
        case IFLA_MTU:
                if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
                        l->mtu = mnl_attr_get_u32(a);
                break;
        case IFLA_ADDRESS:
                if (mnl_attr_get_payload_len(a) == sizeof l->mac) {
                        memcpy(l->mac, mnl_attr_get_payload(a), sizeof l->mac);
                        l->has_mac = true;
                }
                break;
        }
        return MNL_CB_OK;
}

static int link_cb(const struct nlmsghdr *nlh, void *data) {
        LinkAnswer *answer = data;
        const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

        if (nlh->nlmsg_type != RTM_NEWLINK)
                return MNL_CB_OK;
        answer->found = true;
        answer->info->index = ifm->ifi_index;
        answer->info->flags = ifm->ifi_flags;
        mnl_attr_parse(nlh, sizeof *ifm, link_attr_cb, answer->info);
        return MNL_CB_OK;
}

int link_get(struct mnl_socket *nl, int index, const char *name, LinkInfo *ret) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        LinkAnswer answer = { .info = ret };
        int r;

        *ret = (LinkInfo) {};
        r = rtnl_call(nl, link_request(buf, RTM_GETLINK, 0, index, name, NULL), false, link_cb, &answer);
        if (r < 0)
                return r;
        return answer.found ? 0 : -ENODEV;
}

int link_delete(struct mnl_socket *nl, int index) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        return rtnl_call(nl, link_request(buf, RTM_DELLINK, 0, index, NULL, NULL), false, NULL, NULL);
}

int link_up(struct mnl_socket *nl, int index, const char *name, uint32_t mtu) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct ifinfomsg *ifm;
        struct nlmsghdr *nlh = link_request(buf, RTM_NEWLINK, 0, index, name, &ifm);

        ifm->ifi_flags = IFF_UP;
        ifm->ifi_change = IFF_UP;
        if (mtu > 0)
                mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
        return rtnl_call(nl, nlh, false, NULL, NULL);
}

int link_no_ipv6_autoconf(struct mnl_socket *nl, int index, const char *name) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = link_request(buf, RTM_NEWLINK, 0, index, name, NULL);
        struct nlattr *spec, *inet6;
        int r;

        spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
        inet6 = mnl_attr_nest_start(nlh, AF_INET6);
        mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
        mnl_attr_nest_end(nlh, inet6);
        mnl_attr_nest_end(nlh, spec);
        r = rtnl_call(nl, nlh, false, NULL, NULL);
        if (r == -EAFNOSUPPORT || r == -EOPNOTSUPP)
                return 0;
        return r;
}

int address_add(struct mnl_socket *nl, int index, uint32_t address, unsigned prefix) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        struct ifaddrmsg *ifa;
        NetSubnet subnet = { .network = address & net_prefix_mask(prefix), .prefix = prefix };

        nlh->nlmsg_type = RTM_NEWADDR;
        nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
        ifa = mnl_nlmsg_put_extra_header(nlh, sizeof *ifa);
        ifa->ifa_family = AF_INET;
        ifa->ifa_prefixlen = (uint8_t) prefix;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        ifa->ifa_index = (unsigned) index;
        mnl_attr_put_u32(nlh, IFA_LOCAL, htonl(address));
        mnl_attr_put_u32(nlh, IFA_ADDRESS, htonl(address));
        mnl_attr_put_u32(nlh, IFA_BROADCAST, htonl(net_subnet_broadcast(&subnet)));
        return rtnl_call(nl, nlh, false, NULL, NULL);
}

void mac_for_address(uint32_t address, uint8_t kind, uint8_t mac[static 6]) {
        mac[0] = 0x02;
        mac[1] = kind;
        mac[2] = (uint8_t) (address >> 24);
        mac[3] = (uint8_t) (address >> 16);
        mac[4] = (uint8_t) (address >> 8);
        mac[5] = (uint8_t) address;
}
