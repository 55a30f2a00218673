/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How a job's output is laid down in the journal: the contract between the
 * shim (which writes it) and jobworkerd (which reads it back for clients).
 *
 * The shim reads the command's stdout and stderr from two pipes and sends
 * each stream in chunks, with the native protocol (binary-safe), as entries:
 *
 *   MESSAGE=<the chunk's bytes, exactly as written, any byte allowed>
 *   PRIORITY=6 (stdout) | 3 (stderr)
 *   SYSLOG_IDENTIFIER=jobworker-<id>   (never a name the job picks: a
 *                                       command called "sudo" must not
 *                                       pass for root's sudo)
 *   JOB_COMMAND=<the command as given, argv[0]>
 *   OBJECT_SYSTEMD_UNIT=jobworker-<id>.scope   (so journalctl -u finds it
 *                                               even if the shim is gone)
 *   JOB_ID=<id>
 *   JOB_STREAM=stdout | stderr
 *   JOB_OFFSET=<byte offset of the chunk's first byte within its stream>
 *
 * Chunks are sent at most every JOB_OUTPUT_FLUSH_USEC per stream unless
 * JOB_OUTPUT_CHUNK_MAX bytes are waiting (the first after a pause at once), and never more than 250 per second
 * per stream (a faster job waits on its pipe instead): this bounds the entry
 * rate below journald's per-unit rate limit (10000 per 30 s per priority at
 * the least), whatever the job prints, so nothing is suppressed. Empty
 * chunks are never sent.
 *
 * When both streams have reached EOF the shim sends one entry
 *   MESSAGE_ID=JOB_OUTPUT_END_MESSAGE_ID, JOB_ID=<id>, JOB_STREAM=end,
 *   SYSLOG_IDENTIFIER=jobworker-<id>,
 *   JOB_STDOUT_BYTES=<n>, JOB_STDERR_BYTES=<n>, MESSAGE=<summary>
 * and jobworkerd, when it has recorded how the job ended, one entry
 *   MESSAGE_ID=JOB_FINISHED_MESSAGE_ID, JOB_ID=<id>, JOB_RESULT=...,
 *   JOB_EXIT_CODE=..., JOB_EXIT_SIGNAL=..., OBJECT_SYSTEMD_UNIT=...
 * Both go through the same journald socket after the output entries, so
 * readers see them last.
 *
 * Anyone can send these fields. Readers believe an entry only from its
 * rightful sender, by journald's trusted fields: chunks and the end marker
 * with _UID=0 and _PID=<the shim's pid>, the finish record with _UID=0 and
 * _SYSTEMD_UNIT=JOBWORKERD_UNIT (or _PID=<the reading daemon's pid>). */
#pragma once

#define JOB_OUTPUT_CHUNK_MAX (256U * 1024U)
#define JOB_OUTPUT_FLUSH_USEC (50U * 1000U)

#define JOB_OUTPUT_END_MESSAGE_ID "4df766e51f884c879fc0cf4712505332"
#define JOB_FINISHED_MESSAGE_ID   "f59ba56433e645aa8059e6d3f694ce8a"

#define JOBWORKERD_UNIT "jobworkerd.service"

#define JOB_FIELD_ID     "JOB_ID"
#define JOB_FIELD_STREAM "JOB_STREAM"
#define JOB_FIELD_OFFSET "JOB_OFFSET"
#define JOB_FIELD_COMMAND "JOB_COMMAND"

#define JOB_SYSLOG_IDENTIFIER_PREFIX "jobworker-"
