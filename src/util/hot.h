/* The functions every VM exit runs through, marked so that the compiler
 * puts them in .text.hot, which the linker lays out together: an exit
 * then executes code from a page or two instead of one page per source
 * file.  That matters because after an exit the TLB is cold for warden's
 * user space (natively after the guest ran; in the emulated tier QEMU's
 * software TLB is emptied by L1's world switches), and every page of code
 * or data an exit touches costs a page walk. */
#ifndef WARDEN_UTIL_HOT_H
#define WARDEN_UTIL_HOT_H

#define EXIT_PATH __attribute__((hot))

/* What the exit loop calls only rarely (a pause, a suspend, a crash): out
 * of line and out of the hot pages, and the paths to it laid out apart,
 * so the common exit's code stays dense. */
#define COLD_PATH __attribute__((cold, noinline))

#endif
