/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the shim's files offer each other. On failure the setup steps return
 * a negative errno and name what failed in *ret_stage, phrased to follow
 * "Failed to ", so init can report it as the job's start failure. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"
#include "shim-spec.h"

/* sandbox.c */
/* The job's PID, network, IPC and UTS namespaces, in the shim before the
 * go: none of them depends on the cgroup we are in. */
int sandbox_unshare(const char **ret_stage);
/* In init before the go: its mount namespace (the shim stays in the
 * host's) and mounts (/proc, /sys where the job or a bind's source can see
 * it, a private /dev/shm, /run/user hidden unless
 * spec->user_runtime_directory), the hostname (the job id) and lo. */
int sandbox_setup(const ShimSpec *spec, const char **ret_stage);
/* In init once it is in the scope: the cgroup namespace (rooted at the
 * scope) and, where /sys is, the job's cgroup as /sys/fs/cgroup. */
int sandbox_enter_cgroup(const ShimSpec *spec, const char **ret_stage);
bool sandbox_wants_sys(const ShimSpec *spec);

/* network.c: a bridged job's veth (spec->network; nothing without one).
 * network_open_host() runs before the namespaces are made, before the go (the socket and
 * the bridge are the host's; it makes sure of the bridge, bridge.c); network_setup() after, before init; the
 * teardown once the job is over. */
struct mnl_socket;
typedef struct NetworkHost {
        struct mnl_socket *rtnl;        /* in the host's network namespace */
        unsigned bridge_index;
} NetworkHost;
int network_open_host(const ShimSpec *spec, NetworkHost *ret, const char **ret_stage);
void network_host_done(NetworkHost *h);
int network_setup(const ShimSpec *spec, const NetworkHost *host, const char **ret_stage);
void network_teardown(const ShimSpec *spec, const NetworkHost *host);

/* bridge.c: the bridge of n, made and set up if missing or half made (ours:
 * its MAC derived from the gateway), an admin's used as it is; refused
 * (-EMEDIUMTYPE) if an interface of its name is no bridge. Returns its
 * index. In the host's network namespace, as root. */
int bridge_ensure(struct mnl_socket *nl, const ShimNetwork *n, const char **ret_stage);

/* root.c: the job's own root (spec->root_directory, with the host system
 * directories if spec->host_system), binds and a private /tmp, built after
 * sandbox_setup() and before the drop; every path the caller names is
 * opened as the caller and mounted by fd. Ends with pivot_root when there
 * is a root. */
int root_setup(const ShimSpec *spec, const char **ret_stage);

/* privileges.c */
/* Before the drop: the audit login uid, so audit and logind attribute the
 * job to its owner. */
int privileges_set_loginuid(uid_t uid, const char **ret_stage);
int privileges_drop(uid_t uid, gid_t gid, const gid_t *groups, size_t n_groups, const char **ret_stage);
/* After the drop: a session keyring of the job's own, with the user keyring
 * linked in, instead of the daemon's, which every job would share. */
int privileges_join_session_keyring(const char **ret_stage);

/* init.c: the shim blocks the signals init will forward before forking it,
 * so none sent to init during its set-up is lost. */
void init_forward_early_signals(pid_t init_pid);
/* close_range(first, last), with a fallback for kernels before 5.9. */
int close_fds_from(unsigned first, unsigned last);
/* init.c: runs as PID 1 of the new namespaces; sends one JobInitRecord over
 * status_fd and exits. Forked before the go, outside the scope: it sets up
 * what needs no scope, then waits for one byte on release_fd (the shim's
 * word that init is in the scope; EOF: exit without a record, the shim
 * tells why) before anything of the job runs. */
_noreturn_ void init_main(const ShimSpec *spec, int status_fd, int release_fd, int terminal_listen_fd);

/* pty.c: a terminal job's pty (spec->terminal). Before the drop, without a
 * root of the job's own (root.c's /dev has its devpts): a devpts instance of
 * the job's own over /dev/pts and /dev/ptmx. */
int pty_mount_devpts(const char **ret_stage);
/* In the shim, before unsharing: the socket init accepts clients on, bound
 * at path (root's alone), non-blocking. Returns the fd or -errno. */
int pty_listen(const char *path);
/* After the drop: the master (non-blocking) and the slave, the caller's. */
int pty_open(int *ret_master, int *ret_slave, const char **ret_stage);
/* For SHIM_TERMINAL_WAIT: the first client, or 0 with *ret_signal set when
 * a stop came first, or -ETIMEDOUT. */
int pty_wait_for_client(int listen_fd, int signal_fd, int *ret_client, int *ret_signal);
/* Instead of supervise(): relays between the master, the journal stream
 * (stdout) and one client at a time, forwards signals and reaps, until the
 * command has exited and its output is drained; returns its wait status,
 * or -1. */
int pty_relay(int master, int listen_fd, int client, int signal_fd, pid_t command_pid);
/* Lets go of the job's stdin (the caller's fd, StartJob's Stdin): fd 0
 * becomes /dev/null. For the shim once init has it, and for init once the
 * command has it. */
void stdin_release(void);

/* output.c: the relay of the job's stdout and stderr. */
typedef enum ShimStream {
        SHIM_STREAM_STDOUT,
        SHIM_STREAM_STDERR,
        _SHIM_STREAM_MAX,
} ShimStream;

/* Where chunks go. send_chunk may write the 8 bytes before data (the
 * chunker's headroom). Failures are final (retries are the sink's): the
 * chunk's bytes are counted lost and passed to send_end. */
typedef struct OutputSink {
        int (*send_chunk)(void *userdata, ShimStream stream, uint8_t *data, size_t len, uint64_t offset);
        int (*send_end)(void *userdata, uint64_t stdout_bytes, uint64_t stderr_bytes, uint64_t lost_bytes);
        void *userdata;
} OutputSink;

/* The journal sink: the entries of job-output.h. */
typedef struct OutputJournal {
        const char *id;
        char *identifier_field;
        char *command_field;
        char *unit_field;
        char *id_field;
        int notify_fd;          /* told a byte after each entry sent; -1 = nobody */
        /* Set once the end marker went out with nothing lost: every byte
         * of both streams is in the journal (JobStatus.output_bytes). */
        bool complete;
        uint64_t bytes[2];
} OutputJournal;
/* Entries go out as SYSLOG_IDENTIFIER=jobworker-<id>, never under a name
 * the job picks (a command called "sudo" must not write root's "sudo"
 * lines); the command is in JOB_COMMAND. */
/* notify_fd: the daemon's end of the go socket (SHIM_GO_FD), or -1. */
int output_journal_init(OutputJournal *j, const char *id, const char *command, int notify_fd,
                        OutputSink *ret_sink);
void output_journal_done(OutputJournal *j);

/* Relays fds (either may be -1; then no end entry if both are) to sink until
 * init has exited and both are at EOF (or 5 s after init's exit), then sends
 * the end entry. Leaves init's wait status in *ret_wait_status; returns a
 * negative errno if waiting failed. */
int output_relay(const int fds[_SHIM_STREAM_MAX], pid_t init_pid, const OutputSink *sink, int *ret_wait_status);

/* accounting.c */
int cgroup_open_own(void);
/* Moves pid (init, forked before the go) into the cgroup of cgroup_fd. */
int cgroup_attach(int cgroup_fd, pid_t pid);
void cgroup_read_accounting(int cgroup_fd, uint64_t *ret_cpu_usec, uint64_t *ret_memory_peak);
/* Pure parsers, unit tested. */
int cgroup_path_from_proc_self_cgroup(const char *text, char **ret);
int cpu_stat_usage_usec(const char *text, uint64_t *ret);
int memory_peak_parse(const char *text, uint64_t *ret);
