#include "virtio/virtio_devices.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vm.h"
#include "util/error.h"
#include "virtio/mmio.h"
#include "virtio/pci.h"

/* A number of microseconds for OPT's WORD=, 1 to VIRTIO_POLL_MAX_US. */
static int parse_poll_us(const char *s, const char *opt, const char *word, uint32_t *us)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || v < 1 || v > VIRTIO_POLL_MAX_US)
		return fail(ERR_USAGE, "%s %s= takes microseconds, 1 to %d, not '%s'", opt, word,
			    VIRTIO_POLL_MAX_US, s);
	*us = (uint32_t)v;
	return 0;
}

/* "poll", "poll=US" or "poll-max=US" (OPT names the option in
 * messages): 0 parsed, -1 bad (ERR_USAGE), 1 if TOK is none of them. */
static int parse_poll(const char *tok, const char *opt, uint32_t *us, uint32_t *max_us)
{
	if (strcmp(tok, "poll") == 0) {
		*us = VIRTIO_POLL_DEFAULT_US;
		return 0;
	}
	if (strncmp(tok, "poll=", 5) == 0)
		return parse_poll_us(tok + 5, opt, "poll", us);
	if (strncmp(tok, "poll-max=", 9) == 0)
		return parse_poll_us(tok + 9, opt, "poll-max", max_us);
	return 1;
}

/* After every word: poll-max alone starts from the default window (or
 * from its own value, if less); a ceiling below the window is refused. */
static int settle_poll(const char *opt, uint32_t *us, uint32_t max_us)
{
	if (!max_us)
		return 0;
	if (!*us)
		*us = max_us < VIRTIO_POLL_DEFAULT_US ? max_us : VIRTIO_POLL_DEFAULT_US;
	else if (max_us < *us)
		return fail(ERR_USAGE, "%s poll-max=%u is below poll=%u: the window adapts from poll up to poll-max",
			    opt, max_us, *us);
	return 0;
}

/* "queues=N" of OPT, 1 to MAX. */
static int parse_queues(const char *s, const char *opt, unsigned max, unsigned *n)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || v < 1 || v > max)
		return fail(ERR_USAGE, "%s queues= takes 1 to %u, not '%s'", opt, max, s);
	*n = (unsigned)v;
	return 0;
}

int virtio_parse_disk(const char *arg, struct disk_spec *d)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int r = 0;

	memset(d, 0, sizeof(*d));
	if (!copy)
		return fail(ERR_HOST, "out of memory");
	tok = strtok_r(copy, ",", &save);
	if (!tok || arg[0] == ',') {
		free(copy);
		return fail(ERR_USAGE, "--disk needs a path: --disk PATH[,ro][,root][,id=NAME]");
	}
	d->path = arg; /* the path ends at the first comma of ARG */
	while (r == 0 && (tok = strtok_r(NULL, ",", &save))) {
		if (strcmp(tok, "ro") == 0)
			d->readonly = true;
		else if (strcmp(tok, "root") == 0)
			d->root = true;
		else if (strncmp(tok, "id=", 3) == 0 && strlen(tok + 3) > 0 && strlen(tok + 3) < sizeof(d->id))
			memcpy(d->id, tok + 3, strlen(tok + 3) + 1);
		else if (strncmp(tok, "id=", 3) == 0)
			r = fail(ERR_USAGE, "--disk id= takes 1 to %zu characters", sizeof(d->id) - 1);
		else if (strncmp(tok, "queues=", 7) == 0)
			r = parse_queues(tok + 7, "--disk", VIRTIO_BLK_MAX_QUEUES, &d->queues);
		else if ((r = parse_poll(tok, "--disk", &d->poll_us, &d->poll_max_us)) > 0 &&
			 (r = rate_parse_word(tok, "--disk", "", &d->rate)) > 0)
			r = fail(ERR_USAGE, "--disk: unknown option '%s' (ro, root, id=NAME, queues=N, poll[=US], "
				 "poll-max=US, bw=SIZE/MS[/BURST], ops=SIZE/MS[/BURST])", tok);
	}
	free(copy);
	if (r == 0)
		r = settle_poll("--disk", &d->poll_us, d->poll_max_us);
	return r;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return (mac[0] & 1) ? -1 : 0; /* a multicast address cannot be a NIC's */
}

static int parse_vhost(const char *v, enum net_vhost *out)
{
	static const struct {
		const char *word;
		enum net_vhost mode;
	} words[] = { { "on", NET_VHOST_ON }, { "off", NET_VHOST_OFF }, { "auto", NET_VHOST_AUTO } };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(v, words[i].word) == 0) {
			*out = words[i].mode;
			return 0;
		}
	return -1;
}

int virtio_parse_net(const char *arg, struct net_spec *n)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int r = 0;

	memset(n, 0, sizeof(*n));
	if (!copy)
		return fail(ERR_HOST, "out of memory");
	for (tok = strtok_r(copy, ",", &save); r == 0 && tok; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "tap=", 4) == 0) {
			if (strlen(tok + 4) == 0 || strlen(tok + 4) >= sizeof(n->tap))
				r = fail(ERR_USAGE, "--net tap= needs an interface name of 1 to %zu characters",
					 sizeof(n->tap) - 1);
			else
				memcpy(n->tap, tok + 4, strlen(tok + 4) + 1);
		} else if (strncmp(tok, "mac=", 4) == 0) {
			if (parse_mac(tok + 4, n->mac) < 0)
				r = fail(ERR_USAGE, "--net mac=%s is not a unicast MAC address (aa:bb:cc:dd:ee:ff)",
					 tok + 4);
			n->has_mac = true;
		} else if (strncmp(tok, "id=", 3) == 0) {
			if (strlen(tok + 3) == 0 || strlen(tok + 3) >= sizeof(n->id))
				r = fail(ERR_USAGE, "--net id= takes 1 to %zu characters", sizeof(n->id) - 1);
			else
				memcpy(n->id, tok + 3, strlen(tok + 3) + 1);
		} else if (strncmp(tok, "queues=", 7) == 0) {
			r = parse_queues(tok + 7, "--net", VIRTIO_NET_MAX_PAIRS, &n->queues);
		} else if (strncmp(tok, "vhost=", 6) == 0) {
			if (parse_vhost(tok + 6, &n->vhost) < 0)
				r = fail(ERR_USAGE, "--net vhost=%s: expected on, off or auto", tok + 6);
		} else if (strncmp(tok, "mmds=", 5) == 0) {
			if (strcmp(tok + 5, "on") && strcmp(tok + 5, "off"))
				r = fail(ERR_USAGE, "--net mmds=%s: expected on or off", tok + 5);
			n->mmds = strcmp(tok + 5, "on") == 0;
		} else if ((r = parse_poll(tok, "--net", &n->poll_us, &n->poll_max_us)) > 0 &&
			   (r = rate_parse_word(tok, "--net", "rx-", &n->rx_rate)) > 0 &&
			   (r = rate_parse_word(tok, "--net", "tx-", &n->tx_rate)) > 0) {
			r = fail(ERR_USAGE, "--net: unknown option '%s' (tap=NAME, mac=MAC, id=NAME, queues=N, "
				 "poll[=US], poll-max=US, vhost=on|off|auto, mmds=on|off, rx-bw=, rx-ops=, tx-bw=, tx-ops=SIZE/MS[/BURST])",
				 tok);
		}
	}
	free(copy);
	if (r == 0 && !n->tap[0])
		r = fail(ERR_USAGE, "--net needs tap=NAME");
	if (r == 0)
		r = settle_poll("--net", &n->poll_us, n->poll_max_us);
	/* vhost-net's busy polling has one fixed timeout. */
	if (r == 0 && n->vhost != NET_VHOST_OFF && n->poll_max_us)
		r = fail(ERR_USAGE, "--net: poll-max= needs warden's own packet path, not vhost=%s",
			 n->vhost == NET_VHOST_ON ? "on" : "auto");
	/* The metadata service answers in warden's packet path. */
	if (r == 0 && n->mmds && n->vhost == NET_VHOST_ON)
		r = fail(ERR_USAGE, "--net: mmds=on needs warden's own packet path, not vhost=on");
	/* vhost-net moves the packets in the kernel, past any limiter. */
	if (r == 0 && n->vhost != NET_VHOST_OFF && (rate_spec_limits(&n->rx_rate) || rate_spec_limits(&n->tx_rate)))
		r = fail(ERR_USAGE, "--net: rate limits (rx-/tx-bw=, -ops=) need warden's own packet path, not vhost=%s",
			 n->vhost == NET_VHOST_ON ? "on" : "auto");
	return r;
}

int virtio_parse_mmds(const char *arg, struct mmds_spec *m)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	struct in_addr a;
	int r = 0;

	memset(m, 0, sizeof(*m));
	m->version = MMDS_V1;
	if (!copy)
		return fail(ERR_HOST, "out of memory");
	for (tok = strtok_r(copy, ",", &save); r == 0 && tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "version=V1") == 0 || strcmp(tok, "version=V2") == 0)
			m->version = tok[9] == '2' ? MMDS_V2 : MMDS_V1;
		else if (strcmp(tok, "imds-compat") == 0)
			m->imds_compat = true;
		else if (strncmp(tok, "ipv4=", 5) == 0 && inet_pton(AF_INET, tok + 5, &a) == 1)
			m->ipv4 = ntohl(a.s_addr);
		else
			r = fail(ERR_USAGE, "--mmds: '%s' is not version=V1|V2, ipv4=A.B.C.D or imds-compat", tok);
	}
	free(copy);
	/* Firecracker's rule: link-local, and not in the first or last /24
	 * (RFC 3927 reserves them). */
	if (r == 0 && m->ipv4 &&
	    ((m->ipv4 >> 16) != 0xa9fe || ((m->ipv4 >> 8) & 0xff) == 0 || ((m->ipv4 >> 8) & 0xff) == 255))
		r = fail(ERR_USAGE, "--mmds: ipv4= must be link-local, 169.254.1.0 to 169.254.254.255");
	return r;
}

int virtio_parse_rng(const char *arg, struct rate_spec *s)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (!copy)
		return fail(ERR_HOST, "out of memory");
	for (tok = strtok_r(copy, ",", &save); r == 0 && tok; tok = strtok_r(NULL, ",", &save))
		if ((r = rate_parse_word(tok, "--rng", "", s)) > 0)
			r = fail(ERR_USAGE, "--rng: unknown option '%s' (bw=SIZE/MS[/BURST], ops=SIZE/MS[/BURST])", tok);
	free(copy);
	return r;
}

static int too_many_queues(const char *opt, unsigned queues, unsigned cpus)
{
	return fail(ERR_USAGE, "%s queues=%u: more queues than the guest's %u vCPU%s can use (one per vCPU; raise --cpus)",
		    opt, queues, cpus, cpus == 1 ? "" : "s");
}

int virtio_check_config(const struct virtio_config *cfg, unsigned cpus)
{
	for (unsigned i = 0; i < cfg->ndisks; i++)
		if (cfg->disks[i].queues > cpus)
			return too_many_queues("--disk", cfg->disks[i].queues, cpus);
	for (unsigned i = 0; i < cfg->nnets; i++)
		if (cfg->nets[i].queues > cpus)
			return too_many_queues("--net", cfg->nets[i].queues, cpus);
	return 0;
}

static int attach(struct vm *vm, struct virtio_dev *vd, enum virtio_transport_kind t,
		  const struct virtio_options *opt)
{
	if (t == VIRTIO_TRANSPORT_PCI)
		return virtio_pci_create(vm, vd, opt);
	return virtio_mmio_create(vm, vd, opt);
}

static int add(struct vm *vm, unsigned *n, struct virtio_dev *vd, const struct virtio_config *cfg)
{
	if (!vd)
		return -1;
	if (*n == VIRTIO_MAX_DEVICES) {
		if (vd->ops->destroy)
			vd->ops->destroy(vd);
		free(vd);
		return fail(ERR_USAGE, "at most %d virtio devices", VIRTIO_MAX_DEVICES);
	}
	(*n)++;
	return attach(vm, vd, cfg->transport, &cfg->opt);
}

int virtio_vsock_add(struct vm *vm, enum virtio_transport_kind t, const struct virtio_options *opt,
		     uint64_t cid, const char *uds)
{
	struct vsock_spec s;
	struct virtio_dev *vd;

	if (virtio_vsock_spec(&s, cid, uds) < 0)
		return -1;
	vd = virtio_vsock_create(&s);
	return vd ? attach(vm, vd, t, opt) : -1;
}

/* The virtio device NAME ("virtio-blk0": what its constructor named it). */
static struct device *find_virtio(struct vm *vm, const char *name, struct virtio_dev **vd)
{
	for (unsigned i = 0; i < vm->ndevices; i++) {
		struct device *d = vm->devices[i];

		*vd = virtio_mmio_of(d);
		if (!*vd)
			*vd = virtio_pci_of(d);
		if (*vd && strcmp((*vd)->name, name) == 0)
			return d;
	}
	return NULL;
}

int virtio_disk_replace(struct vm *vm, unsigned index, const char *path)
{
	char name[sizeof(((struct virtio_dev *)0)->name)];
	struct virtio_dev *vd;
	struct device *d;
	bool running;
	int r;

	snprintf(name, sizeof(name), "virtio-blk%u", index);
	d = find_virtio(vm, name, &vd);
	if (!d)
		return fail(ERR_USAGE, "there is no disk %u", index);
	/* The transport's lock keeps the driver's register accesses out while
	 * the I/O thread is stopped; its notifications wait in the eventfds,
	 * and the resume looks at every queue once.  A device that was not
	 * running (a paused VM, a driver not at DRIVER_OK) stays so. */
	futex_mutex_lock(&d->lock);
	running = vd->worker.running;
	virtio_dev_pause(vd);
	r = virtio_blk_replace(vd, path);
	if (running)
		virtio_dev_resume(vd);
	futex_mutex_unlock(&d->lock);
	return r;
}

int virtio_rate_update(struct vm *vm, const char *device, unsigned which, const struct rate_update *u)
{
	struct virtio_dev *vd;

	if (!find_virtio(vm, device, &vd))
		return fail(ERR_USAGE, "there is no device %s", device);
	if (which > VIRTIO_RATE_TX || !vd->limits[which])
		return fail(ERR_USAGE, "%s has no such rate limiter (vhost moves its packets)", device);
	rate_limit_update(vd->limits[which], u);
	return 0;
}

int virtio_devices_create(struct vm *vm, const struct virtio_config *cfg, int *console_in)
{
	unsigned want = cfg->ndisks + cfg->nnets + cfg->console + cfg->rng + (cfg->vsock.cid != 0), n = 0;
	int r = 0;

	*console_in = -1;
	if (want == 0)
		return 0;
	if (!vm->cfg.irqchip)
		return fail(ERR_USAGE, "virtio devices need the in-kernel irqchip (drop --no-irqchip)");
	for (unsigned i = 0; r == 0 && i < cfg->ndisks; i++)
		r = add(vm, &n, virtio_blk_create(&cfg->disks[i], i), cfg);
	for (unsigned i = 0; r == 0 && i < cfg->nnets; i++)
		r = add(vm, &n, virtio_net_create(&cfg->nets[i], i, cfg->mmds, virtio_mmds_ipv4(cfg)), cfg);
	if (r == 0 && cfg->console) {
		struct virtio_dev *con = virtio_console_create(cfg->console_input);

		/* Read before add: a failed add frees it. */
		int in = con ? virtio_console_input_fd(con) : -1;

		r = add(vm, &n, con, cfg);
		if (r == 0)
			*console_in = in;
	}
	if (r == 0 && cfg->rng)
		r = add(vm, &n, virtio_rng_create(&cfg->rng_rate), cfg);
	if (r == 0 && cfg->vsock.cid)
		r = add(vm, &n, virtio_vsock_create(&cfg->vsock), cfg);
	return r;
}
