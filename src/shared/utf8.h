/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one strict UTF-8 validator (the daemon's D-Bus strings, the CLI's
 * JSON and shell quoting). Pure functions. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when the
 * bytes there are not one (or n is 0). Overlong forms, surrogates and code
 * points above U+10FFFF are invalid. On success, *ret_codepoint (if not
 * NULL) is the code point. */
size_t utf8_sequence_length(const uint8_t *p, size_t n, uint32_t *ret_codepoint);
