/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pure parts of "logs" and of output streaming: when a GetOutput round
 * ends the streaming, and the logs command line. */
#include <getopt.h>
#include <stdio.h>

#include "output.h"

/* The resume rule.
 *
 * A round that ended with EOF on both pipes is only trusted if the daemon
 * that answered GetOutput is still the one answering afterwards (same unique
 * bus name on the State read): otherwise it died, was restarted or the bus
 * went away during the round, its EOF may be early, and the round is redone
 * from the offsets reached (with or without --follow).
 *
 * Without Follow, a trusted round is the answer: EOF = end of what the
 * journal holds.
 *
 * With Follow, we stop only when a round delivered zero bytes AND the State
 * read after it (same connection, same daemon) is "finished": a job that
 * has finished writes nothing more, and a Follow round from our offsets
 * found nothing left, so we hold every byte. Any round that delivered bytes
 * is followed by another one (usually empty: one cheap extra call), unless
 * the job has finished and says how many bytes each stream holds, and our
 * offsets have reached them all: nothing can be left. A round that
 * delivered nothing while the job still runs is retried after a pause, so a
 * daemon that keeps answering EOF early cannot make us spin. */
OutputNext output_round_next(const OutputRound *round) {
        if (!round->same_daemon)
                return OUTPUT_NEXT_AGAIN;
        if (!round->follow)
                return OUTPUT_NEXT_DONE;
        if (round->finished && round->complete)
                return OUTPUT_NEXT_DONE;
        if (round->bytes > 0)
                return OUTPUT_NEXT_AGAIN;
        return round->finished ? OUTPUT_NEXT_DONE : OUTPUT_NEXT_AGAIN_LATER;
}

int logs_parse_argv(int argc, char *argv[], const char **ret_id, OutputFlags *ret_flags) {
        enum { ARG_STDOUT = 0x100, ARG_STDERR };
        static const struct option options[] = {
                { "help",   no_argument, NULL, 'h' },
                { "follow", no_argument, NULL, 'f' },
                { "stdout", no_argument, NULL, ARG_STDOUT },
                { "stderr", no_argument, NULL, ARG_STDERR },
                {}
        };
        OutputFlags flags = 0, streams = 0;
        int opt;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "hf", options, NULL)) >= 0)
                switch (opt) {
                case 'h':
                        return 0;
                case 'f':
                        flags |= OUTPUT_FOLLOW;
                        break;
                case ARG_STDOUT:
                        streams |= OUTPUT_STDOUT;
                        break;
                case ARG_STDERR:
                        streams |= OUTPUT_STDERR;
                        break;
                default:
                        return -CTL_EXIT_USAGE;
                }

        if (optind != argc - 1) {
                fprintf(stderr, "Usage: jobworkerctl logs [-f|--follow] [--stdout|--stderr] ID\n");
                return -CTL_EXIT_USAGE;
        }
        *ret_id = argv[optind];
        *ret_flags = flags | (streams ?: OUTPUT_STDOUT | OUTPUT_STDERR);
        return 1;
}
