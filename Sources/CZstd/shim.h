#ifndef SHOAL_CZSTD_SHIM_H
#define SHOAL_CZSTD_SHIM_H
#include <zstd.h>
#endif
