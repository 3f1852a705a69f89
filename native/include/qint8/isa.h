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

}  // namespace qint8

#endif  // QINT8_ISA_H_
