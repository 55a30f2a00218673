/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A job's output through Job.ReadOutput, for a bus connection that cannot
 * pass file descriptors (-H over ssh): bounded replies copied to our stdout
 * and stderr, resumed from the offsets (and cursor) reached, across lost
 * connections and daemon restarts. The output streamer (output.c) hands
 * over to it when it finds the connection cannot carry fds. */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "ctl.h"
#include "output.h"

typedef struct OutputPoller OutputPoller;

/* result as output_done_t's: 0 all delivered, -EPIPE our reader is gone,
 * other < 0 gave up after printing why. Do not free from within. */
typedef void (*output_poll_done_t)(int result, void *userdata);

/* Starts at the byte offsets in totals[] (stdout, stderr), which it keeps
 * up to date, on c's connection (reconnecting through it when lost). */
int output_poller_new(sd_event *event, CtlContext *c, const char *id, const char *path, OutputFlags flags,
                      uint64_t *totals, output_poll_done_t done, void *userdata, OutputPoller **ret);
OutputPoller *output_poller_free(OutputPoller *p);
