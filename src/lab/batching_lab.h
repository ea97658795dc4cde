/* `warden lab batching`: the cost of one operation against the batch size
 * n, for trapped operations (n port writes, n exits) and for batched
 * hypercalls (include/warden/hypercall.h) through the port doorbell and
 * the ioeventfd doorbell; the fit of t_e, t_p and t_h, and the measured
 * crossover next to the model's n* = t_h / t_e (issue 12, section 5). */
#ifndef WARDEN_LAB_BATCHING_LAB_H
#define WARDEN_LAB_BATCHING_LAB_H

#include <stdbool.h>
#include <stdint.h>

#include "lab/batching_abi.h"

/* A straight line through (x, y) by Theil-Sen: the median of the pairwise
 * slopes, then the median of y - slope x.  -1 for fewer than 2 points or
 * no two distinct x. */
int bt_fit(const double *x, const double *y, unsigned n, double *slope, double *intercept);

/* The first n where a batch's group costs no more than the trapped one's:
 * linear interpolation of the difference between the two sizes around
 * its change of sign; SIZES[0] when the batch is already cheaper there;
 * NAN when it never is. */
double bt_crossover(const uint32_t *sizes, const double *trap, const double *batch, unsigned n);

/* What the plot shows (lab/batching_svg.c): per way the median cost of one
 * operation at each size and the fitted line (slope + intercept / n per
 * operation), and per doorbell (port, fast) the model's n* and the
 * measured crossover (NAN: none). */
struct bt_plot {
	unsigned nsizes;
	const uint32_t *sizes;
	double per_op_ns[BT_NWAYS][BT_MAX_SIZES];
	double slope[BT_NWAYS], icept[BT_NWAYS];
	bool fitted[BT_NWAYS];
	double n_star[2], crossover[2];
	const char *tier, *kvm, *kernel;
};

/* Writes the plot to PATH: 0, or -1 (fail() said why: ERR_USAGE). */
int bt_write_svg(const char *path, const struct bt_plot *p);

/* ARGV[0] is "batching".  The exit status (0; 1 host failure or a failed
 * run; 2 bad input), having printed one line on stderr for 1 and 2. */
int lab_batching_main(int argc, char **argv);

#endif
