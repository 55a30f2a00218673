/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A StartJob call's spec: its arguments read strictly from the message,
 * validated, and the job's environment built for its user. */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "bus-names.h"
#include "job.h"
#include "job-spec.h"
#include "macro.h"
#include "net-address.h"
#include "parse-util.h"
#include "shim-spec.h"

void job_spec_init(JobSpec *spec) {
        assert(spec);

        *spec = (JobSpec) {};
        job_limits_init(&spec->limits);
}

void job_spec_done(JobSpec *spec) {
        assert(spec);

        strv_free(spec->argv);
        strv_free(spec->environment);
        free(spec->working_directory);
        free(spec->name);
        free(spec->user);
        free(spec->group);
        free(spec->network);
        if (spec->has_stdin)
                close(spec->stdin_fd);
        job_limits_done(&spec->limits);
        *spec = (JobSpec) {};
        job_limits_init(&spec->limits);
}

void job_spec_move_to_job(JobSpec *spec, Job *j) {
        assert(spec);
        assert(j);

        strv_free(j->argv);
        j->argv = TAKE_PTR(spec->argv);
        strv_free(j->environment);
        j->environment = TAKE_PTR(spec->environment);
        free(j->working_directory);
        j->working_directory = TAKE_PTR(spec->working_directory);
        free(j->name);
        j->name = TAKE_PTR(spec->name);
        j->terminal = spec->terminal;
        free(j->network);
        j->network = TAKE_PTR(spec->network);
        j->address = spec->address;
        j->address_prefix = spec->address_prefix;
        if (j->stdin_fd >= 0)
                close(j->stdin_fd);
        j->stdin_fd = spec->has_stdin ? spec->stdin_fd : -1;
        spec->has_stdin = false;
        job_limits_done(&j->limits);
        j->limits = spec->limits;
        job_limits_init(&spec->limits);
        job_spec_done(spec);
}

/* Reads one "ay" as a C string: any byte but NUL (a single trailing NUL,
 * as some clients send, is dropped). */
static int read_byte_string(sd_bus_message *m, const char *what, char **ret, size_t *total,
                            sd_bus_error *error) {
        const void *p;
        size_t n;
        int r;

        r = sd_bus_message_read_array(m, 'y', &p, &n);
        if (r < 0)
                return r;
        if (n > 0 && ((const char *) p)[n - 1] == '\0')
                n--;
        if (memchr(p, '\0', n))
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "%s contains a NUL byte.", what);
        *total += n + 1;
        if (*total > JOB_SPEC_ARGS_BYTES_MAX)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "Command line and environment exceed %u bytes.",
                                         JOB_SPEC_ARGS_BYTES_MAX);
        *ret = strndup(p, n);
        return *ret ? 0 : -ENOMEM;
}

static int read_byte_string_array(sd_bus_message *m, const char *what, char ***ret, size_t *total,
                                  sd_bus_error *error) {
        _cleanup_strv_free_ char **l = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "ay");
        if (r < 0)
                return r;
        l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (;;) {
                char *s;
                r = sd_bus_message_peek_type(m, NULL, NULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (n >= JOB_SPEC_ARGS_COUNT_MAX)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "%s has more than %u entries.", what, JOB_SPEC_ARGS_COUNT_MAX);
                r = read_byte_string(m, what, &s, total, error);
                if (r < 0)
                        return r;
                char **nl = realloc(l, sizeof(char *) * (n + 2));
                if (!nl) {
                        free(s);
                        return -ENOMEM;
                }
                l = nl;
                l[n++] = s;
                l[n] = NULL;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(l);
        return 0;
}

/* StartJob options whose value is not one of the basic types of
 * job-limits.c's table ('d', 't', 's', 'b'): each reads its own value.
 *
 * To add one (say "BindPaths" as a(ssbt), an fd as 'h', a list as 'as'):
 * a field in JobSpec (freed in job_spec_done()), a reader here, and its
 * line in spec_options[]. The reader is called inside the option's variant,
 * whose contents are already known to equal signature, and must read
 * exactly that value (sd_bus_message_enter_container()/read/exit), checking
 * every element and setting error (InvalidArgument, naming the option and
 * the value) for a bad one; bounded, as every list a client sends. An 'h'
 * belongs to the message: keep a dup (fcntl(F_DUPFD_CLOEXEC)), never the fd.
 * The CLI's side is job-limits.c's table (src/shared), which then needs a
 * type that is not a single character, or a table of its own. */
typedef struct SpecOption {
        const char *name;        /* the a{sv} key */
        const char *signature;   /* the variant's contents, exactly */
        int (*read)(JobSpec *spec, sd_bus_message *m, const char *name, sd_bus_error *error);
} SpecOption;

static int free_and_strdup(char **field, const char *s) {
        char *copy = strdup(s);

        if (!copy)
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

/* Name: the caller's name for the job (unique among their unfinished
 * jobs; bus-manager.c checks that). */
static int read_name(JobSpec *spec, sd_bus_message *m, const char *name, sd_bus_error *error) {
        const char *s;
        int r;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        if (!job_name_valid(s))
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "Name \"%.80s\" is not a valid job name: 1-%u letters, digits, '_', '.' "
                                         "or '-', beginning with a letter or digit, and not 12 hex digits (that "
                                         "is a job id).", s, JOB_NAME_LENGTH_MAX);
        return free_and_strdup(&spec->name, s);
}

/* User and Group: whom the job runs as, a name or a decimal id. Only the
 * syntax here; the name service is asked by the caller check's child. */
static int read_user_or_group(JobSpec *spec, sd_bus_message *m, const char *name, sd_bus_error *error) {
        bool user = strcmp(name, "User") == 0;
        const char *s;
        int r;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        r = parse_user_or_id(s, NULL);
        if (r < 0)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT, "%s \"%.80s\" is %s.", name, s,
                                         r == -ERANGE ? "out of range" :
                                         user ? "neither a user name nor a decimal uid" :
                                                "neither a group name nor a decimal gid");
        return free_and_strdup(user ? &spec->user : &spec->group, s);
}

/* BindPaths / BindReadOnlyPaths: systemd's a(ssbt); each entry checked
 * by job_limits_add_bind() (absolute, normalized, flags 0 or MS_REC, at
 * most JOB_BINDS_MAX in all). */
static int read_bind_paths(JobSpec *spec, sd_bus_message *m, const char *name, sd_bus_error *error) {
        bool read_only = strcmp(name, "BindReadOnlyPaths") == 0;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "(ssbt)");
        if (r < 0)
                return r;
        for (;;) {
                _cleanup_free_ char *message = NULL;
                const char *source, *destination;
                int ignore_missing;
                uint64_t flags;

                r = sd_bus_message_read(m, "(ssbt)", &source, &destination, &ignore_missing, &flags);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = job_limits_add_bind(&spec->limits, read_only, source, destination, ignore_missing, flags,
                                        &message);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_OPTION, "%s",
                                                 message ?: "Invalid bind.");
        }
        return sd_bus_message_exit_container(m);
}

/* Terminal: "wait" (the command starts once a client attached: run -t) or
 * "now" (start -t, to attach later); the job's stdio is a pty of its own. */
static int read_terminal(JobSpec *spec, sd_bus_message *m, const char *name, sd_bus_error *error) {
        const char *s;
        int r;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        if (strcmp(s, "wait") == 0)
                spec->terminal = SHIM_TERMINAL_WAIT;
        else if (strcmp(s, "now") == 0)
                spec->terminal = SHIM_TERMINAL_NOW;
        else
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "Terminal \"%.80s\" is neither \"wait\" nor \"now\".", s);
        return 0;
}

/* Network: "none" or a network's name (whether it exists is the
 * configuration's to say, bus-manager.c). */
static int read_network(JobSpec *spec, sd_bus_message *m, const char *name, sd_bus_error *error) {
        const char *s;
        int r;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        if (strcmp(s, "none") == 0) {
                free(spec->network);
                spec->network = NULL;
                return 0;
        }
        if (!net_ifname_valid(s))
                return sd_bus_error_setf(error, JOBWORKER_ERROR_NO_SUCH_NETWORK,
                                         "Network \"%.80s\" is not a network name: \"none\" or a network of "
                                         "jobworkerd.conf such as \"bridge\".", s);
        return free_and_strdup(&spec->network, s);
}

/* Address: ADDRESS or ADDRESS/PREFIX, IPv4. */
static int read_address(JobSpec *spec, sd_bus_message *m, const char *name, sd_bus_error *error) {
        const char *s;
        int r;

        r = sd_bus_message_read_basic(m, 's', &s);
        if (r < 0)
                return r;
        r = net_address_prefix_parse(s, &spec->address, &spec->address_prefix);
        if (r < 0 || spec->address == 0)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ADDRESS,
                                         "Address \"%.80s\" is malformed: expected an IPv4 address A.B.C.D or "
                                         "A.B.C.D/PREFIX.", s);
        return 0;
}

/* Stdin: the caller's fd, handed to the command as its fd 0 (the shim
 * never reads it). Only looked at with fcntl() and fstat(), which never
 * block, whatever the fd is: refused unless open for reading, and a
 * terminal is refused (the job could push keystrokes into the caller's
 * shell with TIOCSTI; a terminal job gets a pty of its own). */
static int read_stdin(JobSpec *spec, sd_bus_message *m, const char *name, sd_bus_error *error) {
        struct stat st;
        int fd, flags, r;

        r = sd_bus_message_read_basic(m, 'h', &fd);
        if (r < 0)
                return r;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0)
                return sd_bus_error_set_errnof(error, errno, "Stdin: cannot inspect the file descriptor: %m");
        if ((flags & O_PATH) || (flags & O_ACCMODE) == O_WRONLY)
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                        "Stdin is not open for reading.");
        if (fstat(fd, &st) < 0)
                return sd_bus_error_set_errnof(error, errno, "Stdin: cannot inspect the file descriptor: %m");
        if (S_ISDIR(st.st_mode))
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT, "Stdin is a directory.");
        if (S_ISCHR(st.st_mode) && isatty(fd))
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                        "Stdin is a terminal; a job never gets the caller's terminal "
                                        "(use a pipe or a file).");
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
                return -errno;
        if (spec->has_stdin)
                close(spec->stdin_fd);
        spec->stdin_fd = copy;
        spec->has_stdin = true;
        return 0;
}

static int read_stop_when_caller_exits(JobSpec *spec, sd_bus_message *m, const char *name, sd_bus_error *error) {
        int b, r;

        r = sd_bus_message_read_basic(m, 'b', &b);
        if (r < 0)
                return r;
        spec->stop_when_caller_exits = b;
        return 0;
}

static const SpecOption spec_options[] = {
        { "Terminal", "s", read_terminal },
        { "Network", "s", read_network },
        { "Address", "s", read_address },
        { "Stdin", "h", read_stdin },
        { "StopWhenCallerExits", "b", read_stop_when_caller_exits },
        { "Name",  "s", read_name },
        { "User",  "s", read_user_or_group },
        { "Group", "s", read_user_or_group },
        { "BindPaths",         "a(ssbt)", read_bind_paths },
        { "BindReadOnlyPaths", "a(ssbt)", read_bind_paths },
        {}
};

static const SpecOption *spec_option_by_name(const char *name) {
        for (const SpecOption *o = spec_options; o->name; o++)
                if (strcmp(o->name, name) == 0)
                        return o;
        return NULL;
}

/* One option's value, inside its variant: a non-basic option by its own
 * reader, every other one through the option table of job-limits.c. */
static int read_option_value(JobSpec *spec, sd_bus_message *m, const char *name, const char *contents,
                             sd_bus_error *error) {
        _cleanup_free_ char *message = NULL;
        const SpecOption *o;
        JobOptionValue v = { .type = '?' };
        int r;

        o = spec_option_by_name(name);
        if (o) {
                if (strcmp(contents, o->signature) != 0)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "Option '%s' must be of D-Bus type '%s', got '%.64s'",
                                                 name, o->signature, contents);
                return o->read(spec, m, name, error);
        }

        if (strlen(contents) == 1 && strchr("dtsb", contents[0])) {
                v.type = contents[0];
                r = sd_bus_message_read_basic(m, v.type,
                                              v.type == 'd' ? (void *) &v.d :
                                              v.type == 't' ? (void *) &v.t :
                                              v.type == 'b' ? (void *) &v.b : (void *) &v.s);
        } else {
                /* Any other type: let the option table name the expected
                 * one in its error. */
                v.type = contents[0];
                r = sd_bus_message_skip(m, contents);
        }
        if (r < 0)
                return r;
        r = job_limits_set_option(&spec->limits, name, &v, &message);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                /* A RootDirectory of the wrong D-Bus type is malformed
                 * input; a string that is no usable path, a refused option. */
                return sd_bus_error_setf(error,
                                         strcmp(name, "RootDirectory") == 0 && v.type == 's' ?
                                         JOBWORKER_ERROR_INVALID_OPTION : JOBWORKER_ERROR_INVALID_ARGUMENT,
                                         "%s", message ? message : "Invalid option.");
        return 0;
}

int job_spec_read_options(JobSpec *spec, sd_bus_message *m, sd_bus_error *error) {
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char *name, *contents;

                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                r = read_option_value(spec, m, name, contents, error);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

int job_spec_read(JobSpec *spec, sd_bus_message *m, sd_bus_error *error) {
        _cleanup_free_ char *workdir = NULL;
        int r;

        assert(spec);
        assert(m);

        r = sd_bus_message_rewind(m, true);
        if (r < 0)
                return r;
        r = read_byte_string_array(m, "Command line", &spec->argv, &spec->args_bytes, error);
        if (r < 0)
                return r;
        r = read_byte_string_array(m, "Environment", &spec->environment, &spec->args_bytes, error);
        if (r < 0)
                return r;
        r = read_byte_string(m, "Working directory", &workdir, &spec->args_bytes, error);
        if (r < 0)
                return r;
        if (*workdir)
                spec->working_directory = TAKE_PTR(workdir);
        r = job_spec_read_options(spec, m, error);
        return r < 0 ? r : 0;
}

/* What the option table cannot know without looking at this host. */
int job_spec_validate_limits(const JobLimits *l, sd_bus_error *error) {
        if (l->allowed_cpus) {
                long n_cpus = sysconf(_SC_NPROCESSORS_CONF);
                int max = cpu_mask_max_cpu(l->allowed_cpus, l->allowed_cpus_size);
                if (max < 0)
                        return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                "AllowedCPUs names no CPU.");
                if (n_cpus > 0 && max >= n_cpus)
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "AllowedCPUs names CPU %d, but this host has CPUs 0-%ld.",
                                                 max, n_cpus - 1);
        }
        /* IODevice is a path: resolved as the caller, after authorization
         * (caller-check.c), never looked up here as root. */
        return 0;
}

static int validate_environment(char **passed, sd_bus_error *error) {
        for (char **e = passed; e && *e; e++)
                if (!parse_env_assignment_valid(*e, strlen(*e)))
                        return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                                 "Invalid environment entry \"%s\": expected NAME=VALUE.", *e);
        return 0;
}

int job_spec_validate(const JobSpec *spec, sd_bus_error *error) {
        int r;

        assert(spec);

        if (!spec->argv || !spec->argv[0])
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                        "The command line is empty.");
        if (!spec->argv[0][0])
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ARGUMENT,
                                        "The command name is empty.");
        if (spec->working_directory && spec->working_directory[0] != '/')
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_OPTION,
                                         "Working directory \"%s\" is not an absolute path.",
                                         spec->working_directory);
        r = job_spec_validate_limits(&spec->limits, error);
        if (r < 0)
                return r;
        if (spec->address && !spec->network)
                return sd_bus_error_set(error, JOBWORKER_ERROR_INVALID_ADDRESS,
                                        "Address needs a Network other than \"none\".");
        /* Options that only make sense together (HostSystem needs a root). */
        _cleanup_free_ char *message = NULL;
        r = job_limits_check(&spec->limits, &message);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return sd_bus_error_setf(error, JOBWORKER_ERROR_INVALID_ARGUMENT, "%s",
                                         message ?: "Invalid options.");
        return validate_environment(spec->environment, error);
}

int job_spec_env_set(char ***env, const char *assignment) {
        size_t name_len, n = 0;
        char *copy;

        assert(env);
        assert(assignment);

        name_len = strcspn(assignment, "=");
        copy = strdup(assignment);
        if (!copy)
                return -ENOMEM;
        for (char **e = *env; e && *e; e++, n++)
                if (strncmp(*e, assignment, name_len) == 0 && (*e)[name_len] == '=') {
                        free(*e);
                        *e = copy;
                        return 0;
                }
        char **nl = realloc(*env, sizeof(char *) * (n + 2));
        if (!nl) {
                free(copy);
                return -ENOMEM;
        }
        nl[n] = copy;
        nl[n + 1] = NULL;
        *env = nl;
        return 0;
}

int job_spec_build_environment(const JobSpecUser *user, char **passed, char ***ret, sd_bus_error *error) {
        _cleanup_strv_free_ char **env = NULL;
        char buf[4096];
        int r;

        assert(user);
        assert(user->name);
        assert(ret);

        r = validate_environment(passed, error);
        if (r < 0)
                return r;

        env = calloc(1, sizeof(char *));
        if (!env)
                return -ENOMEM;
        r = job_spec_env_set(&env, user->uid == 0 ? "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
                                                  : "PATH=/usr/local/bin:/usr/bin:/bin");
        if (r < 0)
                return r;
        const char *vars[][2] = {
                { "HOME", user->home && *user->home ? user->home : "/" },
                { "USER", user->name },
                { "LOGNAME", user->name },
                { "SHELL", user->shell && *user->shell ? user->shell : "/bin/sh" },
        };
        for (size_t i = 0; i < ELEMENTSOF(vars); i++) {
                /* A passwd field too long for an environment entry is left
                 * out rather than cut. */
                if (snprintf(buf, sizeof buf, "%s=%s", vars[i][0], vars[i][1]) >= (int) sizeof buf)
                        continue;
                r = job_spec_env_set(&env, buf);
                if (r < 0)
                        return r;
        }
        for (char **e = passed; e && *e; e++) {
                r = job_spec_env_set(&env, *e);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(env);
        return 0;
}
