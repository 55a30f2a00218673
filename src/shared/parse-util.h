/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing of the text forms of job options (sizes, rates, CPU fractions and
 * lists, durations) and validity checks for job ids and environment entries.
 * Pure functions: no I/O, no logging; errors are negative errno values. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CPU numbers in a list must be below this: the kernel's largest NR_CPUS
 * (CONFIG_NR_CPUS is at most 8192). */
#define CPU_LIST_MAX_CPUS 8192U

/* Length of a job id: 12 lowercase hex characters. */
#define JOB_ID_LENGTH 12U

/* Bytes, with an optional suffix K, M, G, T (powers of 1024; also KiB, MiB,
 * GiB, TiB, and B for plain bytes), uppercase as systemd writes them. A
 * decimal fraction is allowed ("1.5G") and the result is rounded down to
 * whole bytes. No whitespace, no sign.
 * Returns 0, -EINVAL on syntax errors, -ERANGE when it does not fit in 64 bits. */
int parse_size(const char *s, uint64_t *ret);

/* Bytes per second: a size as above, with an optional trailing "/s". */
int parse_rate(const char *s, uint64_t *ret);

/* A fraction of one CPU: a positive decimal ("0.5", "2") or a percentage
 * ("50%" = 0.5). Returns 0, -EINVAL on syntax errors, -ERANGE for zero or a
 * value too large to be finite. Upper caps are the caller's. */
int parse_cpu_fraction(const char *s, double *ret);

/* µs of CPU time per wall-clock second for a fraction of one CPU, rounded UP
 * to a multiple of 10000 (systemd persists CPUQuota= as a whole percent, so
 * anything finer would be lost on daemon-reload). Any f > 0 gives at least
 * 10000. f <= 0 or NaN gives 0; values that do not fit give UINT64_MAX: the
 * caller validates the range first. */
uint64_t cpu_fraction_to_quota_usec(double f);

/* A cpuset list such as "0,2-3": numbers and ranges separated by commas
 * and/or whitespace. On success *ret_mask is a newly allocated little-endian
 * bitmask in the format of systemd's AllowedCPUs (ay): byte i bit j means
 * CPU 8*i+j; *ret_size is the minimal number of bytes (so the last byte is
 * never 0). Returns 0, -EINVAL for empty input, garbage, empty elements or a
 * reversed range, -ERANGE for a CPU >= CPU_LIST_MAX_CPUS, -ENOMEM. */
int parse_cpu_list(const char *s, uint8_t **ret_mask, size_t *ret_size);

/* The canonical text of a mask: ascending, ranges merged ("0,2-3"). An
 * empty mask gives "". Returns 0 or -ENOMEM. */
int cpu_list_format(const uint8_t *mask, size_t size, char **ret);

/* Highest CPU set in a mask, or -ENOENT when none is. */
int cpu_mask_max_cpu(const uint8_t *mask, size_t size);

/* A duration: a non-negative decimal number of seconds ("1.5"), or with one
 * of the suffixes "ms", "s", "min", "h" ("250ms", "2min"). Rounded down to
 * whole µs. Zero is accepted: "> 0" checks are the caller's.
 * Returns 0, -EINVAL on syntax errors, -ERANGE on overflow. */
int parse_seconds(const char *s, uint64_t *ret_usec);

/* Strict decimal: digits only, no sign, no whitespace, no base prefix.
 * Returns 0, -EINVAL, -ERANGE. */
int parse_uint64(const char *s, uint64_t *ret);

/* A signed decimal as printf's "%d" writes it: parse_uint64()'s digits
 * behind an optional '-'. "+1", " 1", "--1" and "-0" (zero has no sign) are
 * refused. Returns 0, -EINVAL, -ERANGE. */
int parse_int(const char *s, int *ret);

/* systemd's booleans: yes/no, true/false, on/off, 1/0 (case-insensitive).
 * -EINVAL for anything else. */
int parse_boolean(const char *s, bool *ret);

/* Whether the len bytes at s (not necessarily NUL-terminated) are an
 * environment entry NAME=VALUE with NAME matching [A-Za-z_][A-Za-z0-9_]*
 * and no NUL byte anywhere (environ could not carry it). */
bool parse_env_assignment_valid(const char *s, size_t len);

/* Whether id is a job id: exactly JOB_ID_LENGTH characters of [0-9a-f]. */
bool job_id_valid(const char *id);

/* Job names (StartJob's Name option): 1..JOB_NAME_LENGTH_MAX characters of
 * [A-Za-z0-9_.-], beginning with a letter or digit (no "-x" that reads as
 * an option, no "." or ".."), and not twelve hex digits of either case,
 * which would read as a job id: wherever a job id is taken a name may
 * stand instead. */
#define JOB_NAME_LENGTH_MAX 64U
bool job_name_valid(const char *name);

/* A user or group as StartJob's User/Group take it: a decimal id below
 * 4294967295 ((uid_t) -1 means "none" to the kernel), or a name of 1..256
 * characters of [A-Za-z0-9_.-] not beginning with '-' (a trailing '$' is
 * allowed, as for Samba machine accounts). Only the syntax: whether the
 * name exists is for NSS to say. Returns 1 with *ret_id set for a number,
 * 0 for a name, -EINVAL or -ERANGE. */
int parse_user_or_id(const char *s, uint32_t *ret_id);

/* A new random job id (the first 12 hex characters of a random 128-bit id),
 * NUL-terminated. Returns 0 or the negative errno of sd_id128_randomize(). */
int job_id_generate(char ret[static JOB_ID_LENGTH + 1]);

/* A unique bus name as the bus driver hands them out: ':' and then 1-254
 * of [A-Za-z0-9._-] (":1.42"). */
bool bus_unique_name_valid(const char *name);
