/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworker-shim: started by jobworkerd as "jobworker-shim ID" with the job
 * spec on a sealed memfd (fd 4, shim-spec.h), never in argv where every
 * user would read it; moved into the job's scope, then released through the
 * go pipe (fd 3). While it waits for the go it creates the namespaces and
 * forks init with the job's stdout and stderr on pipes, which sets up the
 * sandbox and waits in turn; after it, it moves init into the scope and
 * releases it, relays the output to the journal (output.c) until the job
 * and its output have ended, and leaves the job's exit status in the status
 * file. It outlives a stop (SIGTERM is ignored) to do so. */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fd-util.h"
#include "time-util.h"
#include "job-status.h"
#include "log.h"
#include "shim.h"

/* fds 0-2 must be open, else our own pipes could land there. */
static int ensure_std_fds(void) {
        for (int fd = 0; fd <= 2; fd++)
                if (fcntl(fd, F_GETFD) < 0) {
                        if (errno != EBADF || open("/dev/null", O_RDWR | O_NOCTTY) != fd)
                                return -EBADF;
                }
        return 0;
}

/* A stop sends SIGTERM to every process of the scope; we must live on to
 * record how the job ended. SIGKILL still ends us. The job's signals are
 * blocked (the daemon spawned us so; again here, whoever did), never
 * ignored: one that came before init was in the scope waits for
 * init_forward_early_signals(). SIGPIPE is ignored: a closed output
 * stream must not cost us the status. */
static int block_stop_signals(void) {
        struct sigaction sa = { .sa_handler = SIG_IGN };
        sigset_t mask;

        shim_forwarded_signals(&mask);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 || sigaction(SIGPIPE, &sa, NULL) < 0)
                return log_error_errno(errno, "Failed to block stop signals: %m");
        return 0;
}

/* Until the daemon has put us into the scope, nothing of the job may run
 * (prepare() only makes what init needs). */
static int wait_for_go(void) {
        char c;
        ssize_t n;

        do
                n = read(SHIM_GO_FD, &c, 1);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return log_error_errno(errno, "Failed to read the go pipe: %m");
        if (n == 0)
                return log_error_errno(ECANCELED, "Start aborted: the go pipe was closed.");
        if (c != SHIM_BYTE_GO)
                return log_error_errno(EPROTO, "Start aborted: unexpected byte on the go pipe.");
        /* The go socket stays, for telling the daemon that output went to
         * the journal (output.c): never to block us, never inherited (init
         * closes it too). */
        int flags = fcntl(SHIM_GO_FD, F_GETFL);
        if (flags < 0 || fcntl(SHIM_GO_FD, F_SETFL, flags | O_NONBLOCK) < 0 ||
            fcntl(SHIM_GO_FD, F_SETFD, FD_CLOEXEC) < 0)
                return log_error_errno(errno, "Failed to set up the go socket: %m");
        return 0;
}

/* The spec from its memfd; argv[1] must name the same job. */
static int spec_receive(int argc, char *argv[], ShimSpec *ret) {
        _cleanup_free_ char *data = NULL;
        const char *error = NULL;
        size_t size;
        int r;

        if (argc != 2 || !argv[1])
                return log_error_errno(EINVAL, "Usage: jobworker-shim ID, with the job spec on fd %d.", SHIM_SPEC_FD);

        r = memfd_read_sealed(SHIM_SPEC_FD, SHIM_SPEC_SIZE_MAX, &data, &size);
        if (r < 0)
                return log_error_errno(r, "Failed to read the job spec from fd %d: %m", SHIM_SPEC_FD);
        if (close(SHIM_SPEC_FD) < 0)
                return log_error_errno(errno, "Failed to close the job spec: %m");
        r = shim_spec_decode(data, size, ret, &error);
        if (r < 0)
                return log_error_errno(r, "Invalid job spec: %s.", error ?: "out of memory");
        if (strcmp(ret->id, argv[1]) != 0)
                return log_error_errno(EINVAL, "The job spec is for job %s, not %s.", ret->id, argv[1]);
        return 0;
}

static int oom_score_adj_reset(void) {
        _cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0 || write(fd, "0", 1) != 1)
                return log_error_errno(errno, "Failed to reset the OOM score adjustment: %m");
        return 0;
}

/* The job's stdout and stderr: pipes whose read ends only the shim holds. */
static int output_pipes_open(int out_pipe[2], int err_pipe[2], uid_t uid, gid_t gid) {
        if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0)
                return log_error_errno(errno, "Failed to create the output pipes: %m");
        /* Hand the pipes to the job's user, so that opening /dev/stdout or
         * /proc/self/fd/2 again (as many scripts do) is not refused. */
        if (fchown(out_pipe[1], uid, gid) < 0 || fchown(err_pipe[1], uid, gid) < 0)
                return log_error_errno(errno, "Failed to give the output pipes to the job's user: %m");
        /* Only our ends: the job's writes stay blocking. */
        if (fcntl(out_pipe[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(err_pipe[0], F_SETFL, O_NONBLOCK) < 0)
                return log_error_errno(errno, "Failed to make the output pipes non-blocking: %m");
        return 0;
}

static int read_record(int fd, JobInitRecord *ret) {
        char buf[JOB_INIT_RECORD_MAX];
        ssize_t len = read_full(fd, buf, sizeof buf);

        if (len < 0)
                return (int) len;
        if (len == 0)
                return -ENODATA;
        return job_init_record_decode(buf, (size_t) len, ret);
}

/* The same shape of record as init's failures: "Failed to STAGE: strerror". */
static void status_set_start_failed(JobStatus *s, int error, const char *stage) {
        JobInitRecord r = { .kind = JOB_START_FAILED, .value = error < 0 ? -error : error };

        snprintf(r.stage, sizeof r.stage, "%s", stage);
        if (job_status_from_init_record(s, &r) < 0) {
                s->kind = JOB_START_FAILED;
                s->error = r.value;
        }
}

/* What prepare() makes before the go and run() uses after it. */
typedef struct Prepared {
        int status_pipe[2];
        int out_pipe[2], err_pipe[2];
        int release[2];         /* a socket pair: init waits on [0] for its release, and echoes it */
        OutputSink sink;
        pid_t init_pid;         /* 0 until forked */
} Prepared;

static void prepared_done(Prepared *p) {
        for (unsigned i = 0; i < 2; i++) {
                closep(&p->status_pipe[i]);
                closep(&p->out_pipe[i]);
                closep(&p->err_pipe[i]);
                closep(&p->release[i]);
        }
}

/* init, outside the scope yet: it makes what needs no scope and waits to be
 * released (init_main()). */
static int init_fork(const ShimSpec *spec, int terminal_fd, Prepared *p) {
        int *out_pipe = p->out_pipe, *err_pipe = p->err_pipe;
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->release) < 0)
                return log_error_errno(errno, "Failed to create the release socket: %m");

        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork init: %m");
        if (pid == 0) {
                /* The job writes into the pipes; no other fd of ours reaches it. */
                if (out_pipe[1] >= 0 &&
                    (dup2(out_pipe[1], STDOUT_FILENO) < 0 || dup2(err_pipe[1], STDERR_FILENO) < 0))
                        _exit(EXIT_FAILURE);
                /* A terminal job's init writes the pty's bytes to stdout,
                 * and nothing else may reach that stream: its own messages
                 * (which quote the command) must not pass for the job's. */
                if (spec->terminal != SHIM_TERMINAL_NONE) {
                        int null_fd = open("/dev/null", O_WRONLY | O_NOCTTY);
                        if (null_fd < 0 || dup2(null_fd, STDERR_FILENO) < 0)
                                _exit(EXIT_FAILURE);
                }
                /* closes all our other fds first */
                init_main(spec, p->status_pipe[1], p->release[0], terminal_fd);
        }
        p->init_pid = pid;

        /* The job's stdin went with init; we never read or hold it. */
        stdin_release();
        closep(&p->status_pipe[1]);
        p->status_pipe[1] = -EBADF;
        closep(&p->release[0]);
        p->release[0] = -EBADF;
        /* Only the job holds the write ends now: EOF when its last writer is gone. */
        closep(&out_pipe[1]);
        out_pipe[1] = -EBADF;
        closep(&err_pipe[1]);
        err_pipe[1] = -EBADF;
        return 0;
}

/* Before the go, while PID 1 is still making the scope: what does not
 * depend on being in it, so that the command starts sooner once we are
 * released (under TCG tens of ms: the namespaces, init's fork, its mounts).
 * Nothing of the job runs yet: init waits for its release, and the command
 * is forked by it after that, inside the scope. What is made here is
 * charged to the cgroup we are in now, the daemon's; the cgroup namespace
 * waits for the go, as it is rooted where init is when it is made. Returns
 * < 0 with the failure in s, reported after the go like one of run()'s. */
static int prepare(const ShimSpec *spec, JobStatus *s, OutputJournal *journal, int terminal_fd,
                   NetworkHost *network, Prepared *p) {
        const char *failed_stage, *stage;
        int r;

        r = oom_score_adj_reset();
        if (r < 0) {
                stage = "reset the OOM score adjustment";
                goto fail;
        }

        if (spec->output == SHIM_OUTPUT_JOURNAL) {
                r = output_pipes_open(p->out_pipe, p->err_pipe, spec->uid, spec->gid);
                if (r < 0) {
                        stage = "create the output pipes";
                        goto fail;
                }
                r = output_journal_init(journal, spec->id, spec->command[0], SHIM_GO_FD, &p->sink);
                if (r < 0) {
                        log_error_errno(r, "Failed to set up the output relay: %m");
                        stage = "set up the output relay";
                        goto fail;
                }
        }

        if (terminal_fd < 0 && spec->terminal != SHIM_TERMINAL_NONE) {
                r = terminal_fd;
                stage = "create the terminal socket";
                goto fail;
        }

        if (pipe2(p->status_pipe, O_CLOEXEC) < 0) {
                r = log_error_errno(errno, "Failed to create the status pipe: %m");
                stage = "create the status pipe";
                goto fail;
        }

        /* Bridged: the host's rtnetlink socket and bridge, while we are
         * still in the host's network namespace. */
        r = network_open_host(spec, network, &failed_stage);
        if (r >= 0)
                r = sandbox_unshare(&failed_stage);
        if (r < 0) {
                stage = failed_stage;
                goto fail;
        }

        r = init_fork(spec, terminal_fd, p);
        if (r < 0) {
                stage = "fork init";
                goto fail;
        }
        return 0;

fail:
        status_set_start_failed(s, r, stage);
        return r;
}

/* Now in the scope: init joins us there, the veth is wired (its first
 * packet already has its network), and init goes on. Returns 0 also if init
 * has ended already (EPIPE): init_was_released() tells. */
static int init_release(const ShimSpec *spec, int cgroup_fd, const NetworkHost *network, Prepared *p,
                        const char **ret_stage) {
        int r;

        if (cgroup_fd < 0) {
                *ret_stage = "open the job's cgroup";
                return log_error_errno(cgroup_fd, "Failed to open the job's cgroup: %m");
        }
        r = cgroup_attach(cgroup_fd, p->init_pid);
        if (r < 0) {
                *ret_stage = "move init into the job's scope";
                return log_error_errno(r, "Failed to move init into the job's scope: %m");
        }
        init_forward_early_signals(p->init_pid);

        r = network_setup(spec, network, ret_stage);
        if (r < 0)
                return r;

        if (send(p->release[1], &(const char) { SHIM_BYTE_GO }, 1, MSG_NOSIGNAL) != 1 && errno != EPIPE) {
                *ret_stage = "release init";
                return log_error_errno(errno, "Failed to release init: %m");
        }
        return 0;
}

/* Once init has ended: whether it took its release (it echoes it). An init
 * that ended before had failed its own set-up (its record says so) or was
 * killed from outside: a SIGKILL to jobworkerd.service's cgroup, where it
 * waited, does that, even as it is being moved (moving a dying process
 * succeeds and moves nothing), and the command never ran. */
static bool init_was_released(const Prepared *p) {
        char c;

        return recv(p->release[1], &c, 1, MSG_DONTWAIT) == 1 && c == SHIM_BYTE_GO;
}

/* Runs the job; fills s with how it ended. */
static void run(const ShimSpec *spec, JobStatus *s, int *cgroup_fd, const NetworkHost *network, Prepared *p) {
        JobInitRecord record;
        const char *failed_stage = NULL;
        char stage[128];
        int r, k, wait_status;

        /* Before init remounts /sys (in its own mounts, though). */
        *cgroup_fd = cgroup_open_own();

        r = init_release(spec, *cgroup_fd, network, p, &failed_stage);
        /* Not released: init, still waiting, ends at EOF, nothing of the
         * job having run. */
        if (r < 0) {
                closep(&p->release[1]);
                p->release[1] = -EBADF;
        }

        /* Relays the output until the job and its output have ended, so the
         * status file (written after) never precedes the output. */
        const int fds[_SHIM_STREAM_MAX] = { p->out_pipe[0], p->err_pipe[0] };
        k = output_relay(fds, p->init_pid, &p->sink, &wait_status);
        if (k < 0) {
                log_error_errno(k, "Failed to wait for init: %m");
                return status_set_start_failed(s, r < 0 ? r : k, r < 0 ? failed_stage : "wait for init");
        }

        /* init's record, also if we could not release it: a failure of its
         * own set-up came first. */
        k = read_record(p->status_pipe[0], &record);
        if (k >= 0) {
                k = job_status_from_init_record(s, &record);
                if (k < 0)
                        log_error_errno(k, "Failed to record the job status: %m");
                return;
        }
        if (r < 0)
                return status_set_start_failed(s, r, failed_stage);
        /* No record: init itself died. Before its release that is no end
         * of the job's: the command never ran. */
        if (!init_was_released(p)) {
                if (WIFSIGNALED(wait_status))
                        snprintf(stage, sizeof stage, "start the job (init was killed by signal %d before its release)",
                                 WTERMSIG(wait_status));
                else
                        snprintf(stage, sizeof stage, "start the job (init exited with status %d before its release)",
                                 WEXITSTATUS(wait_status));
                log_error("Failed to %s.", stage);
                return status_set_start_failed(s, ESRCH, stage);
        }
        if (WIFSIGNALED(wait_status)) {
                s->kind = JOB_KILLED;
                s->signal = WTERMSIG(wait_status);
                return;
        }
        snprintf(stage, sizeof stage, "run the job (init exited with status %d without reporting)",
                 WEXITSTATUS(wait_status));
        log_error("Failed to %s.", stage);
        status_set_start_failed(s, EPROTO, stage);
}

int main(int argc, char *argv[]) {
        _cleanup_(shim_spec_done) ShimSpec spec = {};
        _cleanup_(job_status_done) JobStatus status = JOB_STATUS_INIT;
        _cleanup_(output_journal_done) OutputJournal journal = {};
        _cleanup_close_ int cgroup_fd = -EBADF, terminal_fd = -EBADF;
        NetworkHost network = {};
        Prepared prepared = {
                .status_pipe = { -EBADF, -EBADF }, .out_pipe = { -EBADF, -EBADF }, .err_pipe = { -EBADF, -EBADF },
                .release = { -EBADF, -EBADF },
        };
        int r;

        log_open("jobworker-shim");
        if (block_stop_signals() < 0)
                return EXIT_FAILURE;

        if (ensure_std_fds() < 0)
                return EXIT_FAILURE;
        /* Only 0-4 are ours; anything else leaked from the daemon would reach
         * init, which runs as the caller. */
        r = close_fds_from(SHIM_SPEC_FD + 1, ~0U);
        if (r < 0) {
                log_error_errno(r, "Failed to close stray file descriptors: %m");
                return EXIT_FAILURE;
        }
        if (spec_receive(argc, argv, &spec) < 0)
                return EXIT_FAILURE;
        /* A terminal job: init proxies its pty to whoever connects here
         * (the daemon, for Job.AttachTerminal()), in the host's mounts;
         * there before the go, so an attach right after StartJob finds it. */
        if (spec.terminal != SHIM_TERMINAL_NONE)
                terminal_fd = pty_listen(spec.terminal_socket);
        r = prepare(&spec, &status, &journal, terminal_fd, &network, &prepared);
        if (wait_for_go() < 0)
                return EXIT_FAILURE;

        if (r >= 0)
                run(&spec, &status, &cgroup_fd, &network, &prepared);
        prepared_done(&prepared);
        if (spec.terminal != SHIM_TERMINAL_NONE)
                (void) unlink(spec.terminal_socket);
        /* The job is over (or never ran): its veth goes now, whoever still
         * holds its network namespace. */
        network_teardown(&spec, &network);
        network_host_done(&network);

        status.finished_usec = now_usec(CLOCK_REALTIME);
        /* The totals let a follower that has them all stop at once. */
        if (journal.complete) {
                status.output_bytes[0] = journal.bytes[0];
                status.output_bytes[1] = journal.bytes[1];
        }
        cgroup_read_accounting(cgroup_fd, &status.cpu_usec, &status.memory_peak);

        r = job_status_write_file_atomic(spec.status_path, &status);
        if (r < 0) {
                log_error_errno(r, "Failed to write the job status to %s: %m", spec.status_path);
                return EXIT_FAILURE;
        }
        /* The daemon may finish the job now instead of once we are reaped:
         * what is left of us to tear down is no part of it. */
        (void) send(SHIM_GO_FD, &(const char) { SHIM_BYTE_STATUS }, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        return EXIT_SUCCESS;
}
