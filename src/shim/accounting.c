/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The shim's own cgroup (the job's scope): init moved into it after the
 * go, and the job's resource usage read from it once the job has ended. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "parse-util.h"
#include "shim.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* The cgroup v2 line of /proc/self/cgroup is "0::/path". */
int cgroup_path_from_proc_self_cgroup(const char *text, char **ret) {
        for (const char *line = text; line && *line;) {
                const char *end = strchrnul(line, '\n');
                if (strncmp(line, "0::/", 4) == 0) {
                        char *p = strndup(line + 3, (size_t) (end - line - 3));
                        if (!p)
                                return -ENOMEM;
                        *ret = p;
                        return 0;
                }
                line = *end ? end + 1 : NULL;
        }
        return -ENOENT;
}

/* A number that makes up the rest of the line (the files end in '\n'). */
static int parse_u64_line(const char *s, uint64_t *ret) {
        _cleanup_free_ char *number = strndup(s, (size_t) (strchrnul(s, '\n') - s));

        if (!number)
                return -ENOMEM;
        return parse_uint64(number, ret);
}

int cpu_stat_usage_usec(const char *text, uint64_t *ret) {
        for (const char *line = text; line && *line;) {
                if (strncmp(line, "usage_usec ", 11) == 0)
                        return parse_u64_line(line + 11, ret);
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        return -ENOENT;
}

int memory_peak_parse(const char *text, uint64_t *ret) {
        return parse_u64_line(text, ret);
}

static int read_small_file_at(int dir_fd, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

        if (fd < 0)
                return -errno;
        ssize_t len = read_full(fd, buf, size - 1);
        if (len < 0)
                return (int) len;
        buf[len] = 0;
        return 0;
}

int cgroup_open_own(void) {
        _cleanup_free_ char *path = NULL, *full = NULL;
        char buf[4096];
        int r, fd;

        r = read_small_file_at(AT_FDCWD, "/proc/self/cgroup", buf, sizeof buf);
        if (r < 0)
                return log_debug_errno(r, "Failed to read /proc/self/cgroup: %m");
        r = cgroup_path_from_proc_self_cgroup(buf, &path);
        if (r < 0)
                return log_debug_errno(r, "No cgroup v2 entry in /proc/self/cgroup.");
        if (asprintf(&full, CGROUP_ROOT "%s", path) < 0)
                return -ENOMEM;
        fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_debug_errno(errno, "Failed to open %s: %m", full);
        return fd;
}

void cgroup_read_accounting(int cgroup_fd, uint64_t *ret_cpu_usec, uint64_t *ret_memory_peak) {
        char buf[1024];

        *ret_cpu_usec = *ret_memory_peak = UINT64_MAX;
        if (cgroup_fd < 0)
                return;
        if (read_small_file_at(cgroup_fd, "cpu.stat", buf, sizeof buf) >= 0)
                (void) cpu_stat_usage_usec(buf, ret_cpu_usec);
        if (read_small_file_at(cgroup_fd, "memory.peak", buf, sizeof buf) >= 0)
                (void) memory_peak_parse(buf, ret_memory_peak);
}

int cgroup_attach(int cgroup_fd, pid_t pid) {
        _cleanup_close_ int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%d\n", (int) pid);

        if (fd < 0)
                return -errno;
        if (write(fd, buf, (size_t) n) != n)
                return -errno;
        return 0;
}
