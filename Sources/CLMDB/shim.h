#ifndef SHOAL_CLMDB_SHIM_H
#define SHOAL_CLMDB_SHIM_H
#include <lmdb.h>
#endif
