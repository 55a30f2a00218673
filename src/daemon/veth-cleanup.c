/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Leftover veths (veth-cleanup.h): one entry per job whose veth is still on
 * the host, one child at a time per entry, a retry timer for the failed. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lease.h"
#include "log.h"
#include "manager.h"
#include "net-address.h"
#include "network-config.h"
#include "parse-util.h"
#include "rtnl-util.h"
#include "veth-cleanup.h"

/* The child's exit statuses; CHILD_ERRNO + errno for a failed rtnetlink
 * call. The child does not log: the journal socket libsystemd caches is
 * closed in it, and its number may be the netlink socket's by then. */
enum {
        CHILD_REMOVED = 0,
        CHILD_GONE = 1,         /* no such interface (any more) */
        CHILD_NOT_VETH = 2,     /* an interface of that name, but no veth: left alone */
        CHILD_FAILED = 3,       /* before any rtnetlink call */
        CHILD_ERRNO = 10,
};

static _noreturn_ void child_exit_errno(int r) {
        _exit(-r > 0 && -r <= 255 - CHILD_ERRNO ? CHILD_ERRNO - r : CHILD_FAILED);
}

typedef struct VethCleanup {
        Manager *manager;
        char *network;
        uint32_t address;
        char job_id[JOB_ID_LENGTH + 1];
        char ifname[NETWORK_IFNAME_MAX + 1];
        pid_t pid;                      /* the child, 0 while waiting for a retry */
        sd_event_source *child_source, *timer;
        struct VethCleanup *next;
} VethCleanup;

static void cleanup_free(VethCleanup *c) {
        Manager *m = c->manager;

        for (VethCleanup **p = &m->veth_cleanups; *p; p = &(*p)->next)
                if (*p == c) {
                        *p = c->next;
                        break;
                }
        /* A child still running dies with us (PR_SET_PDEATHSIG); its lease
         * stays, for the next start-up. */
        sd_event_source_disable_unref(c->child_source);
        sd_event_source_disable_unref(c->timer);
        free(c->network);
        free(c);
}

static void lease_free(const char *network, uint32_t address, const char *job_id) {
        char a[NET_ADDRESS_STRING_MAX];
        int r = lease_release(LEASE_DIR, network, address, job_id);

        if (r < 0 && r != -ENOENT)
                log_warning_errno(r, "Failed to give back address %s of job %s: %m", net_address_format(address, a),
                                  job_id);
}

/* The child: a copy of the daemon with nothing of it but stdin, stdout
 * and stderr, dying with it. */
static _noreturn_ void child_run(const char *ifname, pid_t parent) {
        _cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
        LinkInfo l;
        int r;

        if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
            getppid() != parent)
                _exit(CHILD_FAILED);
        r = rtnl_open(NETLINK_ROUTE, &nl);
        if (r < 0)
                child_exit_errno(r);
        r = link_get(nl, 0, ifname, &l);
        if (r == -ENODEV)
                _exit(CHILD_GONE);
        if (r < 0)
                child_exit_errno(r);
        if (strcmp(l.kind, "veth") != 0)
                _exit(CHILD_NOT_VETH);
        /* By index: exactly the veth looked at. */
        r = link_delete(nl, l.index);
        if (r == -ENODEV)
                _exit(CHILD_GONE);
        if (r < 0)
                child_exit_errno(r);
        _exit(CHILD_REMOVED);
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata);

static void cleanup_retry_later(VethCleanup *c) {
        char a[NET_ADDRESS_STRING_MAX];
        int r;

        c->timer = sd_event_source_disable_unref(c->timer);
        r = sd_event_add_time_relative(c->manager->event, &c->timer, CLOCK_MONOTONIC, VETH_CLEANUP_RETRY_USEC, 0,
                                       on_retry, c);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the retry of removing %s: %m", c->ifname);
        log_warning("Could not remove %s, left behind by job %s; address %s stays taken, trying again in %llu s.",
                    c->ifname, c->job_id, net_address_format(c->address, a),
                    (unsigned long long) (VETH_CLEANUP_RETRY_USEC / USEC_PER_SEC));
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        VethCleanup *c = userdata;
        int status = si->si_code == CLD_EXITED ? si->si_status : CHILD_FAILED;

        c->child_source = sd_event_source_disable_unref(c->child_source);
        c->timer = sd_event_source_disable_unref(c->timer);
        c->pid = 0;
        switch (status) {
        case CHILD_REMOVED:
                log_info("Removed %s, left behind by job %s.", c->ifname, c->job_id);
                break;
        case CHILD_GONE:
                log_debug("%s of job %s went by itself.", c->ifname, c->job_id);
                break;
        case CHILD_NOT_VETH:
                log_warning("%s is not a veth: not job %s's, left alone.", c->ifname, c->job_id);
                break;
        default:
                if (si->si_code != CLD_EXITED)
                        log_warning("The removal of %s (job %s) was killed by signal %d.", c->ifname, c->job_id,
                                    si->si_status);
                else if (status >= CHILD_ERRNO)
                        log_warning_errno(status - CHILD_ERRNO, "Failed to remove %s (job %s): %m", c->ifname,
                                          c->job_id);
                cleanup_retry_later(c);
                return 0;
        }
        lease_free(c->network, c->address, c->job_id);
        cleanup_free(c);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        VethCleanup *c = userdata;
        int r;

        log_warning("Removing %s (job %s) took more than %llu s, killing it.", c->ifname, c->job_id,
                    (unsigned long long) (VETH_CLEANUP_TIMEOUT_USEC / USEC_PER_SEC));
        c->timer = sd_event_source_disable_unref(c->timer);
        /* Still watched: its exit (as a failure) arms the retry. */
        r = sd_event_source_send_child_signal(c->child_source, SIGKILL, NULL, 0);
        if (r < 0)
                log_warning_errno(r, "Failed to kill the removal of %s: %m", c->ifname);
        return 0;
}

static int cleanup_spawn(VethCleanup *c) {
        pid_t parent = getpid(), pid;
        int r;

        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork the removal of %s: %m", c->ifname);
        if (pid == 0)
                child_run(c->ifname, parent);
        c->pid = pid;
        r = sd_event_add_child(c->manager->event, &c->child_source, pid, WEXITED, on_child_exit, c);
        if (r < 0) {
                /* Not watched: only this wait reaps it, and killed it goes
                 * at once (it holds nothing). */
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                c->pid = 0;
                return log_error_errno(r, "Failed to watch the removal of %s: %m", c->ifname);
        }
        r = sd_event_add_time_relative(c->manager->event, &c->timer, CLOCK_MONOTONIC, VETH_CLEANUP_TIMEOUT_USEC, 0,
                                       on_timeout, c);
        if (r < 0)
                log_warning_errno(r, "Failed to arm the deadline of removing %s: %m", c->ifname);
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        VethCleanup *c = userdata;

        c->timer = sd_event_source_disable_unref(c->timer);
        if (if_nametoindex(c->ifname) == 0 && (errno == ENODEV || errno == ENXIO)) {
                lease_free(c->network, c->address, c->job_id);
                cleanup_free(c);
                return 0;
        }
        if (cleanup_spawn(c) < 0)
                cleanup_retry_later(c);
        return 0;
}

void veth_cleanup_release(Manager *m, const char *network, uint32_t address, const char *job_id) {
        char ifname[NETWORK_IFNAME_MAX + 1];
        VethCleanup *c;

        assert(m);
        assert(network);
        assert(job_id);

        /* An ioctl on a socket: no rtnl_lock. The veth normally went with
         * the job's network namespace; a name we cannot even look up
         * (ENOMEM, EMFILE) is treated as still there. */
        if (network_host_interface_name(job_id, ifname) < 0 ||
            (if_nametoindex(ifname) == 0 && (errno == ENODEV || errno == ENXIO))) {
                lease_free(network, address, job_id);
                return;
        }
        for (c = m->veth_cleanups; c; c = c->next)
                if (strcmp(c->job_id, job_id) == 0)
                        return;        /* under way */

        c = calloc(1, sizeof(VethCleanup));
        if (!c || !(c->network = strdup(network))) {
                free(c);
                log_error("Out of memory: %s of job %s stays, and its lease too, until the next start-up.", ifname,
                          job_id);
                return;
        }
        c->manager = m;
        c->address = address;
        snprintf(c->job_id, sizeof c->job_id, "%s", job_id);
        snprintf(c->ifname, sizeof c->ifname, "%s", ifname);
        c->next = m->veth_cleanups;
        m->veth_cleanups = c;
        log_debug("%s of job %s is still there (its network namespace is held), removing it.", ifname, job_id);
        if (cleanup_spawn(c) < 0)
                cleanup_retry_later(c);
}

unsigned veth_cleanup_pending(Manager *m) {
        unsigned n = 0;

        for (VethCleanup *c = m->veth_cleanups; c; c = c->next)
                n++;
        return n;
}

void veth_cleanup_free_all(Manager *m) {
        while (m->veth_cleanups)
                cleanup_free(m->veth_cleanups);
}
