/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Address leases (lease.c) in a temporary directory, and the networks of
 * jobworkerd.conf (network-config.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "lease.h"
#include "macro.h"
#include "network-config.h"

#define A(a, b, c, d) ((uint32_t) (a) << 24 | (uint32_t) (b) << 16 | (uint32_t) (c) << 8 | (uint32_t) (d))

static char dir[64];

static int setup(void **state) {
        snprintf(dir, sizeof dir, "/tmp/test-lease.XXXXXX");
        assert_non_null(mkdtemp(dir));
        strcat(dir, "/leases");   /* made by the first take */
        return 0;
}

static int teardown(void **state) {
        char cmd[128];
        *strrchr(dir, '/') = 0;
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
        return 0;
}

static int count_lease(const char *network, uint32_t address, const char *job_id, uid_t uid, void *userdata) {
        (*(unsigned *) userdata)++;
        return 0;
}

static void test_take_release(void **state) {
        char holder[13];
        unsigned n = 0;

        assert_int_equal(lease_take(dir, "bridge", A(10, 89, 0, 7), "aaaaaaaaaaaa", 1000, holder), 0);
        /* The same address again, for another job: refused, naming the holder. */
        assert_int_equal(lease_take(dir, "bridge", A(10, 89, 0, 7), "bbbbbbbbbbbb", 1001, holder), -EADDRINUSE);
        assert_string_equal(holder, "aaaaaaaaaaaa");
        /* Another network is another address space. */
        assert_int_equal(lease_take(dir, "lab", A(10, 89, 0, 7), "bbbbbbbbbbbb", 1001, holder), 0);
        assert_int_equal(lease_foreach(dir, count_lease, &n), 0);
        assert_int_equal(n, 2);
        /* Only its holder gives it back. */
        assert_int_equal(lease_release(dir, "bridge", A(10, 89, 0, 7), "bbbbbbbbbbbb"), -EPERM);
        assert_int_equal(lease_release(dir, "bridge", A(10, 89, 0, 7), "aaaaaaaaaaaa"), 0);
        assert_int_equal(lease_release(dir, "bridge", A(10, 89, 0, 7), "aaaaaaaaaaaa"), -ENOENT);
        assert_int_equal(lease_take(dir, "bridge", A(10, 89, 0, 7), "bbbbbbbbbbbb", 1001, holder), 0);
        /* Names that are not one directory. */
        assert_int_equal(lease_take(dir, "../x", A(10, 89, 0, 7), "cccccccccccc", 1, holder), -EINVAL);
        assert_int_equal(lease_take(dir, "", A(10, 89, 0, 7), "cccccccccccc", 1, holder), -EINVAL);
        assert_int_equal(lease_take(dir, "bridge", A(10, 89, 0, 8), "not-an-id", 1, holder), -EINVAL);
}

static void test_take_any(void **state) {
        NetSubnet s = { .network = A(10, 89, 0, 0), .prefix = 29 };   /* hosts .1-.6 */
        uint32_t gw = A(10, 89, 0, 1), a, seen = 0;
        char id[13];

        /* Five hosts besides the gateway, each handed out once. */
        for (int i = 0; i < 5; i++) {
                snprintf(id, sizeof id, "%012x", i);
                assert_int_equal(lease_take_any(dir, "n", &s, gw, 0, id, 1000, &a), 0);
                assert_true(a >= A(10, 89, 0, 2) && a <= A(10, 89, 0, 6));
                assert_false(seen & (1u << (a & 7)));
                seen |= 1u << (a & 7);
        }
        assert_int_equal(lease_take_any(dir, "n", &s, gw, 0, "ffffffffffff", 1000, &a), -EADDRNOTAVAIL);
        /* One given back is found again, from any hint. */
        assert_int_equal(lease_release(dir, "n", A(10, 89, 0, 4), "000000000002"), 0);
        assert_int_equal(lease_take_any(dir, "n", &s, gw, 3, "ffffffffffff", 1000, &a), 0);
        assert_true(a == A(10, 89, 0, 4));
        /* The hint picks where the search begins. */
        assert_int_equal(lease_release(dir, "n", A(10, 89, 0, 2), "000000000000"), 0);
        assert_int_equal(lease_release(dir, "n", A(10, 89, 0, 6), "000000000004"), 0);
        assert_int_equal(lease_take_any(dir, "n", &s, gw, 4, "eeeeeeeeeeee", 1000, &a), 0);
        assert_true(a == A(10, 89, 0, 6));
        assert_int_equal(lease_take_any(dir, "n", &s, gw, 4, "dddddddddddd", 1000, &a), 0);
        assert_true(a == A(10, 89, 0, 2));
}

static void test_malformed_removed(void **state) {
        char path[128];
        unsigned n = 0;
        FILE *f;

        assert_int_equal(lease_take(dir, "bridge", A(10, 89, 0, 9), "aaaaaaaaaaaa", 0, NULL), 0);
        snprintf(path, sizeof path, "%s/bridge/10.89.0.10", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("garbage", f);
        fclose(f);
        snprintf(path, sizeof path, "%s/bridge/.aaaaaaaaaaaa.tmp", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fclose(f);
        assert_int_equal(lease_foreach(dir, count_lease, &n), 0);
        assert_int_equal(n, 1);
        snprintf(path, sizeof path, "%s/bridge/10.89.0.10", dir);
        assert_int_equal(access(path, F_OK), -1);
        /* Freed, a malformed one can be taken. */
        assert_int_equal(lease_take(dir, "bridge", A(10, 89, 0, 10), "bbbbbbbbbbbb", 0, NULL), 0);
}

static void build(const char *text, int expected, NetworkList *l) {
        Settings s;
        ConfigError e = {};
        settings_init(&s);
        print_message("%s\n", text);
        assert_int_equal(config_parse_text(&s, "test.conf", text, &e), 0);
        assert_int_equal(network_list_build(&s, l, &e), expected);
        if (e.message)
                print_message("  -> %s\n", e.message);
        assert_true(expected == 0 || e.message);
        config_error_done(&e);
        settings_done(&s);
}

static void test_networks(void **state) {
        NetworkList l = {};
        const Network *n;
        Settings s;
        ConfigError e = {};

        build("", 0, &l);
        n = network_list_find(&l, "bridge");
        assert_non_null(n);
        assert_string_equal(n->bridge, "jobworker0");
        assert_true(n->subnet.network == A(10, 89, 0, 0) && n->subnet.prefix == 24);
        assert_true(n->gateway == A(10, 89, 0, 1));
        assert_int_equal(n->mtu, 1500);
        assert_null(n->group);
        assert_null(network_list_find(&l, "none"));
        network_list_done(&l);

        build("[Network \"lab\"]\nBridge=br-lab\nSubnet=192.168.50.0/24\nMTU=9000\nGroup=labusers\n"
              "[Network \"bridge\"]\nMTU=1400\n", 0, &l);
        n = network_list_find(&l, "lab");
        assert_non_null(n);
        assert_string_equal(n->bridge, "br-lab");
        assert_true(n->gateway == A(192, 168, 50, 1));   /* the first host by default */
        assert_int_equal(n->mtu, 9000);
        assert_string_equal(n->group, "labusers");
        assert_int_equal(network_list_find(&l, "bridge")->mtu, 1400);
        network_list_done(&l);

        build("[Network \"lab\"]\nBridge=br-lab\nSubnet=192.168.50.0/24\nGateway=192.168.50.254\n", 0, &l);
        assert_true(network_list_find(&l, "lab")->gateway == A(192, 168, 50, 254));
        network_list_done(&l);

        /* Whole-section problems. */
        build("[Network \"lab\"]\nBridge=br-lab\n", -EINVAL, &l);
        build("[Network \"lab\"]\nSubnet=192.168.50.0/24\n", -EINVAL, &l);
        build("[Network \"lab\"]\nBridge=br-lab\nSubnet=192.168.50.0/24\nGateway=192.168.51.1\n", -EINVAL, &l);
        build("[Network \"lab\"]\nBridge=br-lab\nSubnet=192.168.50.0/24\nGateway=192.168.50.255\n", -EINVAL, &l);
        build("[Network \"lab\"]\nBridge=jobworker0\nSubnet=192.168.50.0/24\n", -EINVAL, &l);
        build("[Network \"lab\"]\nBridge=br-lab\nSubnet=10.89.0.128/25\n", -EINVAL, &l);
        build("[Network \"lab\"]\nBridge=br-lab\nSubnet=10.0.0.0/8\n", -EINVAL, &l);

        /* Bad keys and values are refused while the file is read. */
        static const char *const bad[] = {
                "[Network \"lab\"]\nBridge=this-name-is-too-long\n",
                "[Network \"lab\"]\nBridge=br/0\n",
                "[Network \"lab\"]\nSubnet=192.168.50.1/24\n",
                "[Network \"lab\"]\nSubnet=192.168.50.0/31\n",
                "[Network \"lab\"]\nSubnet=192.168.50.0\n",
                "[Network \"lab\"]\nGateway=192.168.50.300\n",
                "[Network \"lab\"]\nMTU=67\n",
                "[Network \"lab\"]\nMTU=65536\n",
                "[Network \"lab\"]\nGroup=-x\n",
                "[Network \"lab\"]\nAddress=10.0.0.0/24\n",
                "[Network \"none\"]\nBridge=br0\n",
                "[Network \"a/b\"]\nBridge=br0\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                settings_init(&s);
                print_message("%s\n", bad[i]);
                assert_int_equal(config_parse_text(&s, "test.conf", bad[i], &e), -EINVAL);
                assert_non_null(e.message);
                print_message("  -> %s\n", e.message);
                config_error_done(&e);
                settings_done(&s);
        }
}

static void test_host_interface_name(void **state) {
        char name[NETWORK_IFNAME_MAX + 1];

        assert_int_equal(network_host_interface_name("0123456789ab", name), 0);
        assert_string_equal(name, "jw0123456789ab");
        assert_true(network_ifname_valid(name));
        assert_int_equal(network_host_interface_name("xyz", name), -EINVAL);
}

/* What the shim gets to wire the veth and make the bridge with. */
static void test_shim_network(void **state) {
        NetworkList l = {};
        ShimNetwork sn;

        build("[Network \"lab\"]\nBridge=jwlab0\nSubnet=10.90.0.0/28\nGateway=10.90.0.14\nMTU=1400\n", 0, &l);
        const Network *n = network_list_find(&l, "lab");
        assert_non_null(n);
        assert_int_equal(network_shim_network(n, "0123456789ab", A(10, 90, 0, 3), &sn), 0);
        assert_string_equal(sn.bridge, "jwlab0");
        assert_string_equal(sn.host_interface, "jw0123456789ab");
        assert_true(sn.address == A(10, 90, 0, 3));
        assert_int_equal(sn.prefix, 28);
        assert_true(sn.gateway == A(10, 90, 0, 14));
        assert_int_equal(sn.mtu, 1400);
        /* It goes through the spec whole. */
        char *command[] = { "true", NULL };
        ShimSpec in = { .id = "0123456789ab", .workdir = "/", .status_path = "/s", .command = command, .network = &sn };
        _cleanup_(shim_spec_done) ShimSpec out = {};
        _cleanup_free_ char *buf = NULL;
        size_t size;
        assert_int_equal(shim_spec_encode(&in, &buf, &size), 0);
        assert_int_equal(shim_spec_decode(buf, size, &out, NULL), 0);
        assert_memory_equal(out.network, &sn, sizeof sn);
        /* Not on the network, or not a job: refused. */
        assert_int_equal(network_shim_network(n, "0123456789ab", A(10, 89, 0, 3), &sn), -EINVAL);
        assert_int_equal(network_shim_network(n, "xyz", A(10, 90, 0, 3), &sn), -EINVAL);
        assert_int_equal(network_shim_network(NULL, "0123456789ab", A(10, 90, 0, 3), &sn), -EINVAL);
        network_list_done(&l);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_take_release, setup, teardown),
                cmocka_unit_test_setup_teardown(test_take_any, setup, teardown),
                cmocka_unit_test_setup_teardown(test_malformed_removed, setup, teardown),
                cmocka_unit_test(test_networks),
                cmocka_unit_test(test_host_interface_name),
                cmocka_unit_test(test_shim_network),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
