/* include/warden/hypercall.h includes <stdint.h>, which a kernel build
 * has not got: the fixed-width types come from the kernel's own header
 * (linux/types.h defines uint32_t and uint64_t for kernel code). */
#ifndef WHC_SHIM_STDINT_H
#define WHC_SHIM_STDINT_H
#include <linux/types.h>
#endif
