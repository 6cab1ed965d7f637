// The kernel checks of kernels_check.cc, for a host or a board main().
#ifndef EMBBERT_FIRMWARE_TESTS_KERNELS_CHECK_H_
#define EMBBERT_FIRMWARE_TESTS_KERNELS_CHECK_H_

// Runs every check, `scale` times the smallest number of trials, printing a line per kernel through
// `print`; returns the number of output bytes that differ from the reference kernels.
int run_kernel_checks(void (*print)(const char*), int scale);

#endif  // EMBBERT_FIRMWARE_TESTS_KERNELS_CHECK_H_
