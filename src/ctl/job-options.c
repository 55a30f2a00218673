/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `run`/`start` OPTIONS → StartJob's options, environment and directory. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job-options.h"
#include "macro.h"
#include "net-address.h"
#include "parse-util.h"

void job_options_done(JobOptions *o) {
        for (size_t i = 0; i < o->n_settings; i++)
                free(o->settings[i].text);
        free(o->settings);
        strv_free(o->environment);
        free(o->working_directory);
        free(o->name);
        free(o->user);
        free(o->group);
        free(o->network);
        free(o->address);
        job_limits_done(&o->binds);
        free(o->stdin_path);
        if (o->has_stdin)
                close(o->stdin_fd);
        *o = (JobOptions) {};
}

_printf_(3, 4)
static int fail(char **ret_error_message, int error, const char *format, ...) {
        va_list ap;
        char *m = NULL;
        int k;

        va_start(ap, format);
        k = vasprintf(&m, format, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        if (ret_error_message)
                *ret_error_message = m;
        else
                free(m);
        return error;
}

char *path_make_absolute(const char *p, const char *cwd) {
        _cleanup_free_ char *joined = NULL;
        char *out, *w;

        if (p[0] == '/')
                joined = strdup(p);
        else if (asprintf(&joined, "%s/%s", cwd, p) < 0)
                joined = NULL;
        if (!joined)
                return NULL;

        /* Copy component by component, dropping empty ones and ".". */
        out = malloc(strlen(joined) + 2);
        if (!out)
                return NULL;
        w = out;
        for (char *c = joined; *c;) {
                size_t n;

                while (*c == '/')
                        c++;
                n = strcspn(c, "/");
                if (n == 0)
                        break;
                if (!(n == 1 && c[0] == '.')) {
                        *w++ = '/';
                        memcpy(w, c, n);
                        w += n;
                }
                c += n;
        }
        if (w == out)
                *w++ = '/';
        *w = 0;
        return out;
}

static int settings_put(JobOptions *o, const JobOptionInfo *info, JobOptionValue v, char *text) {
        JobOptionSetting *s = NULL;

        for (size_t i = 0; i < o->n_settings; i++)
                if (o->settings[i].info == info)
                        s = &o->settings[i];
        if (!s) {
                JobOptionSetting *l = realloc(o->settings, (o->n_settings + 1) * sizeof *l);
                if (!l)
                        return -ENOMEM;
                o->settings = l;
                s = &o->settings[o->n_settings++];
                *s = (JobOptionSetting) {};
        }
        free(s->text);
        s->info = info;
        s->text = text;
        s->value = v;
        if (v.type == 's')
                s->value.s = text;
        return 0;
}

static int set_path(const char *flag, const char *text, const char *cwd, char **ret, char **ret_error_message) {
        if (text[0] == 0)
                return fail(ret_error_message, -EINVAL, "--%s: the path must not be empty", flag);
        if (text[0] != '/' && !cwd)
                return fail(ret_error_message, -EINVAL,
                            "--%s=%s: must be an absolute path when operating on another host", flag, text);
        *ret = path_make_absolute(text, cwd);
        return *ret ? 0 : -ENOMEM;
}

static int set_environment(JobOptions *o, const char *text, char **ret_error_message) {
        if (!parse_env_assignment_valid(text, strlen(text)))
                return fail(ret_error_message, -EINVAL,
                            "--env=%s: expected NAME=VALUE with NAME made of letters, digits and '_'", text);

        char **l = realloc(o->environment, (o->n_environment + 2) * sizeof *l);
        if (!l)
                return -ENOMEM;
        o->environment = l;
        l[o->n_environment] = strdup(text);
        if (!l[o->n_environment])
                return -ENOMEM;
        l[++o->n_environment] = NULL;
        return 0;
}

/* A user or group: a name or a decimal id. Only the syntax is checked
 * here; the daemon resolves it (on its host, where it means something). */
static int set_identity(const char *flag, const char *text, char **ret, char **ret_error_message) {
        int r = parse_user_or_id(text, NULL);

        if (r == -ERANGE)
                return fail(ret_error_message, -ERANGE, "--%s=%s: out of range", flag, text);
        if (r < 0)
                return fail(ret_error_message, -EINVAL,
                            "--%s=%s: expected a %s name or a decimal %s", flag, text, flag,
                            strcmp(flag, "user") == 0 ? "uid" : "gid");
        free(*ret);
        *ret = strdup(text);
        return *ret ? 0 : -ENOMEM;
}

static int set_bind(JobOptions *o, const char *flag, const char *text, const char *cwd,
                    char **ret_error_message) {
        _cleanup_free_ char *source_text = NULL, *source = NULL, *message = NULL;
        const char *colon = strchr(text, ':'), *destination = colon ? colon + 1 : "";
        int r;

        source_text = colon ? strndup(text, (size_t) (colon - text)) : strdup(text);
        if (!source_text)
                return -ENOMEM;
        r = set_path(flag, source_text, cwd, &source, ret_error_message);
        if (r < 0)
                return r;
        if (colon && destination[0] != '/')
                return fail(ret_error_message, -EINVAL, "--%s=%s: the destination must be an absolute path",
                            flag, text);
        r = job_limits_add_bind(&o->binds, strcmp(flag, "ro-bind") == 0, source, destination, false,
                                JOB_BIND_FLAG_RECURSIVE, &message);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(ret_error_message, r, "--%s=%s: %s", flag, text, message ?: "invalid bind");
        return 0;
}

int job_options_set(JobOptions *o, const char *flag, const char *text, const char *cwd,
                    char **ret_error_message) {
        _cleanup_free_ char *value_text = NULL, *message = NULL;
        const JobOptionInfo *info;
        JobOptionValue v;
        JobLimits scratch;
        int r;

        if (strcmp(flag, "env") == 0)
                return set_environment(o, text, ret_error_message);
        if (strcmp(flag, "name") == 0) {
                if (!job_name_valid(text))
                        return fail(ret_error_message, -EINVAL,
                                    "--name=%s: expected 1-%u letters, digits, '_', '.' or '-', beginning with a "
                                    "letter or digit, and not 12 hex digits (that is a job id)",
                                    text, JOB_NAME_LENGTH_MAX);
                free(o->name);
                o->name = strdup(text);
                return o->name ? 0 : -ENOMEM;
        }
        /* Bridged networking: --network=none|NAME, --ip=ADDR[/PREFIX]. */
        if (strcmp(flag, "network") == 0) {
                if (strcmp(text, "none") != 0 && !net_ifname_valid(text))
                        return fail(ret_error_message, -EINVAL,
                                    "--network=%s: expected none or a network's name (e.g. bridge)", text);
                free(o->network);
                o->network = strdup(text);
                return o->network ? 0 : -ENOMEM;
        }
        if (strcmp(flag, "ip") == 0) {
                uint32_t a;
                unsigned prefix;
                if (net_address_prefix_parse(text, &a, &prefix) < 0 || a == 0)
                        return fail(ret_error_message, -EINVAL,
                                    "--ip=%s: expected an IPv4 address ADDR or ADDR/PREFIX (e.g. 10.89.0.7/24)", text);
                free(o->address);
                o->address = strdup(text);
                return o->address ? 0 : -ENOMEM;
        }
        if (strcmp(flag, "user") == 0)
                return set_identity(flag, text, &o->user, ret_error_message);
        if (strcmp(flag, "group") == 0)
                return set_identity(flag, text, &o->group, ret_error_message);
        if (strcmp(flag, "bind") == 0 || strcmp(flag, "ro-bind") == 0)
                return set_bind(o, flag, text, cwd, ret_error_message);
        if (strcmp(flag, "stdin") == 0) {
                char *p;
                r = set_path(flag, text, cwd, &p, ret_error_message);
                if (r < 0)
                        return r;
                free(o->stdin_path);
                o->stdin_path = p;
                return 0;
        }
        if (strcmp(flag, "keep") == 0) {
                o->keep = true;
                return 0;
        }
        if (strcmp(flag, "workdir") == 0) {
                char *p;
                r = set_path(flag, text, cwd, &p, ret_error_message);
                if (r < 0)
                        return r;
                free(o->working_directory);
                o->working_directory = p;
                return 0;
        }

        info = job_option_info_by_cli_flag(flag);
        if (!info)
                return fail(ret_error_message, -EINVAL, "--%s: unknown option", flag);

        if (info->arg == JOB_OPTION_ARG_PATH)
                r = set_path(flag, text, cwd, &value_text, ret_error_message);
        else {
                value_text = strdup(text);
                r = value_text ? 0 : -ENOMEM;
        }
        if (r < 0)
                return r;

        r = job_option_value_from_cli(info, value_text, &v, ret_error_message);
        if (r < 0)
                return r;

        /* The daemon's own checks, run here too so that "--memory=0" fails
         * before anything is sent. Their messages name the D-Bus key. */
        job_limits_init(&scratch);
        r = job_limits_set_option(&scratch, info->name, &v, &message);
        job_limits_done(&scratch);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return fail(ret_error_message, r, "--%s=%s: %s", flag, text,
                            message ?: "invalid value");

        return settings_put(o, info, v, TAKE_PTR(value_text));
}

int job_options_parse_argv(JobOptions *o, int argc, char *argv[], bool remote) {
        enum { ARG_ENV = 0x80, ARG_WORKDIR, ARG_NAME, ARG_USER, ARG_GROUP, ARG_BIND, ARG_RO_BIND, ARG_STDIN, ARG_KEEP, ARG_NETWORK, ARG_IP,
               ARG_TABLE = 0x100 };
        _cleanup_free_ struct option *options = NULL;
        _cleanup_free_ char *cwd = NULL;
        size_t n = 0, n_table = 0;
        int opt;

        while (job_option_table[n_table].name)
                n_table++;
        options = calloc(n_table + 14, sizeof *options);  /* the 13 entries below and the terminator */
        if (!options)
                return -ENOMEM;
        /* A boolean's flag alone means yes: --user-runtime-dir. */
        for (size_t i = 0; i < n_table; i++)
                options[n++] = (struct option) { job_option_table[i].cli_flag,
                                                 job_option_table[i].arg == JOB_OPTION_ARG_BOOLEAN ?
                                                         optional_argument : required_argument,
                                                 NULL, ARG_TABLE + (int) i };
        options[n++] = (struct option) { "env",     required_argument, NULL, ARG_ENV };
        options[n++] = (struct option) { "workdir", required_argument, NULL, ARG_WORKDIR };
        options[n++] = (struct option) { "name",    required_argument, NULL, ARG_NAME };
        options[n++] = (struct option) { "user",    required_argument, NULL, ARG_USER };
        options[n++] = (struct option) { "group",   required_argument, NULL, ARG_GROUP };
        options[n++] = (struct option) { "bind",    required_argument, NULL, ARG_BIND };
        options[n++] = (struct option) { "ro-bind", required_argument, NULL, ARG_RO_BIND };
        options[n++] = (struct option) { "pty",     no_argument,       NULL, 't' };
        options[n++] = (struct option) { "network", required_argument, NULL, ARG_NETWORK };
        options[n++] = (struct option) { "ip",      required_argument, NULL, ARG_IP };
        options[n++] = (struct option) { "stdin",   required_argument, NULL, ARG_STDIN };
        options[n++] = (struct option) { "keep",    no_argument,       NULL, ARG_KEEP };
        options[n++] = (struct option) { "help",    no_argument,       NULL, 'h' };

        /* On another host, this host's directory means nothing there. */
        if (!remote) {
                cwd = getcwd(NULL, 0);
                if (!cwd) {
                        fprintf(stderr, "Failed to get the current directory: %m\n");
                        return -EINVAL;
                }
        }

        optind = 0;
        while ((opt = getopt_long(argc, argv, "+ht", options, NULL)) >= 0) {
                _cleanup_free_ char *message = NULL;
                const char *flag;
                int r;

                if (opt == 'h')
                        return 0;
                if (opt == 't') {
                        /* The terminal travels as a file descriptor. */
                        if (remote) {
                                fprintf(stderr, "jobworkerctl %s: -t/--pty needs a local bus: the terminal is passed "
                                        "as a file descriptor, which a connection over ssh (-H) cannot carry.\n",
                                        argv[0]);
                                return -EINVAL;
                        }
                        o->terminal = true;
                        o->terminal_wait = strcmp(argv[0], "run") == 0;
                        continue;
                }
                if (opt == ARG_ENV)
                        flag = "env";
                else if (opt == ARG_WORKDIR)
                        flag = "workdir";
                else if (opt == ARG_NAME)
                        flag = "name";
                else if (opt == ARG_USER)
                        flag = "user";
                else if (opt == ARG_GROUP)
                        flag = "group";
                else if (opt == ARG_BIND)
                        flag = "bind";
                else if (opt == ARG_RO_BIND)
                        flag = "ro-bind";
                else if (opt == ARG_NETWORK)
                        flag = "network";
                else if (opt == ARG_IP)
                        flag = "ip";
                else if (opt == ARG_STDIN)
                        flag = "stdin";
                else if (opt == ARG_KEEP)
                        flag = "keep";
                else if (opt >= ARG_TABLE && opt < ARG_TABLE + (int) n_table)
                        flag = job_option_table[opt - ARG_TABLE].cli_flag;
                else
                        return -EINVAL;  /* getopt printed why */

                r = job_options_set(o, flag, optarg ?: "yes", cwd, &message);
                if (r == -ENOMEM) {
                        fprintf(stderr, "Out of memory.\n");
                        return -EINVAL;
                }
                if (r < 0) {
                        fprintf(stderr, "%s\n", message ?: "Invalid option.");
                        return -EINVAL;
                }
        }

        if (optind >= argc) {
                fprintf(stderr, "jobworkerctl %s: missing the command to run.\n", argv[0]);
                return -EINVAL;
        }
        /* Our directory is ours: a job run as another user starts in that
         * user's home (the daemon's default) unless told otherwise. With a
         * root of its own, the job starts in its "/" (the daemon's
         * default): this directory is a host path. */
        bool has_root = false;
        for (size_t i = 0; i < o->n_settings; i++)
                if (strcmp(o->settings[i].info->name, "RootDirectory") == 0)
                        has_root = true;
        if (!o->working_directory && cwd && !o->user && !has_root)
                o->working_directory = TAKE_PTR(cwd);
        return optind;
}

int job_options_append(const JobOptions *o, sd_bus_message *m) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        for (size_t i = 0; i < o->n_settings; i++) {
                const JobOptionSetting *s = &o->settings[i];

                switch (s->info->type) {
                case 'd':
                        r = sd_bus_message_append(m, "{sv}", s->info->name, "d", s->value.d);
                        break;
                case 't':
                        r = sd_bus_message_append(m, "{sv}", s->info->name, "t", s->value.t);
                        break;
                case 's':
                        r = sd_bus_message_append(m, "{sv}", s->info->name, "s", s->value.s);
                        break;
                case 'b':
                        r = sd_bus_message_append(m, "{sv}", s->info->name, "b", s->value.b);
                        break;
                default:
                        r = -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        const struct { const char *key, *value; } strings[] = {
                { "Name", o->name }, { "User", o->user }, { "Group", o->group },
                { "Network", o->network }, { "Address", o->address },
        };
        if (o->terminal) {
                r = sd_bus_message_append(m, "{sv}", "Terminal", "s", o->terminal_wait ? "wait" : "now");
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ELEMENTSOF(strings); i++)
                if (strings[i].value) {
                        r = sd_bus_message_append(m, "{sv}", strings[i].key, "s", strings[i].value);
                        if (r < 0)
                                return r;
                }
        if (o->has_stdin) {
                r = sd_bus_message_append(m, "{sv}", "Stdin", "h", o->stdin_fd);
                if (r < 0)
                        return r;
        }
        if (o->stop_when_caller_exits) {
                r = sd_bus_message_append(m, "{sv}", "StopWhenCallerExits", "b", 1);
                if (r < 0)
                        return r;
        }
        for (int ro = 0; ro <= 1; ro++) {
                bool any = false;
                for (size_t i = 0; i < o->binds.n_binds; i++)
                        any = any || o->binds.binds[i].read_only == ro;
                if (!any)
                        continue;
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", ro ? "BindReadOnlyPaths" : "BindPaths");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', "a(ssbt)");
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'a', "(ssbt)");
                for (size_t i = 0; r >= 0 && i < o->binds.n_binds; i++) {
                        const JobBind *b = &o->binds.binds[i];
                        if (b->read_only == ro)
                                r = sd_bus_message_append(m, "(ssbt)", b->source, b->destination, 0,
                                                          JOB_BIND_FLAG_RECURSIVE);
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}

static int append_bytes_string(sd_bus_message *m, const char *s) {
        return sd_bus_message_append_array(m, 'y', s, strlen(s));
}

int job_options_append_environment(const JobOptions *o, sd_bus_message *m, bool pass_local) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "ay");
        if (r < 0)
                return r;
        if (pass_local)
                for (size_t i = 0; i < 2; i++) {
                        const char *name = i == 0 ? "PATH" : "LANG";
                        const char *value = getenv(name);
                        _cleanup_free_ char *entry = NULL;

                        if (!value)
                                continue;
                        if (asprintf(&entry, "%s=%s", name, value) < 0)
                                return -ENOMEM;
                        r = append_bytes_string(m, entry);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < o->n_environment; i++) {
                r = append_bytes_string(m, o->environment[i]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(m);
}
