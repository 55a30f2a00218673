/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every jobworkerctl verb shares: the parsed global options and the bus. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

typedef struct CtlContext {
        const char *host;  /* -H [USER@]HOST, NULL = local system bus */
        sd_bus *bus;       /* opened lazily by ctl_bus() */
} CtlContext;

/* Connects to the local or remote system bus once; later calls reuse it. */
int ctl_bus(CtlContext *c, sd_bus **ret);

/* Prints a failed call's D-Bus error the way a person can act on it and
 * returns the exit code to use. */
int ctl_report_bus_error(const char *what, const sd_bus_error *error, int r);

int verb_version(CtlContext *c, int argc, char *argv[]);
