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

OutputTake output_take(uint64_t position, uint64_t offset, size_t len, size_t room) {
        OutputSlice s = output_slice(position, offset, len);
        OutputTake t = { .skip = s.skip, .length = s.length, .gap = s.gap, .position = s.position, .whole = true };

        if (s.length <= room)
                return t;
        /* Only the first room bytes of what is new: the position stops
         * there, the chunk stays for the next call. */
        t.length = room;
        t.position = s.position - (s.length - room);
        t.whole = false;
        return t;
}
