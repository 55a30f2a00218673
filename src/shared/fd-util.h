/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a small file or pipe whole; handing bytes to a child on a sealed
 * memfd. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Reads until EOF or until size bytes are in buf, retrying EINTR. Returns
 * the number of bytes read (== size means there may be more), or -errno. */
ssize_t read_full(int fd, void *buf, size_t size);
/* Writes all of buf (retrying EINTR and short writes); 0 or -errno. */
int write_all(int fd, const void *buf, size_t size);

/* A new memfd (O_CLOEXEC) holding size bytes of data, sealed so nobody
 * can change, grow, shrink or unseal it. Returns the fd or -errno. */
int memfd_new_sealed(const char *name, const void *data, size_t size);
/* Reads a memfd made by memfd_new_sealed() whole into a new buffer: -EPERM
 * if it is not sealed that way (a writer could change it under us),
 * -E2BIG above max bytes, else -errno. */
int memfd_read_sealed(int fd, size_t max, char **ret, size_t *ret_size);
