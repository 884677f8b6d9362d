// Picks the kernel table for this CPU once, from cpuid. Call sites never branch on the ISA.
#include "kernels/tables.h"

#if defined(EDGENODE_HAVE_AVX2)
#include <cpuid.h>
#endif

namespace edgenode::kernels {
namespace {

#if defined(EDGENODE_HAVE_AVX2)
// F16C straight from cpuid leaf 1: clang's __builtin_cpu_supports does not know "f16c".
bool cpu_has_f16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
}

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
}
#endif

#if defined(EDGENODE_HAVE_AVX512)
bool cpu_has_avx512_vnni() {
  __builtin_cpu_init();
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vnni");
}
#endif

struct Tables {
  const KernelTable* list[3];
  int count = 0;
  Tables() {
    list[count++] = &kScalarTable;
#if defined(EDGENODE_HAVE_AVX2)
    if (cpu_has_avx2()) list[count++] = &kAvx2Table;
#endif
#if defined(EDGENODE_HAVE_AVX512)
    if (cpu_has_avx512_vnni()) list[count++] = &kAvx512VnniTable;
#endif
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar: return "scalar";
    case Isa::avx2: return "avx2";
    case Isa::avx512_vnni: return "avx512_vnni";
  }
  return "unknown";
}

const KernelTable& best() {
  const Tables& t = tables();
  return *t.list[t.count - 1];
}

int available(const KernelTable** out, int max) {
  const Tables& t = tables();
  int n = 0;
  for (; n < t.count && n < max; ++n) out[n] = t.list[n];
  return n;
}

}  // namespace edgenode::kernels
