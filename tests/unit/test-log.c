/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"

/* log_*_errno must hand back a negative errno whatever sign it was given,
 * so "return log_error_errno(r, ...)" propagates the error unchanged. */
static void test_log_returns_negative_errno(void **state) {
        log_set_max_level(LOG_EMERG - 1);
        assert_int_equal(log_error_errno(EINVAL, "x"), -EINVAL);
        assert_int_equal(log_error_errno(-ENOENT, "x"), -ENOENT);
        assert_int_equal(log_info("no error"), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_log_returns_negative_errno),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
