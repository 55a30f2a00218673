/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "output-position.h"

OutputSlice output_slice(uint64_t position, uint64_t offset, size_t len) {
        OutputSlice s = { .position = position };

        if (len == 0 || offset + len <= position)
                return s;
        if (offset > position) {
                s.gap = offset - position;
                position = offset;
        }
        s.skip = (size_t) (position - offset);
        s.length = len - s.skip;
        s.position = offset + len;
        return s;
}
