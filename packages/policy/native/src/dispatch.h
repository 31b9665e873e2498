// Which kernel tables this build has and this CPU runs.
#pragma once
#include <string>
#include <vector>

#include "kernels.h"

namespace eto {

/** Instruction sets this build and this CPU support, best first ("avx512", "avx2", "portable"). */
std::vector<std::string> supportedIsas();

/** The kernels for `isa` ("" or "auto": the best supported); throws std::runtime_error if unsupported. */
const Kernels* kernelsFor(const std::string& isa);

}  // namespace eto
