/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copying a job's output (Job.GetOutput) to our stdout and stderr, byte for
 * byte, resuming without gaps or duplicates when jobworkerd goes away in the
 * middle. Used by "logs" and by "run" (which streams while it waits). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "ctl.h"

typedef enum OutputFlags {
        OUTPUT_FOLLOW = 1 << 0,  /* until the job has ended and all is delivered */
        OUTPUT_STDOUT = 1 << 1,  /* copy the job's stdout to our stdout */
        OUTPUT_STDERR = 1 << 2,  /* copy the job's stderr to our stderr */
} OutputFlags;

/* ---- pure parts (output-rule.c, unit tested) ---- */

/* What comes after a GetOutput round: both streams reached EOF, everything
 * read was written out, and then State was read on the same connection. */
typedef struct OutputRound {
        bool follow;            /* the round asked for Follow=true */
        uint64_t bytes;         /* bytes it delivered, both streams together */
        bool same_daemon;       /* the State reply came from the very daemon
                                 * (unique bus name) that answered GetOutput */
        bool finished;          /* that State was "finished" */
        bool complete;          /* and the job's StdoutBytes/StderrBytes are
                                 * known and equal to our offsets in every
                                 * stream we read: we hold all of it */
} OutputRound;

typedef enum OutputNext {
        OUTPUT_NEXT_DONE,       /* all output delivered */
        OUTPUT_NEXT_AGAIN,      /* another round now, from the offsets reached */
        OUTPUT_NEXT_AGAIN_LATER,/* another round after a pause (nothing came
                                 * and the job still runs: do not spin) */
} OutputNext;

OutputNext output_round_next(const OutputRound *round);

/* "logs [-f|--follow] [--stdout|--stderr] [--] ID". Returns 1 with *ret_id
 * and *ret_flags set; 0 for --help (for the caller to print); or
 * -CTL_EXIT_USAGE after printing why. Resets getopt itself. */
int logs_parse_argv(int argc, char *argv[], const char **ret_id, OutputFlags *ret_flags);

/* ---- the streamer ---- */

typedef struct OutputStreamer OutputStreamer;

/* Called once when streaming has ended. result: 0 = all output delivered;
 * -EPIPE = our stdout or stderr was closed by its reader (nothing printed);
 * other < 0 = gave up after printing why. Do not free the streamer from
 * within the callback. */
typedef void (*output_done_t)(OutputStreamer *s, int result, void *userdata);

/* Starts streaming the output of the job at path on event (the first
 * GetOutput goes out when the loop runs). It borrows c's bus connection
 * (attaching it to event if it is attached to no loop yet); should that one
 * break, it goes on with a connection of its own to the same host. With
 * SIGPIPE at its default a closed stdout simply ends the process, like cat. */
int output_streamer_new(sd_event *event, CtlContext *c, const char *id, const char *path,
                        OutputFlags flags, output_done_t done, void *userdata, OutputStreamer **ret);

/* Each round ends with a GetAll of the job (its State decides whether
 * another round follows); with this, the properties go to *info (replacing
 * what it held) and info_read runs (with the streamer's userdata; it must
 * not free the streamer). A caller that waits for the job to end thus
 * learns how it ended without asking again. */
struct JobInfo;
typedef void (*output_info_t)(OutputStreamer *s, void *userdata);
void output_streamer_share_info(OutputStreamer *s, struct JobInfo *info, output_info_t info_read);
/* Asks for the output now instead of on the loop's first turn (the bus must
 * be attached to the loop). */
void output_streamer_start(OutputStreamer *s);
/* The shared info now holds the job's end (Job.Wait()'s answer), from the
 * daemon with unique name sender: a round that daemon served is judged by
 * it, without reading the job's properties again (a finished job's state
 * and byte counts never change). s may be NULL. */
void output_streamer_offer_end(OutputStreamer *s, const char *sender);

/* The caller is about to replace c->bus: the streamer lets go of it (a
 * call under way on it is made again) and goes on with its own connection. */
void output_streamer_forget_bus(OutputStreamer *s);

OutputStreamer *output_streamer_free(OutputStreamer *s);

/* Bytes of the job's stdout (0) or stderr (1) delivered so far. */
uint64_t output_streamer_bytes(const OutputStreamer *s, unsigned stream);
