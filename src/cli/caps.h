/* `warden caps`: what this host's KVM offers against VM exits. */
#ifndef WARDEN_CLI_CAPS_H
#define WARDEN_CLI_CAPS_H

#include <stdio.h>

struct caps_report;
struct json_object;

/* ARGV[0] is "caps". Returns the process exit status. */
int caps_main(int argc, char **argv);

/* The report as aligned text tables, and as a JSON object (caller puts it). */
void caps_print_text(FILE *f, const struct caps_report *r);
struct json_object *caps_to_json(const struct caps_report *r);

#endif
