/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The job spec's wire format (shim-spec.h): one encoder, one strict
 * decoder, no syscalls. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse-util.h"
#include "shim-spec.h"

typedef enum SpecKey {
        KEY_ID,
        KEY_UID,
        KEY_GID,
        KEY_GROUP,
        KEY_WORKDIR,
        KEY_STATUS,
        KEY_OUTPUT,
        KEY_USER_RUNTIME_DIRECTORY,
        KEY_ROOT,
        KEY_HOST_SYSTEM,
        KEY_PRIVATE_TMP,
        KEY_BIND,
        KEY_TERMINAL,
        KEY_TERMINAL_SOCKET,
        KEY_NETWORK,
        KEY_ENV,
        KEY_ARGV,
        _KEY_MAX,
} SpecKey;

static const char *const key_names[_KEY_MAX] = {
        [KEY_ID] = "ID",
        [KEY_UID] = "UID",
        [KEY_GID] = "GID",
        [KEY_GROUP] = "GROUP",
        [KEY_WORKDIR] = "WORKDIR",
        [KEY_STATUS] = "STATUS",
        [KEY_OUTPUT] = "OUTPUT",
        [KEY_USER_RUNTIME_DIRECTORY] = "USER_RUNTIME_DIRECTORY",
        [KEY_ROOT] = "ROOT",
        [KEY_HOST_SYSTEM] = "HOST_SYSTEM",
        [KEY_PRIVATE_TMP] = "PRIVATE_TMP",
        [KEY_BIND] = "BIND",
        [KEY_TERMINAL] = "TERMINAL",
        [KEY_TERMINAL_SOCKET] = "TERMINAL_SOCKET",
        [KEY_NETWORK] = "NETWORK",
        [KEY_ENV] = "ENV",
        [KEY_ARGV] = "ARGV",
};

static bool key_repeats(SpecKey k) {
        return k == KEY_GROUP || k == KEY_ENV || k == KEY_ARGV || k == KEY_BIND;
}

/* The key of record r (NUL-terminated), with *ret_value after its '='. */
static int record_key(const char *r, const char **ret_value) {
        const char *eq = strchr(r, '=');

        if (!eq)
                return -EINVAL;
        for (SpecKey k = 0; k < _KEY_MAX; k++)
                if ((size_t) (eq - r) == strlen(key_names[k]) && strncmp(r, key_names[k], (size_t) (eq - r)) == 0) {
                        *ret_value = eq + 1;
                        return (int) k;
                }
        return -EINVAL;
}

/* uid_t/gid_t: canonical decimal (no sign, no leading zero), and not
 * (uid_t) -1, which means "unchanged" to the kernel. */
static int parse_id(const char *s, uint32_t *ret) {
        uint64_t v = 0;

        if (!*s || strlen(s) > 10 || (s[0] == '0' && s[1]))
                return -EINVAL;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        if (v >= UINT32_MAX)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

static bool path_valid(const char *s) {
        return s && s[0] == '/';
}

static bool bind_valid(const ShimBind *b) {
        return b && path_valid(b->source) && path_valid(b->destination);
}

/* "ro|rw:LEN:SOURCEDEST" into b, with the two paths copied NUL-terminated
 * to *strings (advanced past them). */
static int parse_bind(const char *value, ShimBind *b, char **strings) {
        const char *p;
        uint32_t len;

        if (strncmp(value, "ro:", 3) == 0)
                b->read_only = true;
        else if (strncmp(value, "rw:", 3) == 0)
                b->read_only = false;
        else
                return -EINVAL;
        value += 3;
        p = strchr(value, ':');
        if (!p || p - value > 10)
                return -EINVAL;
        char digits[11] = {};
        memcpy(digits, value, (size_t) (p - value));
        if (parse_id(digits, &len) < 0 || len == 0 || strlen(p + 1) <= len)
                return -EINVAL;
        p++;
        char *source = *strings, *destination = source + len + 1;
        memcpy(source, p, len);
        source[len] = 0;
        strcpy(destination, p + len);
        *strings = destination + strlen(destination) + 1;
        b->source = source;
        b->destination = destination;
        return bind_valid(b) ? 0 : -EINVAL;
}

static bool network_valid(const ShimNetwork *n) {
        NetSubnet subnet = { .prefix = n->prefix };

        if (!net_ifname_valid(n->bridge) || !net_ifname_valid(n->host_interface) ||
            n->prefix < NET_SUBNET_PREFIX_MIN || n->prefix > NET_SUBNET_PREFIX_MAX ||
            n->mtu < 68 || n->mtu > 65535)
                return false;
        subnet.network = n->address & net_prefix_mask(n->prefix);
        return net_address_check(&subnet, n->gateway, n->address, n->prefix) == NET_ADDRESS_OK &&
               net_address_check(&subnet, 0, n->gateway, n->prefix) == NET_ADDRESS_OK;
}

static int format_network(const ShimNetwork *n, char *buf, size_t size) {
        char a[NET_ADDRESS_STRING_MAX], g[NET_ADDRESS_STRING_MAX];
        return snprintf(buf, size, "%s %s %s/%u %s %u", n->bridge, n->host_interface,
                        net_address_format(n->address, a), n->prefix, net_address_format(n->gateway, g), n->mtu);
}

/* "BRIDGE HOSTIF ADDR/PREFIX GATEWAY MTU", each part as format_network() writes it. */
static int parse_network(const char *value, ShimNetwork *ret) {
        char parts[5][32], again[128];
        const char *p = value;
        ShimNetwork n = {};
        uint64_t mtu;

        for (int i = 0; i < 5; i++) {
                size_t len = strcspn(p, " ");
                if (len == 0 || len >= sizeof parts[i] || (i < 4 ? p[len] != ' ' : p[len] != 0))
                        return -EINVAL;
                memcpy(parts[i], p, len);
                parts[i][len] = 0;
                p += len + (i < 4);
        }
        if (strlen(parts[0]) > NET_IFNAME_MAX || strlen(parts[1]) > NET_IFNAME_MAX)
                return -EINVAL;
        strcpy(n.bridge, parts[0]);
        strcpy(n.host_interface, parts[1]);
        if (net_address_prefix_parse(parts[2], &n.address, &n.prefix) != 1 ||
            net_address_parse(parts[3], &n.gateway) < 0 || parse_uint64(parts[4], &mtu) < 0 || mtu > 65535)
                return -EINVAL;
        n.mtu = (uint32_t) mtu;
        if (!network_valid(&n))
                return -EINVAL;
        /* Canonical only: what the encoder writes, byte for byte. */
        format_network(&n, again, sizeof again);
        if (strcmp(again, value) != 0)
                return -EINVAL;
        *ret = n;
        return 0;
}

static bool env_valid(const char *s) {
        return parse_env_assignment_valid(s, strlen(s));
}

/* Appends record and its NUL at *p (NULL: only counts) and adds its size to *size. */
static void put_record(char **p, size_t *size, const char *record) {
        size_t n = strlen(record) + 1;

        if (*p) {
                memcpy(*p, record, n);
                *p += n;
        }
        *size += n;
}

/* Appends "KEY=VALUE\0" at *p (NULL: only counts) and adds its size to *size. */
static void put(char **p, size_t *size, const char *key, const char *value) {
        size_t k = strlen(key), v = strlen(value);

        if (*p) {
                memcpy(*p, key, k);
                (*p)[k] = '=';
                memcpy(*p + k + 1, value, v + 1);
                *p += k + 1 + v + 1;
        }
        *size += k + 1 + v + 1;
}

static void put_u32(char **p, size_t *size, const char *key, uint32_t v) {
        char buf[16];
        snprintf(buf, sizeof buf, "%u", v);
        put(p, size, key, buf);
}

static void put_all(const ShimSpec *s, char **p, size_t *size) {
        put_record(p, size, SHIM_SPEC_VERSION_RECORD);
        put(p, size, "ID", s->id);
        put_u32(p, size, "UID", s->uid);
        put_u32(p, size, "GID", s->gid);
        for (size_t i = 0; i < s->n_groups; i++)
                put_u32(p, size, "GROUP", s->groups[i]);
        put(p, size, "WORKDIR", s->workdir);
        put(p, size, "STATUS", s->status_path);
        put(p, size, "OUTPUT", s->output == SHIM_OUTPUT_INHERIT ? "inherit" : "journal");
        put(p, size, "USER_RUNTIME_DIRECTORY", s->user_runtime_directory ? "yes" : "no");
        if (s->root_directory)
                put(p, size, "ROOT", s->root_directory);
        put(p, size, "HOST_SYSTEM", s->host_system ? "yes" : "no");
        put(p, size, "PRIVATE_TMP", s->private_tmp ? "yes" : "no");
        for (size_t i = 0; i < s->n_binds; i++) {
                const ShimBind *b = &s->binds[i];
                size_t n = strlen(b->source);
                char head[32];

                snprintf(head, sizeof head, "BIND=%s:%zu:", b->read_only ? "ro" : "rw", n);
                if (*p) {
                        size_t h = strlen(head), d = strlen(b->destination);
                        memcpy(*p, head, h);
                        memcpy(*p + h, b->source, n);
                        memcpy(*p + h + n, b->destination, d + 1);
                        *p += h + n + d + 1;
                }
                *size += strlen(head) + n + strlen(b->destination) + 1;
        }
        if (s->terminal != SHIM_TERMINAL_NONE) {
                put(p, size, "TERMINAL", s->terminal == SHIM_TERMINAL_WAIT ? "wait" : "now");
                put(p, size, "TERMINAL_SOCKET", s->terminal_socket);
        }
        if (s->network) {
                char buf[128];
                format_network(s->network, buf, sizeof buf);
                put(p, size, "NETWORK", buf);
        }
        for (char **e = s->env; e && *e; e++)
                put(p, size, "ENV", *e);
        for (char **a = s->command; *a; a++)
                put(p, size, "ARGV", *a);
}

int shim_spec_encode(const ShimSpec *s, char **ret, size_t *ret_size) {
        size_t size = 0;
        char *buf, *p = NULL;

        assert(s);
        assert(ret);
        assert(ret_size);

        if (!s->id || !job_id_valid(s->id) || s->uid == (uid_t) -1 || s->gid == (gid_t) -1 ||
            !path_valid(s->workdir) || !path_valid(s->status_path) ||
            (s->output != SHIM_OUTPUT_JOURNAL && s->output != SHIM_OUTPUT_INHERIT) ||
            !s->command || !s->command[0] || !s->command[0][0] ||
            s->n_groups > SHIM_SPEC_GROUPS_MAX || (s->n_groups > 0 && !s->groups) ||
            (s->root_directory && !path_valid(s->root_directory)) ||
            (s->host_system && !s->root_directory) ||
            (s->terminal != SHIM_TERMINAL_NONE && s->terminal != SHIM_TERMINAL_WAIT &&
             s->terminal != SHIM_TERMINAL_NOW) ||
            (s->terminal != SHIM_TERMINAL_NONE && !path_valid(s->terminal_socket)) ||
            s->n_binds > SHIM_SPEC_BINDS_MAX || (s->n_binds > 0 && !s->binds) ||
            (s->network && !network_valid(s->network)))
                return -EINVAL;
        for (size_t i = 0; i < s->n_binds; i++)
                if (!bind_valid(&s->binds[i]))
                        return -EINVAL;
        for (size_t i = 0; i < s->n_groups; i++)
                if (s->groups[i] == (gid_t) -1)
                        return -EINVAL;
        for (char **e = s->env; e && *e; e++)
                if (!env_valid(*e))
                        return -EINVAL;

        put_all(s, &p, &size);
        if (size > SHIM_SPEC_SIZE_MAX)
                return -E2BIG;

        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        p = buf;
        size_t check = 0;
        put_all(s, &p, &check);
        assert(check == size && (size_t) (p - buf) == size);

        *ret = buf;
        *ret_size = size;
        return 0;
}

void shim_spec_done(ShimSpec *s) {
        if (!s)
                return;
        free(s->storage);
        *s = (ShimSpec) {};
}

static int fail(const char **ret_error, const char *what) {
        if (ret_error)
                *ret_error = what;
        return -EINVAL;
}

int shim_spec_decode(const char *data, size_t size, ShimSpec *ret, const char **ret_error) {
        size_t counts[_KEY_MAX] = {}, n_records = 0;
        ShimSpec s = { .output = SHIM_OUTPUT_JOURNAL };
        const char *value;
        int k;

        assert(data || size == 0);
        assert(ret);

        if (size == 0)
                return fail(ret_error, "the spec is empty");
        if (size > SHIM_SPEC_SIZE_MAX) {
                if (ret_error)
                        *ret_error = "the spec is too large";
                return -E2BIG;
        }
        if (data[size - 1] != 0)
                return fail(ret_error, "the spec does not end in NUL");

        /* First pass: the shape, and how much room the lists need. */
        for (const char *r = data; r < data + size; r += strlen(r) + 1, n_records++) {
                if (!*r)
                        return fail(ret_error, "the spec holds an empty record");
                if (n_records == 0) {
                        if (strcmp(r, SHIM_SPEC_VERSION_RECORD) != 0)
                                return fail(ret_error, "the spec is not version 1");
                        continue;
                }
                k = record_key(r, &value);
                if (k < 0)
                        return fail(ret_error, "the spec holds an unknown record");
                if (counts[k] > 0 && !key_repeats(k))
                        return fail(ret_error, "the spec repeats a record");
                counts[k]++;
        }
        if (counts[KEY_GROUP] > SHIM_SPEC_GROUPS_MAX)
                return fail(ret_error, "the spec has too many groups");
        if (counts[KEY_BIND] > SHIM_SPEC_BINDS_MAX)
                return fail(ret_error, "the spec has too many binds");
        if (counts[KEY_ID] == 0 || counts[KEY_UID] == 0 || counts[KEY_GID] == 0 ||
            counts[KEY_WORKDIR] == 0 || counts[KEY_STATUS] == 0 || counts[KEY_ARGV] == 0)
                return fail(ret_error, "the spec lacks a required record");

        /* One allocation: the two string arrays, the binds, the groups, the
         * bytes, and room for the bind paths split apart (they are shorter
         * than the records they come from). */
        size_t n_env = counts[KEY_ENV], n_argv = counts[KEY_ARGV], n_groups = counts[KEY_GROUP];
        size_t n_binds = counts[KEY_BIND];
        size_t arrays = (n_env + 1 + n_argv + 1) * sizeof(char *) + n_binds * sizeof(ShimBind) + sizeof(ShimNetwork);
        _cleanup_free_ void *storage = malloc(arrays + n_groups * sizeof(gid_t) + 2 * size);
        if (!storage)
                return -ENOMEM;
        char **env = storage, **argv = env + n_env + 1;
        ShimBind *binds = (ShimBind *) (argv + n_argv + 1);
        ShimNetwork *network = (ShimNetwork *) (binds + n_binds);
        gid_t *groups = (gid_t *) ((uint8_t *) storage + arrays);
        char *copy = (char *) (groups + n_groups), *bind_strings = copy + size;
        size_t i_env = 0, i_argv = 0, i_groups = 0, i_binds = 0;

        memcpy(copy, data, size);
        for (char *r = copy + strlen(copy) + 1; r < copy + size; r += strlen(r) + 1) {
                uint32_t id;

                k = record_key(r, &value);
                assert(k >= 0);
                switch ((SpecKey) k) {
                case KEY_ID:
                        if (!job_id_valid(value))
                                return fail(ret_error, "the spec's ID is not 12 lowercase hex characters");
                        s.id = value;
                        break;
                case KEY_UID:
                case KEY_GID:
                case KEY_GROUP:
                        if (parse_id(value, &id) < 0)
                                return fail(ret_error, "the spec holds an invalid user or group id");
                        if (k == KEY_UID)
                                s.uid = id;
                        else if (k == KEY_GID)
                                s.gid = id;
                        else
                                groups[i_groups++] = id;
                        break;
                case KEY_WORKDIR:
                case KEY_STATUS:
                        if (!path_valid(value))
                                return fail(ret_error, "the spec holds a relative path");
                        if (k == KEY_WORKDIR)
                                s.workdir = value;
                        else
                                s.status_path = value;
                        break;
                case KEY_OUTPUT:
                        if (strcmp(value, "journal") == 0)
                                s.output = SHIM_OUTPUT_JOURNAL;
                        else if (strcmp(value, "inherit") == 0)
                                s.output = SHIM_OUTPUT_INHERIT;
                        else
                                return fail(ret_error, "the spec's OUTPUT is neither journal nor inherit");
                        break;
                case KEY_USER_RUNTIME_DIRECTORY:
                        if (strcmp(value, "yes") == 0)
                                s.user_runtime_directory = true;
                        else if (strcmp(value, "no") == 0)
                                s.user_runtime_directory = false;
                        else
                                return fail(ret_error, "the spec's USER_RUNTIME_DIRECTORY is neither yes nor no");
                        break;
                case KEY_ROOT:
                        if (!path_valid(value))
                                return fail(ret_error, "the spec holds a relative path");
                        s.root_directory = value;
                        break;
                case KEY_HOST_SYSTEM:
                case KEY_PRIVATE_TMP: {
                        bool b;
                        if (strcmp(value, "yes") == 0)
                                b = true;
                        else if (strcmp(value, "no") == 0)
                                b = false;
                        else
                                return fail(ret_error, "the spec's HOST_SYSTEM or PRIVATE_TMP is neither yes nor no");
                        if (k == KEY_HOST_SYSTEM)
                                s.host_system = b;
                        else
                                s.private_tmp = b;
                        break;
                }
                case KEY_BIND:
                        if (parse_bind(value, &binds[i_binds], &bind_strings) < 0)
                                return fail(ret_error, "the spec holds a malformed BIND");
                        i_binds++;
                        break;
                case KEY_TERMINAL:
                        if (strcmp(value, "wait") == 0)
                                s.terminal = SHIM_TERMINAL_WAIT;
                        else if (strcmp(value, "now") == 0)
                                s.terminal = SHIM_TERMINAL_NOW;
                        else
                                return fail(ret_error, "the spec's TERMINAL is neither wait nor now");
                        break;
                case KEY_TERMINAL_SOCKET:
                        if (!path_valid(value))
                                return fail(ret_error, "the spec holds a relative path");
                        s.terminal_socket = value;
                        break;
                case KEY_NETWORK:
                        if (parse_network(value, network) < 0)
                                return fail(ret_error, "the spec holds a malformed NETWORK");
                        s.network = network;
                        break;
                case KEY_ENV:
                        if (!env_valid(value))
                                return fail(ret_error, "the spec holds an environment entry that is not NAME=VALUE");
                        env[i_env++] = (char *) value;
                        break;
                case KEY_ARGV:
                        if (i_argv == 0 && !*value)
                                return fail(ret_error, "the spec's command is empty");
                        argv[i_argv++] = (char *) value;
                        break;
                case _KEY_MAX:
                        assert(false);
                }
        }
        assert(i_env == n_env && i_argv == n_argv && i_groups == n_groups && i_binds == n_binds);
        if (s.host_system && !s.root_directory)
                return fail(ret_error, "the spec has HOST_SYSTEM without ROOT");
        if ((s.terminal != SHIM_TERMINAL_NONE) != (s.terminal_socket != NULL))
                return fail(ret_error, "the spec has TERMINAL without TERMINAL_SOCKET or the reverse");
        env[n_env] = NULL;
        argv[n_argv] = NULL;

        s.env = env;
        s.command = argv;
        s.groups = groups;
        s.n_groups = n_groups;
        s.binds = n_binds > 0 ? binds : NULL;
        s.n_binds = n_binds;
        s.storage = TAKE_PTR(storage);
        *ret = s;
        return 0;
}
