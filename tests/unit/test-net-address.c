/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "macro.h"
#include "net-address.h"

#define A(a, b, c, d) ((uint32_t) (a) << 24 | (uint32_t) (b) << 16 | (uint32_t) (c) << 8 | (uint32_t) (d))

static void test_address_parse(void **state) {
        static const char *const bad[] = {
                "", "10", "10.89.0", "10.89.0.1.2", "10.89.0.256", "010.89.0.1", "10.89.00.1",
                "10.89.0.1 ", " 10.89.0.1", "+10.89.0.1", "10.89.-0.1", "10..0.1", "10.89.0.", ".10.89.0",
                "0x0a.0.0.1", "1000.0.0.1", "10.89.0.1/24", "a.b.c.d", "10.89.0.1\n",
        };
        uint32_t a = 42;

        assert_int_equal(net_address_parse("10.89.0.1", &a), 0);
        assert_true(a == A(10, 89, 0, 1));
        assert_int_equal(net_address_parse("0.0.0.0", &a), 0);
        assert_true(a == 0);
        assert_int_equal(net_address_parse("255.255.255.255", &a), 0);
        assert_true(a == UINT32_MAX);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                a = 42;
                print_message("net_address_parse(\"%s\") must fail\n", bad[i]);
                assert_int_equal(net_address_parse(bad[i], &a), -EINVAL);
                assert_true(a == 42);
        }
        assert_int_equal(net_address_parse(NULL, &a), -EINVAL);
}

static void test_address_prefix_parse(void **state) {
        static const char *const bad[] = {
                "10.89.0.7/", "10.89.0.7/33", "10.89.0.7/024", "10.89.0.7/-1", "10.89.0.7/24/1",
                "10.89.0.7//24", "10.89.0.7/ 24", "/24", "10.89.0.7/1000", "10.89.0.7/2x",
        };
        uint32_t a;
        unsigned p;

        assert_int_equal(net_address_prefix_parse("10.89.0.7/24", &a, &p), 1);
        assert_true(a == A(10, 89, 0, 7));
        assert_int_equal(p, 24);
        assert_int_equal(net_address_prefix_parse("10.89.0.7", &a, &p), 0);
        assert_int_equal(p, 0);
        assert_int_equal(net_address_prefix_parse("10.89.0.7/0", &a, &p), 1);
        assert_int_equal(p, 0);
        assert_int_equal(net_address_prefix_parse("10.89.0.7/32", &a, &p), 1);
        assert_int_equal(p, 32);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                print_message("net_address_prefix_parse(\"%s\") must fail\n", bad[i]);
                assert_int_equal(net_address_prefix_parse(bad[i], &a, &p), -EINVAL);
        }
}

static void test_subnet_parse(void **state) {
        NetSubnet s;
        char buf[NET_PREFIX_STRING_MAX];

        assert_int_equal(net_subnet_parse("10.89.0.0/24", &s), 0);
        assert_true(s.network == A(10, 89, 0, 0));
        assert_int_equal(s.prefix, 24);
        assert_string_equal(net_subnet_format(&s, buf), "10.89.0.0/24");
        assert_int_equal(net_subnet_parse("10.0.0.0/8", &s), 0);
        assert_int_equal(net_subnet_parse("192.168.7.4/30", &s), 0);
        assert_int_equal(net_subnet_parse("10.89.0.1/24", &s), -EDOM);
        assert_int_equal(net_subnet_parse("10.89.0.0/31", &s), -ERANGE);
        assert_int_equal(net_subnet_parse("10.0.0.0/7", &s), -ERANGE);
        assert_int_equal(net_subnet_parse("10.89.0.0", &s), -EINVAL);
        assert_int_equal(net_subnet_parse("10.89.0/24", &s), -EINVAL);
}

static void test_subnet_arithmetic(void **state) {
        NetSubnet s = { .network = A(10, 89, 0, 0), .prefix = 24 };
        char buf[NET_ADDRESS_STRING_MAX];

        assert_true(net_prefix_mask(24) == A(255, 255, 255, 0));
        assert_true(net_prefix_mask(0) == 0);
        assert_true(net_prefix_mask(32) == UINT32_MAX);
        assert_true(net_prefix_mask(1) == A(128, 0, 0, 0));
        assert_true(net_subnet_broadcast(&s) == A(10, 89, 0, 255));
        assert_string_equal(net_address_format(net_subnet_broadcast(&s), buf), "10.89.0.255");
        assert_true(net_subnet_contains(&s, A(10, 89, 0, 0)));
        assert_true(net_subnet_contains(&s, A(10, 89, 0, 255)));
        assert_false(net_subnet_contains(&s, A(10, 89, 1, 0)));
        assert_false(net_subnet_contains(&s, A(10, 88, 255, 255)));

        /* 254 hosts, one of them the gateway. */
        assert_int_equal(net_subnet_n_hosts(&s, A(10, 89, 0, 1)), 253);
        assert_true(net_subnet_nth_host(&s, A(10, 89, 0, 1), 0) == A(10, 89, 0, 2));
        assert_true(net_subnet_nth_host(&s, A(10, 89, 0, 1), 252) == A(10, 89, 0, 254));
        /* A gateway in the middle is skipped. */
        assert_true(net_subnet_nth_host(&s, A(10, 89, 0, 100), 98) == A(10, 89, 0, 99));
        assert_true(net_subnet_nth_host(&s, A(10, 89, 0, 100), 99) == A(10, 89, 0, 101));
        assert_true(net_subnet_nth_host(&s, A(10, 89, 0, 100), 252) == A(10, 89, 0, 254));
        /* A /30: two hosts, one the gateway. */
        NetSubnet t = { .network = A(192, 168, 7, 4), .prefix = 30 };
        assert_int_equal(net_subnet_n_hosts(&t, A(192, 168, 7, 6)), 1);
        assert_true(net_subnet_nth_host(&t, A(192, 168, 7, 6), 0) == A(192, 168, 7, 5));
        /* A gateway outside (not a host) takes no place. */
        assert_int_equal(net_subnet_n_hosts(&s, A(10, 1, 1, 1)), 254);
        /* The largest subnet does not overflow. */
        NetSubnet big = { .network = A(10, 0, 0, 0), .prefix = 8 };
        assert_int_equal(net_subnet_n_hosts(&big, A(10, 0, 0, 1)), (1 << 24) - 3);
        assert_true(net_subnet_nth_host(&big, A(10, 0, 0, 1), (1 << 24) - 4) == A(10, 255, 255, 254));
}

static void test_address_check(void **state) {
        NetSubnet s = { .network = A(10, 89, 0, 0), .prefix = 24 };
        uint32_t gw = A(10, 89, 0, 1);

        assert_int_equal(net_address_check(&s, gw, A(10, 89, 0, 7), 24), NET_ADDRESS_OK);
        assert_int_equal(net_address_check(&s, gw, A(10, 89, 0, 7), 0), NET_ADDRESS_OK);
        assert_int_equal(net_address_check(&s, gw, A(10, 89, 0, 254), 24), NET_ADDRESS_OK);
        assert_int_equal(net_address_check(&s, gw, A(10, 89, 0, 7), 16), NET_ADDRESS_WRONG_PREFIX);
        assert_int_equal(net_address_check(&s, gw, A(10, 90, 0, 7), 24), NET_ADDRESS_OUTSIDE);
        assert_int_equal(net_address_check(&s, gw, A(10, 89, 0, 0), 24), NET_ADDRESS_NETWORK);
        assert_int_equal(net_address_check(&s, gw, A(10, 89, 0, 255), 24), NET_ADDRESS_BROADCAST);
        assert_int_equal(net_address_check(&s, gw, A(10, 89, 0, 1), 24), NET_ADDRESS_GATEWAY);
        assert_string_equal(net_address_problem_to_string(NET_ADDRESS_GATEWAY), "the network's gateway address");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_address_parse),
                cmocka_unit_test(test_address_prefix_parse),
                cmocka_unit_test(test_subnet_parse),
                cmocka_unit_test(test_subnet_arithmetic),
                cmocka_unit_test(test_address_check),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
