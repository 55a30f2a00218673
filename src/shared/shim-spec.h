/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job spec the daemon hands the shim (on a sealed memfd, never in argv,
 * where every local user would read it): its wire format, encoded and
 * decoded strictly by pure functions.
 *
 * The wire format is a sequence of records "KEY=VALUE\0"; keys are upper
 * case, values any bytes but NUL (argv and environment entries cannot hold
 * one). The first record is the version, "JOBWORKER_SHIM_SPEC=1"; then
 *   ID=<12 lowercase hex>          required, once
 *   UID=<decimal>, GID=<decimal>   required, once each; not 4294967295
 *   GROUP=<decimal>                supplementary groups, in order, any number
 *   WORKDIR=/abs, STATUS=/abs      required, once each
 *   OUTPUT=journal|inherit         optional (journal), once
 *   USER_RUNTIME_DIRECTORY=yes|no  optional (no), once
 *   ROOT=/abs                      optional (none: the host's root), once
 *   HOST_SYSTEM=yes|no             optional (no), once; only with ROOT
 *   PRIVATE_TMP=yes|no             optional (no), once
 *   BIND=ro|rw:LEN:SOURCEDEST      a bind mount, in order, at most
 *                                  SHIM_SPEC_BINDS_MAX: LEN (canonical
 *                                  decimal) bytes of absolute SOURCE, then
 *                                  the absolute DEST (paths hold any byte
 *                                  but NUL, ':' too, hence the length)
 *   TERMINAL=wait|now              optional (none), once: the job's stdio is a
 *                                  pty of its own, proxied by init through
 *                                  TERMINAL_SOCKET; "wait": the command
 *                                  starts once a client has attached
 *   TERMINAL_SOCKET=/abs           required with TERMINAL and only with it, once
 *   NETWORK=BRIDGE HOSTIF ADDR/PREFIX GATEWAY MTU
 *                                  optional (none: loopback only), once:
 *                                  a veth pair, HOSTIF on BRIDGE, eth0 in
 *                                  the job with ADDR (net-address.h forms);
 *                                  the shim makes BRIDGE first if missing,
 *                                  with GATEWAY/PREFIX and MTU
 *   ENV=NAME=VALUE                 the environment, in order, any number
 *   ARGV=ARG                       the command, in order, at least one; the
 *                                  first is not empty
 * Anything else (unknown keys, repeats, a missing NUL at the end, an empty
 * record, leading zeros, relative paths) is refused. */
#pragma once

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "net-address.h"

/* The fds the daemon starts the shim with: the go pipe's read end, and the
 * spec's memfd. argv holds nothing but the public job id. */
#define SHIM_GO_FD 3
#define SHIM_SPEC_FD 4
/* The bytes on the go socket (a stream): the daemon sends GO once the scope
 * holds the shim; the shim sends SENT after each entry it gave the journal,
 * and STATUS once its status file is written (the job is over: init and
 * with it every process of the job's PID namespace are gone), before it
 * exits. */
#define SHIM_BYTE_GO 'G'
#define SHIM_BYTE_SENT 'O'
#define SHIM_BYTE_STATUS 'F'

/* The signals a stop or a user may send to a job, which the job's init
 * hands on to the command. The shim is spawned with them blocked and keeps
 * them blocked (never ignored: that would drop a pending one), so one sent
 * to the scope before init is in it waits in the shim until it is passed
 * on. */
static inline void shim_forwarded_signals(sigset_t *ret) {
        sigemptyset(ret);
        sigaddset(ret, SIGTERM);
        sigaddset(ret, SIGINT);
        sigaddset(ret, SIGHUP);
        sigaddset(ret, SIGQUIT);
        sigaddset(ret, SIGUSR1);
        sigaddset(ret, SIGUSR2);
}

#define SHIM_SPEC_VERSION_RECORD "JOBWORKER_SHIM_SPEC=1"
/* The daemon caps argv + environment at 2 MiB and 65536 entries each; this
 * leaves room for the keys and everything else. */
#define SHIM_SPEC_SIZE_MAX (8U * 1024 * 1024)
#define SHIM_SPEC_GROUPS_MAX 65536U     /* NGROUPS_MAX of the kernel */
#define SHIM_SPEC_BINDS_MAX 64U

/* One bind mount of a host path into the job's view. */
typedef struct ShimBind {
        const char *source;             /* absolute, opened as the caller */
        const char *destination;        /* absolute; inside the root if there is one */
        bool read_only;                 /* recursively */
} ShimBind;

/* Bridged networking: what the shim wires before the command runs. */
typedef struct ShimNetwork {
        char bridge[NET_IFNAME_MAX + 1];          /* made by the shim if missing (shim/bridge.c) */
        char host_interface[NET_IFNAME_MAX + 1];  /* the veth's host end, on the bridge */
        uint32_t address;                         /* eth0's, host byte order */
        unsigned prefix;                          /* NET_SUBNET_PREFIX_MIN..MAX */
        uint32_t gateway;                         /* the default route's; a bridge made gets it */
        uint32_t mtu;                             /* 68..65535; the veth's, and a bridge made's */
} ShimNetwork;

typedef enum ShimOutput {
        SHIM_OUTPUT_JOURNAL,
        SHIM_OUTPUT_INHERIT,
} ShimOutput;

typedef enum ShimTerminal {
        SHIM_TERMINAL_NONE,
        SHIM_TERMINAL_WAIT,             /* run -t: start the command once a client attached */
        SHIM_TERMINAL_NOW,              /* start -t: start it right away */
} ShimTerminal;

typedef struct ShimSpec {
        const char *id;                 /* 12 lowercase hex characters */
        uid_t uid;
        gid_t gid;
        const gid_t *groups;            /* supplementary groups */
        size_t n_groups;
        const char *workdir;            /* absolute */
        const char *status_path;        /* absolute */
        ShimOutput output;
        bool user_runtime_directory;    /* show the job /run/user/<uid> */
        const char *root_directory;     /* absolute, the job's / ; NULL = the host's */
        bool host_system;               /* the host's /usr, /etc... read-only in the root */
        bool private_tmp;               /* an empty tmpfs on /tmp and /var/tmp */
        const ShimBind *binds;
        size_t n_binds;
        ShimTerminal terminal;
        const char *terminal_socket;    /* absolute, where the shim listens; with terminal only */
        const ShimNetwork *network;     /* NULL = loopback only */
        char **env;                     /* NULL-terminated NAME=VALUE; NULL = none */
        char **command;                 /* NULL-terminated, at least one entry */

        void *storage;                  /* decoded specs: the one allocation all the above point into */
} ShimSpec;

/* Encodes s into a newly allocated buffer (*ret, *ret_size bytes, the last
 * one NUL). Refuses with -EINVAL what shim_spec_decode() would refuse, so
 * what it writes always decodes to the same spec; -E2BIG above
 * SHIM_SPEC_SIZE_MAX; -ENOMEM. */
int shim_spec_encode(const ShimSpec *s, char **ret, size_t *ret_size);

/* Decodes size bytes of data into *ret, which then owns a copy (free it with
 * shim_spec_done()); data may go right after. Returns -EINVAL on anything
 * malformed (with *ret_error, if not NULL, set to a static phrase naming the
 * problem), -E2BIG above SHIM_SPEC_SIZE_MAX, or -ENOMEM. */
int shim_spec_decode(const char *data, size_t size, ShimSpec *ret, const char **ret_error);

/* Frees what shim_spec_decode() allocated and resets s; harmless on a
 * zeroed spec. Not for specs built by hand (they own nothing). */
void shim_spec_done(ShimSpec *s);
