// The kernels compiled for AVX-512 (-mavx512f -mavx2 -mfma).
#define ETO_ISA 3
#define ETO_NS eto_avx512
#define ETO_ISA_NAME "avx512"
#define ETO_TABLE eto::kernelsAvx512
#include "kernels.inc"
