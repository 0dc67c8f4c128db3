// The system's zlib (Debian: zlib1g-dev) for SST Sync's gzip bodies. zlib's init functions are macros that
// Swift cannot call; these wrappers are the functions behind them.
#ifndef SST_CZLIB_SHIM_H
#define SST_CZLIB_SHIM_H

#include <zlib.h>

static inline int CZlib_deflateInit2(z_streamp stream, int level, int method, int windowBits, int memLevel,
                                     int strategy) {
    return deflateInit2(stream, level, method, windowBits, memLevel, strategy);
}

static inline int CZlib_inflateInit2(z_streamp stream, int windowBits) {
    return inflateInit2(stream, windowBits);
}

#endif
