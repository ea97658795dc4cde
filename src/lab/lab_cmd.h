/* `warden lab NAME ...`: the exit lab's experiments (issue 12, section 5),
 * each with its own built-in guest, a table with the model's prediction
 * next to the measurement, JSON and an SVG plot. */
#ifndef WARDEN_LAB_LAB_CMD_H
#define WARDEN_LAB_LAB_CMD_H

/* ARGV[0] is "lab".  Returns the exit status (0; 1 host failure or a run
 * that failed; 2 bad input), having printed one line on stderr for 1 and 2. */
int lab_main(int argc, char **argv);

#endif
