/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the shim's files offer each other. On failure the setup steps return
 * a negative errno and name what failed in *ret_stage, phrased to follow
 * "Failed to ", so init can report it as the job's start failure. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "shim-args.h"

/* sandbox.c */
int sandbox_unshare(const char **ret_stage);
int sandbox_setup(const char *hostname, const char **ret_stage);

/* privileges.c */
int privileges_drop(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups, const char **ret_stage);

/* init.c: the shim blocks the signals init will forward before forking it,
 * so none sent to init during its set-up is lost. */
int init_block_signals(void);
/* close_range(first, last), with a fallback for kernels before 5.9. */
int close_fds_from(unsigned first, unsigned last);
/* init.c: runs as PID 1 of the new namespaces; sends one JobInitRecord over
 * status_fd and exits. */
_noreturn_ void init_main(const ShimArgs *args, int status_fd);

/* accounting.c */
int cgroup_open_own(void);
void cgroup_read_accounting(int cgroup_fd, uint64_t *ret_cpu_usec, uint64_t *ret_memory_peak);
/* Pure parsers, unit tested. */
int cgroup_path_from_proc_self_cgroup(const char *text, char **ret);
int cpu_stat_usage_usec(const char *text, uint64_t *ret);
int memory_peak_parse(const char *text, uint64_t *ret);
