// The per-ISA kernel tables, visible only inside the kernels library. dispatch.cpp picks
// among them; each lives in the translation unit compiled with that ISA's flags.
#pragma once

#include "kernels/kernels.h"

namespace edgenode::kernels {

extern const KernelTable kScalarTable;
#if defined(EDGENODE_HAVE_AVX2)
extern const KernelTable kAvx2Table;
#endif
#if defined(EDGENODE_HAVE_AVX512)
extern const KernelTable kAvx512VnniTable;
#endif

}  // namespace edgenode::kernels
