/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parses the shim's command line (see the usage below). Pure: no syscalls,
 * so it is unit tested. Every option is "--name=value"; nothing is permuted
 * and argv[0] is never looked at. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "shim-args.h"

/* jobworker-shim --id=ID --uid=UID --gid=GID [--groups=G1,G2,...] --workdir=DIR
 *                --status=PATH [--output=journal|inherit] [--env=NAME=VALUE]...
 *                -- COMMAND [ARG...] */

#define GROUPS_MAX 65536        /* NGROUPS_MAX of the kernel */

void shim_args_done(ShimArgs *a) {
        free(a->groups);
        a->groups = NULL;
        free(a->env);
        a->env = NULL;
}

static const char *option_value(const char *arg, const char *name) {
        size_t n = strlen(name);
        if (strncmp(arg, name, n) == 0 && arg[n] == '=')
                return arg + n + 1;
        return NULL;
}

/* uid_t/gid_t: decimal, no sign, not (uid_t) -1 which means "unchanged" to the kernel. */
static int parse_id(const char *s, uint32_t *ret) {
        uint64_t v = 0;

        if (!*s || strlen(s) > 10)
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v >= UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

static int parse_groups(const char *s, gid_t **ret, size_t *ret_n) {
        _cleanup_free_ gid_t *groups = NULL;
        size_t n = 0;

        if (*s) {
                size_t commas = 0;
                for (const char *p = s; *p; p++)
                        commas += *p == ',';
                if (commas + 1 > GROUPS_MAX)
                        return -E2BIG;
                groups = calloc(commas + 1, sizeof(gid_t));
                if (!groups)
                        return -ENOMEM;

                for (const char *p = s;;) {
                        char item[16];
                        size_t len = strcspn(p, ",");
                        uint32_t g;

                        if (len == 0 || len >= sizeof item)
                                return -EINVAL;
                        memcpy(item, p, len);
                        item[len] = 0;
                        if (parse_id(item, &g) < 0)
                                return -EINVAL;
                        groups[n++] = g;
                        if (!p[len])
                                break;
                        p += len + 1;
                }
        }

        *ret = TAKE_PTR(groups);
        *ret_n = n;
        return 0;
}

static bool id_valid(const char *s) {
        if (strlen(s) != SHIM_ID_LENGTH)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

static bool env_entry_valid(const char *s) {
        const char *eq = strchr(s, '=');
        return eq && eq != s;
}

int shim_args_parse(int argc, char *argv[], ShimArgs *ret) {
        _cleanup_free_ gid_t *groups = NULL;
        _cleanup_free_ char **env = NULL;
        ShimArgs a = { .output = SHIM_OUTPUT_JOURNAL };
        bool have_uid = false, have_gid = false, have_groups = false, have_output = false;
        size_t n_groups = 0, n_env = 0;
        int i, r;

        if (argc < 1 || !argv)
                return log_error_errno(EINVAL, "No arguments.");

        /* Room for every --env plus the terminating NULL. */
        env = calloc((size_t) argc, sizeof(char *));
        if (!env)
                return log_error_errno(ENOMEM, "Out of memory.");

        for (i = 1; i < argc; i++) {
                const char *arg = argv[i], *v;
                uint32_t id;

                if (!arg)
                        return log_error_errno(EINVAL, "Argument %d is missing.", i);

                if (strcmp(arg, "--") == 0) {
                        i++;
                        break;
                }

                if ((v = option_value(arg, "--id"))) {
                        if (a.id)
                                return log_error_errno(EINVAL, "--id= given twice.");
                        if (!id_valid(v))
                                return log_error_errno(EINVAL, "Invalid --id=%s: expected %d lowercase hex characters.", v, SHIM_ID_LENGTH);
                        a.id = v;
                } else if ((v = option_value(arg, "--uid"))) {
                        if (have_uid)
                                return log_error_errno(EINVAL, "--uid= given twice.");
                        if (parse_id(v, &id) < 0)
                                return log_error_errno(EINVAL, "Invalid --uid=%s.", v);
                        a.uid = id;
                        have_uid = true;
                } else if ((v = option_value(arg, "--gid"))) {
                        if (have_gid)
                                return log_error_errno(EINVAL, "--gid= given twice.");
                        if (parse_id(v, &id) < 0)
                                return log_error_errno(EINVAL, "Invalid --gid=%s.", v);
                        a.gid = id;
                        have_gid = true;
                } else if ((v = option_value(arg, "--groups"))) {
                        if (have_groups)
                                return log_error_errno(EINVAL, "--groups= given twice.");
                        r = parse_groups(v, &groups, &n_groups);
                        if (r == -ENOMEM)
                                return log_error_errno(r, "Out of memory.");
                        if (r < 0)
                                return log_error_errno(EINVAL, "Invalid --groups=%s.", v);
                        have_groups = true;
                } else if ((v = option_value(arg, "--workdir"))) {
                        if (a.workdir)
                                return log_error_errno(EINVAL, "--workdir= given twice.");
                        if (v[0] != '/')
                                return log_error_errno(EINVAL, "Invalid --workdir=%s: not an absolute path.", v);
                        a.workdir = v;
                } else if ((v = option_value(arg, "--status"))) {
                        if (a.status_path)
                                return log_error_errno(EINVAL, "--status= given twice.");
                        if (v[0] != '/')
                                return log_error_errno(EINVAL, "Invalid --status=%s: not an absolute path.", v);
                        a.status_path = v;
                } else if ((v = option_value(arg, "--output"))) {
                        if (have_output)
                                return log_error_errno(EINVAL, "--output= given twice.");
                        if (strcmp(v, "journal") == 0)
                                a.output = SHIM_OUTPUT_JOURNAL;
                        else if (strcmp(v, "inherit") == 0)
                                a.output = SHIM_OUTPUT_INHERIT;
                        else
                                return log_error_errno(EINVAL, "Invalid --output=%s: expected journal or inherit.", v);
                        have_output = true;
                } else if ((v = option_value(arg, "--env"))) {
                        if (!env_entry_valid(v))
                                return log_error_errno(EINVAL, "Invalid --env=%s: expected NAME=VALUE.", v);
                        env[n_env++] = (char *) v;
                } else
                        return log_error_errno(EINVAL, "Unknown argument '%s'.", arg);
        }

        if (!a.id)
                return log_error_errno(EINVAL, "--id= is required.");
        if (!have_uid)
                return log_error_errno(EINVAL, "--uid= is required.");
        if (!have_gid)
                return log_error_errno(EINVAL, "--gid= is required.");
        if (!a.workdir)
                return log_error_errno(EINVAL, "--workdir= is required.");
        if (!a.status_path)
                return log_error_errno(EINVAL, "--status= is required.");
        if (i >= argc || !argv[i] || !argv[i][0])
                return log_error_errno(EINVAL, "No command given after '--'.");
        for (int j = i; j < argc; j++)
                if (!argv[j])
                        return log_error_errno(EINVAL, "Argument %d is missing.", j);
        if (argv[argc])
                return log_error_errno(EINVAL, "Argument list not terminated.");

        a.command = argv + i;
        a.groups = TAKE_PTR(groups);
        a.n_groups = n_groups;
        a.env = TAKE_PTR(env);
        a.n_env = n_env;
        *ret = a;
        return 0;
}

const char *shim_command_identifier(const char *command) {
        const char *slash = strrchr(command, '/');
        if (slash && slash[1])
                return slash + 1;
        return command;
}
