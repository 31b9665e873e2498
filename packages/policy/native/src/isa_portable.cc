// The kernels compiled for the baseline instruction set (no extra flags).
#define ETO_ISA 1
#define ETO_NS eto_portable
#define ETO_ISA_NAME "portable"
#define ETO_TABLE eto::kernelsPortable
#include "kernels.inc"
