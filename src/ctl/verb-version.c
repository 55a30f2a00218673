/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jobworkerctl version: proves the bus, the policy and activation work. */
#include <stdio.h>

#include "bus-names.h"
#include "ctl.h"
#include "macro.h"

int verb_version(CtlContext *c, int argc, char *argv[]) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *version = NULL;
        sd_bus *bus;
        int r;

        if (argc > 1) {
                fprintf(stderr, "jobworkerctl version: takes no arguments.\n");
                return 2;
        }
        r = ctl_bus(c, &bus);
        if (r < 0)
                return 1;

        r = sd_bus_get_property_string(bus, JOBWORKER_BUS_NAME, JOBWORKER_MANAGER_PATH,
                                       JOBWORKER_MANAGER_INTERFACE, "Version", &error, &version);
        if (r < 0) {
                r = ctl_report_bus_error("Failed to query the daemon's version", &error, r);
                sd_bus_error_free(&error);
                return r;
        }
        printf("client: jobworkerctl %s\ndaemon: jobworkerd %s\n", PACKAGE_VERSION, version);
        return 0;
}
