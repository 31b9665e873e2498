#include "dispatch.h"

#include <stdexcept>

namespace eto {

std::vector<std::string> supportedIsas() {
  std::vector<std::string> out;
#if defined(ETO_HAVE_X86)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    out.push_back("avx512");
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out.push_back("avx2");
#endif
  out.push_back("portable");
  return out;
}

const Kernels* kernelsFor(const std::string& isa) {
  const std::vector<std::string> ok = supportedIsas();
  const std::string want = isa.empty() || isa == "auto" ? ok.front() : isa;
  bool found = false;
  for (const auto& s : ok) found = found || s == want;
  if (!found) {
    std::string list;
    for (const auto& s : ok) list += (list.empty() ? "" : ", ") + s;
    throw std::runtime_error("instruction set '" + want + "' is not available here (available: " + list + ")");
  }
#if defined(ETO_HAVE_X86)
  if (want == "avx512") return &kernelsAvx512;
  if (want == "avx2") return &kernelsAvx2;
#endif
  return &kernelsPortable;
}

}  // namespace eto
