/* `warden report FILE.jsonl -o report.html`: the exit observatory's
 * --stats-trace rendered as one self-contained HTML page. */
#ifndef WARDEN_REPORT_REPORT_H
#define WARDEN_REPORT_REPORT_H

/* ARGV[0] is "report". Returns the process exit status. */
int report_main(int argc, char **argv);

#endif
