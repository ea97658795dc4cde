/* The Firecracker-compatible REST API (docs/api.md): `warden run
 * --api-sock PATH` serves it on a Unix socket, `--config-file FILE` reads
 * the same JSON from a file.  Either one configures the run's options
 * (struct cli_options: the command line's are the starting point) until
 * the VM starts; afterwards the API observes and acts on the running VM.
 *
 * main's side: api_create, then api_load_config and/or api_listen, then
 * api_wait_start (an API without a config file waits for InstanceStart),
 * api_vm_started/api_vm_stopped around each boot, api_destroy at the end.
 * Every function accepts a NULL api (no API: nothing to do). */
#ifndef WARDEN_API_API_H
#define WARDEN_API_API_H

#include "api/api_hooks.h"
#include "cli/cli.h"

struct api;
struct exit_stats;
struct vm;

/* An API configuring O (which must outlive it), or NULL with fail(). */
struct api *api_create(struct cli_options *o, const struct api_hooks *hooks);
/* --config-file: apply FILE's resources (errors: ERR_USAGE, naming the key). */
int api_load_config(struct api *a, const char *path);
/* --api-sock: serve PATH on a thread of its own. */
int api_listen(struct api *a, const char *path);
/* Wait until InstanceStart (at once after a config file).  -1 when
 * api_interrupt came first (a signal: the VM never starts). */
int api_wait_start(struct api *a);
/* From a signal handler: api_wait_start returns -1. */
void api_interrupt(struct api *a);
/* The VM runs (InstanceStart answers 204); STATS: its NCPUS exit tables. */
void api_vm_started(struct api *a, struct vm *vm, const struct exit_stats *stats, unsigned ncpus);
/* The VM is about to be destroyed; if it never ran, InstanceStart
 * answers 400 with err_msg(). */
void api_vm_stopped(struct api *a);
/* Flush the metrics a last time, stop serving, remove the socket. */
void api_destroy(struct api *a);

/* The name the API gives interface INDEX (N) of a machine: its id=
 * (the iface_id of the PUT that made it, kept in a snapshot), else
 * netINDEX.  A load's network_overrides name interfaces so. */
void api_iface_name(const struct net_spec *n, unsigned index, char *buf, size_t len);

#endif
