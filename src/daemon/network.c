/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bridged networking, the daemon's side (network.h). No rtnetlink here:
 * the kernel may keep such a call waiting (rtnl_lock), and nothing a client
 * triggers may block the event loop. The shim makes the bridge and the
 * veth; a veth left behind is veth-cleanup.c's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
#include "veth-cleanup.h"

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
        const Network *n;
        char a[NET_ADDRESS_STRING_MAX], holder[JOB_ID_LENGTH + 1] = "", ifname[NETWORK_IFNAME_MAX + 1];
        uint32_t address = j->address;
        int r;

        if (!j->network)
                return 0;
        /* Again: the configuration may have been reloaded meanwhile. */
        r = network_check_request(m, j->network, j->address, j->address_prefix, error);
        if (r < 0)
                return r;
        n = network_list_find(&m->networks, j->network);
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
        if (!j->network || !j->address)
                return;
        veth_cleanup_release(j->manager, j->network, j->address, j->id);
}

static int recover_lease(const char *network, uint32_t address, const char *job_id, uid_t uid, void *userdata) {
        Manager *m = userdata;
        Job *j = manager_find_job(m, job_id);
        char a[NET_ADDRESS_STRING_MAX];

        if (j && job_is_active(j) && j->network && strcmp(j->network, network) == 0 && j->address == address)
                return 0;
        log_info("Giving back address %s on network %s: job %s is %s.", net_address_format(address, a), network,
                 job_id, j ? "over" : "gone");
        /* Kept until its veth is gone, if one was left behind. */
        veth_cleanup_release(m, network, address, job_id);
        return 0;
}

void network_recover_leases(Manager *m) {
        int r = lease_foreach(LEASE_DIR, recover_lease, m);
        if (r < 0)
                log_warning_errno(r, "Failed to look at the address leases in " LEASE_DIR ": %m");
}
