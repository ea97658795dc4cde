/* The exit lab (issue 12): commands that measure claims about VM exits on
 * the user's own host.  `warden bench exits` (src/lab/bench_exits.c). */
#ifndef WARDEN_LAB_LAB_H
#define WARDEN_LAB_LAB_H

/* `warden bench ...`: ARGV[0] is "bench".  Returns the exit status (0,
 * 1 host failure or a failed row, 2 bad input), having printed one line
 * on stderr for 1 and 2. */
int lab_bench_main(int argc, char **argv);

#endif
