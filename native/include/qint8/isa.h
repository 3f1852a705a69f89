// Instruction-set families: what this build compiled, what this CPU supports, and the choice between them.
// Kept apart from the kernels: "was this path compiled" and "does this CPU run it" are separate questions.
#ifndef QINT8_ISA_H_
#define QINT8_ISA_H_

#include <cstdint>
#include <string>
#include <vector>

namespace qint8 {

// Ordered by preference within each architecture (a higher value is faster).
enum Isa : int32_t {
  kIsaScalar = 0,
  kIsaAvx2 = 1,
  kIsaAvxVnni = 2,
  kIsaAvx512Vnni = 3,
  kIsaNeon = 4,
  kIsaNeonDot = 5,
  kIsaNeonI8mm = 6,
  kIsaCount = 7,
};

// The names used by backend().isa and QINT8_ISA.
const char* IsaName(Isa isa);
bool IsaFromName(const std::string& name, Isa* isa);

// Families the running CPU (and OS, for the register state) supports; always includes scalar.
std::vector<Isa> CpuIsas();
// Families this binary has kernels for; always includes scalar.
std::vector<Isa> CompiledIsas();
// Families both compiled and supported, best last.
std::vector<Isa> UsableIsas();
// The best usable family.
Isa BestIsa();

// The family whose kernel stands in when a kernel inventory has none for `isa`: x86's VNNI flavours do not imply
// each other and both imply AVX2; Arm i8mm implies dotprod, dotprod implies Neon; everything else falls to scalar.
Isa FallbackIsaOf(Isa isa);

// The entry of `kernels` (any inventory of structs with an `isa` member, scalar first) for `isa`, else for the
// first family down its FallbackIsaOf chain that has one, else the scalar entry kernels.front().
template <typename Kernel>
const Kernel& KernelForIsa(const std::vector<Kernel>& kernels, Isa isa) {
  for (;;) {
    for (const Kernel& kernel : kernels) {
      if (kernel.isa == isa) return kernel;
    }
    if (isa == kIsaScalar) return kernels.front();
    isa = FallbackIsaOf(isa);
  }
}

}  // namespace qint8

#endif  // QINT8_ISA_H_
