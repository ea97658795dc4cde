/* `warden jailer`: Firecracker's jailer command line in front of warden's
 * own jail (docs/security.md), for orchestrators that start Firecracker
 * through its jailer (Kata Containers, firecracker-containerd). */
#ifndef WARDEN_SANDBOX_JAILER_H
#define WARDEN_SANDBOX_JAILER_H

/* ARGV[0] is "jailer".  Makes <chroot-base-dir>/<exec-file's name>/<id>/root
 * and execs `warden run --jail THAT --jail-root --jail-uid UID --jail-gid
 * GID [--jail-netns-path NETNS] [--api-sock /run/firecracker.socket] ARGS`
 * with the arguments after "--".  Returns only on an error: status 2 for
 * a bad command line, 1 for a host failure. */
int jailer_main(int argc, char **argv);

/* Firecracker's rule for a VM's id (the jailer's --id, the VMM's --id):
 * 1 to 64 letters, digits and '-' (it becomes a directory name).  -1
 * with fail(ERR_USAGE), the message starting with PREFIX. */
int jailer_check_id(const char *id, const char *prefix);

#endif
