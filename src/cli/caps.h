/* `warden caps`: what this host's KVM offers against VM exits. */
#ifndef WARDEN_CLI_CAPS_H
#define WARDEN_CLI_CAPS_H

/* ARGV[0] is "caps". Returns the process exit status. */
int caps_main(int argc, char **argv);

#endif
