/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Address leases as files (lease.h). */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd-util.h"
#include "lease.h"
#include "macro.h"
#include "parse-util.h"

static int network_dir_open(const char *dir, const char *network, bool create) {
        _cleanup_close_ int d = -EBADF;
        int fd;

        if (!network || !*network || strchr(network, '/') || network[0] == '.')
                return -EINVAL;
        if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (d < 0)
                return -errno;
        if (create && mkdirat(d, network, 0700) < 0 && errno != EEXIST)
                return -errno;
        fd = openat(d, network, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? -errno : fd;
}

/* "<12 hex> <uid>\n" */
static int lease_parse(const char *text, char job_id[static JOB_ID_LENGTH + 1], uid_t *ret_uid) {
        uint64_t u;
        char uid[16];
        size_t n = strlen(text);

        if (n < JOB_ID_LENGTH + 3 || text[JOB_ID_LENGTH] != ' ' || text[n - 1] != '\n' ||
            n - JOB_ID_LENGTH - 2 >= sizeof uid)
                return -EBADMSG;
        memcpy(job_id, text, JOB_ID_LENGTH);
        job_id[JOB_ID_LENGTH] = 0;
        memcpy(uid, text + JOB_ID_LENGTH + 1, n - JOB_ID_LENGTH - 2);
        uid[n - JOB_ID_LENGTH - 2] = 0;
        if (!job_id_valid(job_id) || parse_uint64(uid, &u) < 0 || u >= UINT32_MAX)
                return -EBADMSG;
        *ret_uid = (uid_t) u;
        return 0;
}

static int lease_read_at(int dfd, const char *name, char job_id[static JOB_ID_LENGTH + 1], uid_t *ret_uid) {
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        char buf[64];
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        return lease_parse(buf, job_id, ret_uid);
}

/* Written whole to a private name first, then linked to the address:
 * link() fails if the address is taken, and never leaves half a lease. */
static int take_at(int dfd, uint32_t address, const char *job_id, uid_t uid, char *ret_holder) {
        char tmp[64], name[NET_ADDRESS_STRING_MAX], text[64];
        _cleanup_close_ int fd = -EBADF;
        int r, n;

        snprintf(tmp, sizeof tmp, ".%s.tmp", job_id);
        n = snprintf(text, sizeof text, "%s %u\n", job_id, (unsigned) uid);
        fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;
        r = write_all(fd, text, (size_t) n);
        if (r >= 0 && close(TAKE_FD(fd)) < 0)
                r = -errno;
        if (r >= 0 && linkat(dfd, tmp, dfd, net_address_format(address, name), 0) < 0)
                r = -errno;
        (void) unlinkat(dfd, tmp, 0);
        if (r == -EEXIST) {
                char holder[JOB_ID_LENGTH + 1];
                uid_t u;
                if (ret_holder && lease_read_at(dfd, name, holder, &u) >= 0)
                        memcpy(ret_holder, holder, sizeof holder);
                else if (ret_holder)
                        ret_holder[0] = 0;
                return -EADDRINUSE;
        }
        return r;
}

int lease_take(const char *dir, const char *network, uint32_t address, const char *job_id, uid_t uid,
               char *ret_holder) {
        _cleanup_close_ int dfd = -EBADF;

        assert(dir);
        if (!job_id || !job_id_valid(job_id) || address == 0)
                return -EINVAL;
        dfd = network_dir_open(dir, network, true);
        if (dfd < 0)
                return dfd;
        return take_at(dfd, address, job_id, uid, ret_holder);
}

int lease_take_any(const char *dir, const char *network, const NetSubnet *subnet, uint32_t gateway,
                   uint64_t hint, const char *job_id, uid_t uid, uint32_t *ret_address) {
        _cleanup_close_ int dfd = -EBADF;
        uint64_t n;

        assert(dir);
        assert(subnet);
        assert(ret_address);
        if (!job_id || !job_id_valid(job_id))
                return -EINVAL;
        dfd = network_dir_open(dir, network, true);
        if (dfd < 0)
                return dfd;
        n = net_subnet_n_hosts(subnet, gateway);
        for (uint64_t i = 0; i < n; i++) {
                uint32_t a = net_subnet_nth_host(subnet, gateway, (hint + i) % n);
                int r = take_at(dfd, a, job_id, uid, NULL);
                if (r == -EADDRINUSE)
                        continue;
                if (r < 0)
                        return r;
                *ret_address = a;
                return 0;
        }
        return -EADDRNOTAVAIL;
}

int lease_release(const char *dir, const char *network, uint32_t address, const char *job_id) {
        _cleanup_close_ int dfd = -EBADF;
        char name[NET_ADDRESS_STRING_MAX], holder[JOB_ID_LENGTH + 1];
        uid_t uid;
        int r;

        assert(dir);
        dfd = network_dir_open(dir, network, false);
        if (dfd == -ENOENT)
                return -ENOENT;
        if (dfd < 0)
                return dfd;
        net_address_format(address, name);
        r = lease_read_at(dfd, name, holder, &uid);
        if (r == -EBADMSG)
                strcpy(holder, job_id);   /* half a lease (a crash): nobody's, gone */
        else if (r < 0)
                return r;
        if (strcmp(holder, job_id) != 0)
                return -EPERM;
        if (unlinkat(dfd, name, 0) < 0)
                return -errno;
        return 0;
}

int lease_foreach(const char *dir, lease_func_t f, void *userdata) {
        _cleanup_close_ int top = -EBADF;
        DIR *d;
        struct dirent *de;
        int r = 0;

        assert(dir);
        assert(f);
        top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (top < 0)
                return errno == ENOENT ? 0 : -errno;
        d = fdopendir(TAKE_FD(top));
        if (!d)
                return -errno;
        while (r >= 0 && (de = readdir(d))) {
                _cleanup_close_ int nfd = -EBADF;
                DIR *nd;
                struct dirent *le;

                if (de->d_name[0] == '.')
                        continue;
                nfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (nfd < 0)
                        continue;
                nd = fdopendir(TAKE_FD(nfd));
                if (!nd)
                        continue;
                while (r >= 0 && (le = readdir(nd))) {
                        char job_id[JOB_ID_LENGTH + 1];
                        uint32_t a;
                        uid_t uid;

                        if (le->d_name[0] == '.') {
                                /* A temporary file of a take that crashed. */
                                if (strcmp(le->d_name, ".") != 0 && strcmp(le->d_name, "..") != 0)
                                        (void) unlinkat(dirfd(nd), le->d_name, 0);
                                continue;
                        }
                        if (net_address_parse(le->d_name, &a) < 0 ||
                            lease_read_at(dirfd(nd), le->d_name, job_id, &uid) < 0) {
                                (void) unlinkat(dirfd(nd), le->d_name, 0);
                                continue;
                        }
                        r = f(de->d_name, a, job_id, uid, userdata);
                }
                closedir(nd);
        }
        closedir(d);
        return r;
}
