/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a terminal job's init and an attached client say to each other over
 * the SOCK_SEQPACKET socket that Job.AttachTerminal() hands out (one
 * message per record, so no framing of our own):
 *   init -> client: first one byte, TERMINAL_HELLO_ATTACHED or
 *                   TERMINAL_HELLO_BUSY (another client is attached; the
 *                   socket is closed after it); then every message is
 *                   bytes the job wrote to its terminal. EOF: the job has
 *                   ended and all its output was sent.
 *   client -> init: TERMINAL_INPUT + keystrokes, or
 *                   TERMINAL_WINDOW_SIZE + a struct winsize. */
#pragma once

#define TERMINAL_HELLO_ATTACHED 'A'
#define TERMINAL_HELLO_BUSY     'B'
#define TERMINAL_INPUT          'i'
#define TERMINAL_WINDOW_SIZE    'w'

/* Payload bytes of one message at most (the type byte comes on top). */
#define TERMINAL_PAYLOAD_MAX 4096
