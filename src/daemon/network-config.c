/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bridged networks from jobworkerd.conf (network-config.h). */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "network-config.h"
#include "parse-util.h"

static void network_done(Network *n) {
        free(n->name);
        free(n->bridge);
        free(n->group);
        *n = (Network) {};
}

void network_list_done(NetworkList *l) {
        assert(l);
        for (size_t i = 0; i < l->n_networks; i++)
                network_done(&l->networks[i]);
        free(l->networks);
        *l = (NetworkList) {};
}

void network_list_move(NetworkList *dst, NetworkList *src) {
        assert(dst);
        assert(src);
        network_list_done(dst);
        *dst = *src;
        *src = (NetworkList) {};
}

const Network *network_list_find(const NetworkList *l, const char *name) {
        assert(l);
        if (!name)
                return NULL;
        for (size_t i = 0; i < l->n_networks; i++)
                if (strcmp(l->networks[i].name, name) == 0)
                        return &l->networks[i];
        return NULL;
}

bool network_ifname_valid(const char *name) {
        return net_ifname_valid(name);
}

int network_host_interface_name(const char *job_id, char ret[static NETWORK_IFNAME_MAX + 1]) {
        if (!job_id || !job_id_valid(job_id))
                return -EINVAL;
        snprintf(ret, NETWORK_IFNAME_MAX + 1, "jw%s", job_id);
        return 0;
}

int network_shim_network(const Network *n, const char *job_id, uint32_t address, ShimNetwork *ret) {
        char ifname[NETWORK_IFNAME_MAX + 1];
        int r;

        if (!n || !net_subnet_contains(&n->subnet, address))
                return -EINVAL;
        r = network_host_interface_name(job_id, ifname);
        if (r < 0)
                return r;
        *ret = (ShimNetwork) {
                .address = address,
                .prefix = n->subnet.prefix,
                .gateway = n->gateway,
                .mtu = n->mtu,
        };
        snprintf(ret->bridge, sizeof ret->bridge, "%s", n->bridge);
        snprintf(ret->host_interface, sizeof ret->host_interface, "%s", ifname);
        return 0;
}

/* Group=: a name (syntax as for User/Group of StartJob) or a decimal gid. */
static int group_valid(const char *s) {
        return parse_user_or_id(s, NULL) >= 0;
}

_printf_(2, 3)
static int message_set(char **ret_message, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        if (ret_message && vasprintf(ret_message, format, ap) < 0)
                *ret_message = NULL;
        va_end(ap);
        return -EINVAL;
}

int network_config_validate_entry(const char *argument, const char *key, const char *value, char **ret_message) {
        uint32_t a;
        uint64_t mtu;
        NetSubnet subnet;

        assert(argument);
        assert(key);
        assert(value);

        if (strcmp(argument, NETWORK_NONE) == 0 || !network_ifname_valid(argument) ||
            strlen(argument) > NETWORK_NAME_MAX)
                return message_set(ret_message, "[Network \"%s\"]: not a usable network name "
                                   "(letters, digits, '_', '.', '-', at most 15; \"none\" is reserved).", argument);
        if (!*value)
                return 0;        /* back to the default */
        if (strcmp(key, "Bridge") == 0) {
                if (!network_ifname_valid(value))
                        return message_set(ret_message, "[Network \"%s\"]: Bridge=%.80s is not an interface name "
                                           "(1-15 letters, digits, '_', '.' or '-').", argument, value);
                return 0;
        }
        if (strcmp(key, "Subnet") == 0) {
                int r = net_subnet_parse(value, &subnet);
                if (r == -EDOM)
                        return message_set(ret_message, "[Network \"%s\"]: Subnet=%.80s has host bits set "
                                           "(write the network address).", argument, value);
                if (r == -ERANGE)
                        return message_set(ret_message, "[Network \"%s\"]: Subnet=%.80s: the prefix length must be "
                                           "8..30.", argument, value);
                if (r < 0)
                        return message_set(ret_message, "[Network \"%s\"]: Subnet=%.80s is not an IPv4 subnet "
                                           "ADDRESS/PREFIX.", argument, value);
                return 0;
        }
        if (strcmp(key, "Gateway") == 0) {
                if (net_address_parse(value, &a) < 0)
                        return message_set(ret_message, "[Network \"%s\"]: Gateway=%.80s is not an IPv4 address.",
                                           argument, value);
                return 0;
        }
        if (strcmp(key, "MTU") == 0) {
                if (parse_uint64(value, &mtu) < 0 || mtu < NETWORK_MTU_MIN || mtu > NETWORK_MTU_MAX)
                        return message_set(ret_message, "[Network \"%s\"]: MTU=%.80s is not a number 68..65535.",
                                           argument, value);
                return 0;
        }
        if (strcmp(key, "Group") == 0) {
                if (!group_valid(value))
                        return message_set(ret_message, "[Network \"%s\"]: Group=%.80s is neither a group name nor "
                                           "a decimal gid.", argument, value);
                return 0;
        }
        return message_set(ret_message, "Unknown key %s= in section [Network \"%s\"].", key, argument);
}

static int set_error(ConfigError *e, const char *file, unsigned line, const char *message) {
        if (e && !e->message) {
                e->file = file ? strdup(file) : NULL;
                e->line = line;
                e->message = strdup(message);
        }
        return -EINVAL;
}

static int network_add(NetworkList *l, const char *name, Network **ret) {
        Network *nl = realloc(l->networks, sizeof(Network) * (l->n_networks + 1));
        if (!nl)
                return -ENOMEM;
        l->networks = nl;
        Network *n = &nl[l->n_networks];
        *n = (Network) { .name = strdup(name), .mtu = NETWORK_MTU_DEFAULT, .gid = (gid_t) -1 };
        if (!n->name)
                return -ENOMEM;
        l->n_networks++;
        *ret = n;
        return 0;
}

static int free_and_strdup_or_null(char **field, const char *value) {
        char *c = NULL;
        if (*value) {
                c = strdup(value);
                if (!c)
                        return -ENOMEM;
        }
        free(*field);
        *field = c;
        return 0;
}

typedef struct BuildState {
        NetworkList *list;
        ConfigError *error;
} BuildState;

static int apply_section(const ConfigSection *c, void *userdata) {
        BuildState *b = userdata;
        Network *n = (Network *) network_list_find(b->list, c->argument);
        bool builtin = strcmp(c->argument, NETWORK_BUILTIN_NAME) == 0;
        bool subnet_set = false, gateway_set = false;
        const char *file = c->n_entries > 0 ? c->entries[0].file : NULL;
        unsigned line = c->n_entries > 0 ? c->entries[0].line : 0;
        char buf[256];
        int r;

        if (!n) {
                r = network_add(b->list, c->argument, &n);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_entries; i++) {
                const ConfigEntry *e = &c->entries[i];
                char *message = NULL;

                r = network_config_validate_entry(c->argument, e->key, e->value, &message);
                if (r < 0) {
                        set_error(b->error, e->file, e->line, message ?: "Invalid [Network] entry.");
                        free(message);
                        return r;
                }
                if (strcmp(e->key, "Bridge") == 0)
                        r = free_and_strdup_or_null(&n->bridge, *e->value || !builtin ? e->value : NETWORK_BUILTIN_BRIDGE);
                else if (strcmp(e->key, "Subnet") == 0) {
                        subnet_set = *e->value;
                        if (*e->value)
                                (void) net_subnet_parse(e->value, &n->subnet);
                        else if (builtin)
                                (void) net_subnet_parse(NETWORK_BUILTIN_SUBNET, &n->subnet);
                        else
                                n->subnet = (NetSubnet) {};
                } else if (strcmp(e->key, "Gateway") == 0) {
                        gateway_set = *e->value;
                        n->gateway = 0;
                        if (*e->value)
                                (void) net_address_parse(e->value, &n->gateway);
                } else if (strcmp(e->key, "MTU") == 0) {
                        uint64_t v = NETWORK_MTU_DEFAULT;
                        if (*e->value)
                                (void) parse_uint64(e->value, &v);
                        n->mtu = (uint32_t) v;
                } else if (strcmp(e->key, "Group") == 0)
                        r = free_and_strdup_or_null(&n->group, e->value);
                if (r < 0)
                        return r;
        }
        /* A new subnet without its own gateway: the subnet's first host. */
        if (subnet_set && !gateway_set && (!n->gateway || !net_subnet_contains(&n->subnet, n->gateway)))
                n->gateway = n->subnet.network + 1;
        if (!n->bridge) {
                snprintf(buf, sizeof buf, "[Network \"%s\"] has no Bridge=.", c->argument);
                return set_error(b->error, file, line, buf);
        }
        if (n->subnet.prefix == 0) {
                snprintf(buf, sizeof buf, "[Network \"%s\"] has no Subnet=.", c->argument);
                return set_error(b->error, file, line, buf);
        }
        if (!n->gateway)
                n->gateway = n->subnet.network + 1;
        if (net_address_check(&n->subnet, 0, n->gateway, 0) != NET_ADDRESS_OK) {
                char g[NET_ADDRESS_STRING_MAX], s[NET_PREFIX_STRING_MAX];
                snprintf(buf, sizeof buf, "[Network \"%s\"]: Gateway=%s is not a host address of Subnet=%s.",
                         c->argument, net_address_format(n->gateway, g), net_subnet_format(&n->subnet, s));
                return set_error(b->error, file, line, buf);
        }
        return 0;
}

int network_list_build(const Settings *s, NetworkList *ret, ConfigError *error) {
        _cleanup_(network_list_done) NetworkList l = {};
        BuildState b = { .list = &l, .error = error };
        Network *n;
        int r;

        assert(s);
        assert(ret);

        r = network_add(&l, NETWORK_BUILTIN_NAME, &n);
        if (r < 0)
                return r;
        n->bridge = strdup(NETWORK_BUILTIN_BRIDGE);
        if (!n->bridge)
                return -ENOMEM;
        (void) net_subnet_parse(NETWORK_BUILTIN_SUBNET, &n->subnet);
        (void) net_address_parse(NETWORK_BUILTIN_GATEWAY, &n->gateway);

        r = config_sections_foreach(s, "Network", apply_section, &b);
        if (r < 0)
                return r;

        /* Two networks on one bridge, or overlapping, would hand out one
         * address twice. */
        for (size_t i = 0; i < l.n_networks; i++)
                for (size_t k = i + 1; k < l.n_networks; k++) {
                        const Network *x = &l.networks[i], *y = &l.networks[k];
                        unsigned p = x->subnet.prefix < y->subnet.prefix ? x->subnet.prefix : y->subnet.prefix;
                        char buf[256];
                        if (strcmp(x->bridge, y->bridge) == 0) {
                                snprintf(buf, sizeof buf, "Networks \"%s\" and \"%s\" use the same bridge %s.",
                                         x->name, y->name, x->bridge);
                                return set_error(error, NULL, 0, buf);
                        }
                        if ((x->subnet.network & net_prefix_mask(p)) == (y->subnet.network & net_prefix_mask(p))) {
                                snprintf(buf, sizeof buf, "The subnets of networks \"%s\" and \"%s\" overlap.",
                                         x->name, y->name);
                                return set_error(error, NULL, 0, buf);
                        }
                }
        *ret = l;
        l = (NetworkList) {};
        return 0;
}
