#ifndef SHOAL_CZLIB_SHIM_H
#define SHOAL_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit2 is a macro; Swift sees this function instead. */
static inline int shoal_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}
#endif
