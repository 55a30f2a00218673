/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a small file or pipe whole. */
#pragma once

#include <sys/types.h>

/* Reads until EOF or until size bytes are in buf, retrying EINTR. Returns
 * the number of bytes read (== size means there may be more), or -errno. */
ssize_t read_full(int fd, void *buf, size_t size);
