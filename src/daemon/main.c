/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworkerd entry point. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "manager.h"

int main(int argc, char *argv[]) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        if (argc > 1 && strcmp(argv[1], "--version") == 0) {
                printf("jobworkerd %s\n", PACKAGE_VERSION);
                return 0;
        }
        if (argc > 1) {
                fprintf(stderr, "Usage: jobworkerd [--version]\n"
                                "jobworkerd is started by D-Bus activation; see jobworkerd(8).\n");
                return 2;
        }

        log_open("jobworkerd");

        r = manager_new(&m);
        if (r < 0)
                return 1;
        r = manager_startup(m);
        if (r < 0)
                return 1;
        log_info("jobworkerd %s running.", PACKAGE_VERSION);
        r = manager_run(m);
        return r < 0 ? 1 : 0;
}
