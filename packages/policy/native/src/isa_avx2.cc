// The kernels compiled for AVX2 with FMA (-mavx2 -mfma).
#define ETO_ISA 2
#define ETO_NS eto_avx2
#define ETO_ISA_NAME "avx2"
#define ETO_TABLE eto::kernelsAvx2
#include "kernels.inc"
