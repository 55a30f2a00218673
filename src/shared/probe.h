#pragma once
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static inline void probe(const char *what) {
        struct timespec ts;
        char buf[128];
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int n = snprintf(buf, sizeof buf, "%lld.%06ld %d %s\n", (long long) ts.tv_sec, ts.tv_nsec / 1000, (int) getpid(), what);
        int fd = open("/run/jobworker-probe.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
        if (fd >= 0) { (void) !write(fd, buf, n); close(fd); }
}
