/* `warden lab sensitive` (lab/sensitive_lab.h): one VM with the lab's mark
 * register (MMIO, so that ring 3 reaches it with IOPL 0) and the built-in
 * guest (guest/lab/sensitive.c).  At the first mark of each context, on
 * the vCPU thread, the lab reads the vCPU's registers from KVM
 * (KVM_GET_SREGS, KVM_GET_REGS): the guest's own state, which each
 * instruction must return; around each op it takes warden's exit count
 * (the recorder's exit_stats) and KVM's (binary stats, where the host has
 * them). */
#include "lab/sensitive_lab.h"

#include <errno.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "accounting/exit_stats.h"
#include "accounting/kvm_stats.h"
#include "accounting/recorder.h"
#include "boot/loader.h"
#include "core/cpuid.h"
#include "core/device.h"
#include "core/kvm_caps.h"
#include "core/layout.h"
#include "core/vm.h"
#include "devices/platform.h"
#include "lab/sensitive_abi.h"
#include "util/error.h"
#include "util/log.h"
#include "lab/lab_json.h"
#include "lab/lab_host.h"

extern const unsigned char lab_sensitive_guest[], lab_sensitive_guest_end[];

#define RFLAGS_IF 0x200ULL
#define RFLAGS_IOPL 0x3000ULL
#define SN_REPS_DEFAULT 8

static const char *const op_name[SN_NOPS] = { "SGDT", "SIDT", "SLDT", "STR", "SMSW", "PUSHF", "POPF(IF=1)", "CPUID" };
static const char *const ctx_name[SN_NCTX] = { "cpl0-boot", "cpl0", "cpl3", "cpl0-umip", "cpl3-umip" };

struct sn_expect {
	bool have;
	struct kvm_sregs s;
	uint64_t rflags;
};

struct sn_row {
	bool ran, ok, faulted;
	uint32_t vector;
	uint64_t v0, v1;
	uint64_t exits, kvm_exits;
	bool kvm_known;
	char got[96], want[96];
};

struct sn_state {
	struct device dev;
	struct vm *vm;
	const struct exit_stats *stats;
	struct kvm_stats ks;
	bool have_ks;
	bool open;
	unsigned ctx, op;
	uint64_t b_exits, b_kvm;
	bool b_kvm_ok;
	bool done, fatal;
	struct sn_expect exp[SN_NCTX];
	uint64_t exits[SN_NCTX][SN_NOPS], kvm_exits[SN_NCTX][SN_NOPS];
	bool kvm_known[SN_NCTX][SN_NOPS], seen[SN_NCTX][SN_NOPS];
};

static bool kvm_exits_now(struct sn_state *c, uint64_t *v)
{
	static struct kvm_stat_values vals; /* the vCPU thread only */

	if (!c->have_ks || kvm_stats_read(&c->ks, &vals) < 0 || kvm_stat_index(&vals, "exits") < 0)
		return false;
	*v = kvm_stat_get(&vals, "exits");
	return true;
}

static void mark_read(struct device *dev, unsigned range, uint64_t off, uint8_t *data, unsigned len)
{
	(void)dev, (void)range, (void)off;
	memset(data, 0xff, len);
}

static void mark_write(struct device *dev, unsigned range, uint64_t off, const uint8_t *data, unsigned len)
{
	struct sn_state *c = dev->priv;
	uint32_t v = 0;

	(void)range;
	memcpy(&v, data, len < 4 ? len : 4);
	if (off != 0) {
		log_guest("lab sensitive: write at mark register offset %llu (ignored)", (unsigned long long)off);
	} else if ((v & ~0xffu) == 0x100u && !c->open && ((v >> 4) & 0xf) < SN_NCTX && (v & 0xf) < SN_NOPS) {
		struct kvm_regs regs;

		c->open = true;
		c->ctx = (v >> 4) & 0xf;
		c->op = v & 0xf;
		if (!c->exp[c->ctx].have && ioctl(c->vm->vcpus[0].fd, KVM_GET_SREGS, &c->exp[c->ctx].s) == 0 &&
		    ioctl(c->vm->vcpus[0].fd, KVM_GET_REGS, &regs) == 0) {
			c->exp[c->ctx].have = true;
			c->exp[c->ctx].rflags = regs.rflags;
		}
		vm_sync_observer(c->vm); /* the accounting's count is complete */
		c->b_exits = stats_total(c->stats);
		c->b_kvm_ok = kvm_exits_now(c, &c->b_kvm);
	} else if (v == SN_MARK_END && c->open) {
		uint64_t k;

		/* Warden has not recorded this exit yet, the begin mark's it
		 * has; KVM has counted both. */
		vm_sync_observer(c->vm);
		c->exits[c->ctx][c->op] = stats_total(c->stats) - c->b_exits - 1;
		c->kvm_known[c->ctx][c->op] = c->b_kvm_ok && kvm_exits_now(c, &k);
		if (c->kvm_known[c->ctx][c->op])
			c->kvm_exits[c->ctx][c->op] = k - c->b_kvm - 1;
		c->seen[c->ctx][c->op] = true;
		c->open = false;
	} else if (v == SN_MARK_DONE || v == SN_MARK_FATAL) {
		c->done = v == SN_MARK_DONE;
		c->fatal = v == SN_MARK_FATAL;
		vm_request_end(c->vm, VM_END_POWEROFF);
	} else {
		log_guest("lab sensitive: mark %#x out of order or unknown (ignored)", v);
	}
}

static void mark_destroy(struct device *dev)
{
	struct sn_state *c = dev->priv;

	if (c->have_ks)
		kvm_stats_close(&c->ks);
	free(c);
}

static const struct device_ops mark_ops = { .read = mark_read, .write = mark_write, .destroy = mark_destroy };

struct sn_result_all {
	char tier[16], kvm[64], kernel[65];
	uint32_t reps;
	bool ok;           /* the run finished */
	char why[200];
	bool umip_cpuid;   /* KVM_GET_SUPPORTED_CPUID leaf 7 ECX bit 2 (warden's guest CPUID) */
	uint32_t umip_guest; /* what the guest's CPUID said */
	struct kvm_dtable boot_gdt; /* what warden's boot set up */
	uint32_t cpuid_want[4];     /* warden's leaf 0x40000000 for vCPU 0: eax ebx ecx edx */
	uint32_t cpuid_host[4];     /* the host's own, seen by warden's process */
	struct sn_row row[SN_NCTX][SN_NOPS];
	unsigned wrong;    /* rows that ran and did not return the guest's own state */
};

static int cpl_of(unsigned ctx)
{
	return ctx == SN_OWN3 || ctx == SN_OWN3_UMIP ? 3 : 0;
}

static void judge(struct sn_result_all *R, const struct sn_state *c, unsigned ctx, unsigned op,
		  const struct sn_result *g)
{
	struct sn_row *r = &R->row[ctx][op];
	const struct kvm_sregs *s = &c->exp[ctx].s;
	uint64_t fl = c->exp[ctx].rflags;
	int cpl = cpl_of(ctx);
	bool umip = ctx >= SN_OWN0_UMIP;

	r->ran = true;
	r->faulted = g->faulted;
	r->vector = g->vector;
	r->v0 = g->v0;
	r->v1 = g->v1;
	r->exits = c->exits[ctx][op];
	r->kvm_exits = c->kvm_exits[ctx][op];
	r->kvm_known = c->kvm_known[ctx][op];
	if (g->faulted)
		snprintf(r->got, sizeof(r->got), "exception %u", g->vector);
	if (cpl == 3 && umip && op <= SN_SMSW) {
		snprintf(r->want, sizeof(r->want), "exception 13 (#GP: UMIP)");
		if (!g->faulted)
			snprintf(r->got, sizeof(r->got), "no exception (0x%llx)", (unsigned long long)g->v0);
		r->ok = g->faulted && g->vector == 13;
		return;
	}
	switch (op) {
	case SN_SGDT:
	case SN_SIDT: {
		const struct kvm_dtable *d = op == SN_SGDT ? &s->gdt : &s->idt;

		snprintf(r->want, sizeof(r->want), "base 0x%llx limit 0x%x", (unsigned long long)d->base, d->limit);
		if (!g->faulted)
			snprintf(r->got, sizeof(r->got), "base 0x%llx limit 0x%llx", (unsigned long long)g->v0,
				 (unsigned long long)g->v1);
		r->ok = g->v0 == d->base && g->v1 == d->limit;
		if (op == SN_SGDT && ctx == SN_BOOT0)
			r->ok = r->ok && g->v0 == R->boot_gdt.base && g->v1 == R->boot_gdt.limit;
		break;
	}
	case SN_SLDT:
	case SN_STR: {
		uint16_t sel = op == SN_SLDT ? s->ldt.selector : s->tr.selector;

		snprintf(r->want, sizeof(r->want), "selector 0x%x", sel);
		if (!g->faulted)
			snprintf(r->got, sizeof(r->got), "selector 0x%llx", (unsigned long long)g->v0);
		r->ok = g->v0 == sel;
		break;
	}
	case SN_SMSW:
		snprintf(r->want, sizeof(r->want), "MSW 0x%llx (CR0 0x%llx)", (unsigned long long)(s->cr0 & 0xffff),
			 (unsigned long long)s->cr0);
		if (!g->faulted)
			snprintf(r->got, sizeof(r->got), "MSW 0x%llx (stored 0x%llx)", (unsigned long long)(g->v0 & 0xffff),
				 (unsigned long long)g->v0);
		r->ok = (g->v0 & 0xffff) == (s->cr0 & 0xffff);
		break;
	case SN_PUSHF:
		snprintf(r->want, sizeof(r->want), "IF %u IOPL %u", !!(fl & RFLAGS_IF), (unsigned)((fl & RFLAGS_IOPL) >> 12));
		if (!g->faulted)
			snprintf(r->got, sizeof(r->got), "IF %u IOPL %u", !!(g->v0 & RFLAGS_IF),
				 (unsigned)((g->v0 & RFLAGS_IOPL) >> 12));
		r->ok = (g->v0 & (RFLAGS_IF | RFLAGS_IOPL)) == (fl & (RFLAGS_IF | RFLAGS_IOPL));
		break;
	case SN_POPF: {
		/* POPF changes IF only where CPL <= IOPL; elsewhere it ignores
		 * it without a fault: the classic sensitive, non-trapping case. */
		unsigned iopl = (unsigned)((fl & RFLAGS_IOPL) >> 12), before = !!(fl & RFLAGS_IF);
		unsigned after = (unsigned)cpl <= iopl ? 1 : before;

		snprintf(r->want, sizeof(r->want), "IF %u -> %u (CPL %d, IOPL %u)", before, after, cpl, iopl);
		if (!g->faulted)
			snprintf(r->got, sizeof(r->got), "IF %u -> %u", !!(g->v0 & RFLAGS_IF), !!(g->v1 & RFLAGS_IF));
		r->ok = !!(g->v0 & RFLAGS_IF) == before && !!(g->v1 & RFLAGS_IF) == after;
		break;
	}
	default: {
		uint64_t w0 = R->cpuid_want[1] | (uint64_t)R->cpuid_want[2] << 32;
		uint64_t w1 = R->cpuid_want[3] | (uint64_t)R->cpuid_want[0] << 32;
		char sig[13], gsig[13];

		memcpy(sig, &R->cpuid_want[1], 4);
		memcpy(sig + 4, &R->cpuid_want[2], 4);
		memcpy(sig + 8, &R->cpuid_want[3], 4);
		memcpy(gsig, &g->v0, 8);
		memcpy(gsig + 8, &g->v1, 4);
		sig[12] = gsig[12] = 0;
		for (unsigned i = 0; i < 12; i++) {
			sig[i] = sig[i] >= 0x20 && sig[i] < 0x7f ? sig[i] : '.';
			gsig[i] = gsig[i] >= 0x20 && gsig[i] < 0x7f ? gsig[i] : '.';
		}
		snprintf(r->want, sizeof(r->want), "'%s' max 0x%x", sig, R->cpuid_want[0]);
		if (!g->faulted)
			snprintf(r->got, sizeof(r->got), "'%s' max 0x%x", gsig, (uint32_t)(g->v1 >> 32));
		r->ok = g->v0 == w0 && g->v1 == w1;
		break;
	}
	}
	r->ok = r->ok && !g->faulted;
}

static int run(struct sn_result_all *R, const struct boot_spec *spec, const char *kvm_device)
{
	struct vm_config cfg = { .mem_bytes = 16ULL << 20, .ncpus = 1, .irqchip = true, .kvm_device = kvm_device };
	static struct vm vm;
	struct exit_stats *stats = stats_alloc(1);
	struct recorder rec = { .stats = stats, .nvcpus = 1 };
	struct sn_state *c = calloc(1, sizeof(*c));
	volatile struct sn_params *p;
	struct sn_params in, out;
	struct kvm_cpuid2 *cp;
	struct serial *com1;
	struct pollfd pfd;
	int rc = -1;

	if (!stats || !c) {
		stats_free(stats);
		free(c);
		return fail(ERR_HOST, "out of memory");
	}
	if (vm_create(&vm, &cfg) < 0) {
		free(c);
		goto out;
	}
	recorder_observer(&rec, &vm.obs);
	c->vm = &vm;
	c->stats = stats;
	c->dev = (struct device){
		.name = "lab-mark", .ops = &mark_ops, .priv = c,
		.res = { .nranges = 1, .range = { DEVICE_RANGE(BUS_MMIO, DEVICE_ANY_BASE, 0x1000) }, .gsi = DEVICE_NO_GSI },
	};
	if (platform_create(&vm, &com1, 0) < 0) {
		free(c);
		goto out;
	}
	if (vm_add_device(&vm, &c->dev) < 0) {
		free(c);
		goto out;
	}
	c->have_ks = kvm_stats_open(&c->ks, vm.vcpus[0].fd) == 0;
	if (boot_load(&vm, spec) < 0)
		goto out;
	R->boot_gdt = vm.boot.gdt;
	/* What warden's CPUID gives vCPU 0, and what KVM supports (UMIP). */
	cp = cpuid_for_vcpu(vm.cpuid, 0);
	if (!cp)
		goto out;
	for (unsigned i = 0; i < cp->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cp->entries[i];

		if (e->function == CPUID_KVM_SIGNATURE) {
			R->cpuid_want[0] = e->eax;
			R->cpuid_want[1] = e->ebx;
			R->cpuid_want[2] = e->ecx;
			R->cpuid_want[3] = e->edx;
		}
		if (e->function == 7 && e->index == 0)
			R->umip_cpuid = e->ecx & (1u << 2);
	}
	free(cp);
	p = gmem_ptr(&vm.mem, LAYOUT_LAB_PARAMS, sizeof(*p));
	if (!p) {
		fail(ERR_HOST, "lab: the parameter block is outside guest RAM");
		goto out;
	}
	in = (struct sn_params){ .magic = SN_MAGIC, .reps = R->reps, .mark_gpa = c->dev.res.range[0].base };
	memcpy((void *)p, &in, sizeof(in));
	if (vm_start(&vm) < 0)
		goto out;
	pfd = (struct pollfd){ .fd = vm.end.efd, .events = POLLIN };
	while (poll(&pfd, 1, 60000) < 0 && errno == EINTR)
		;
	vm_request_end(&vm, VM_END_SIGNAL);
	vm_stop(&vm);
	rc = 0;
	memcpy(&out, (const void *)p, sizeof(out));
	R->umip_guest = out.umip;
	R->ok = true;
	if (c->fatal) {
		char w[96];

		snprintf(w, sizeof(w), "exception %u at 0x%llx", out.fatal_vector, (unsigned long long)out.fatal_rip);
		R->ok = false;
		snprintf(R->why, sizeof(R->why), "the guest took an unexpected %s", w);
	} else if (!c->done || out.status != SN_ST_DONE) {
		R->ok = false;
		snprintf(R->why, sizeof(R->why), "the guest did not finish (status %u)", out.status);
	}
	for (unsigned x = 0; R->ok && x < SN_NCTX; x++) {
		if (x >= SN_OWN0_UMIP && !out.umip)
			continue;
		for (unsigned o = 0; o < SN_NOPS; o++) {
			if (!c->seen[x][o] || !c->exp[x].have) {
				R->ok = false;
				snprintf(R->why, sizeof(R->why), "the guest did not mark %s %s", ctx_name[x], op_name[o]);
				break;
			}
			judge(R, c, x, o, &out.res[x][o]);
			R->wrong += !R->row[x][o].ok;
		}
	}
out:
	if (rc < 0) {
		R->ok = false;
		snprintf(R->why, sizeof(R->why), "%s", err_msg());
	}
	vm_destroy(&vm);
	stats_free(stats);
	return rc;
}

static int write_json(const char *path, const struct sn_result_all *R)
{
	FILE *f = lab_json_open(path, "sensitive", R->tier, R->kvm, R->kernel);
	bool first = true;

	if (!f)
		return -1;
	fprintf(f, ", \"capabilities\": {\"umip_in_supported_cpuid\": %s}},\n", R->umip_cpuid ? "true" : "false");
	fprintf(f, "  \"ok\": %s", R->ok ? "true" : "false");
	if (!R->ok) {
		fprintf(f, ", \"reason\": ");
		lab_json_str(f, R->why);
	}
	fprintf(f, ",\n  \"reps\": %u, \"umip_ran\": %s,\n", R->reps, R->umip_guest ? "true" : "false");
	fprintf(f, "  \"model\": {\"returns\": \"the guest's own state (the vCPU's registers as KVM holds them; "
		   "warden's boot GDT; warden's CPUID), never the host's\", \"exits_to_warden_per_execution\": 0, "
		   "\"umip_cpl3\": \"#GP (vector 13) for SGDT, SIDT, SLDT, STR, SMSW\", "
		   "\"popf_if\": \"changes IF only where CPL <= IOPL, else ignored without a fault\"},\n");
	fprintf(f, "  \"boot_gdt\": {\"base\": %llu, \"limit\": %u},\n", (unsigned long long)R->boot_gdt.base,
		R->boot_gdt.limit);
	fprintf(f, "  \"measured\": [");
	for (unsigned x = 0; x < SN_NCTX; x++)
		for (unsigned o = 0; o < SN_NOPS; o++) {
			const struct sn_row *r = &R->row[x][o];

			fprintf(f, "%s\n    {\"context\": \"%s\", \"cpl\": %d, \"umip\": %s, \"instruction\": \"%s\", "
				   "\"status\": \"%s\"",
				first ? "" : ",", ctx_name[x], cpl_of(x), x >= SN_OWN0_UMIP ? "true" : "false", op_name[o],
				r->ran ? "measured" : "skipped");
			first = false;
			if (!r->ran) {
				fprintf(f, ", \"reason\": ");
				lab_json_str(f, !R->ok ? R->why : "the guest's CPUID (KVM_GET_SUPPORTED_CPUID leaf 7 ECX bit 2) offers no UMIP");
				fputc('}', f);
				continue;
			}
			fprintf(f, ", \"own_state\": %s, \"returned\": ", r->ok ? "true" : "false");
			lab_json_str(f, r->got);
			fprintf(f, ", \"expected\": ");
			lab_json_str(f, r->want);
			fprintf(f, ", \"faulted\": %s, \"vector\": %u, \"exits_to_warden\": %llu, \"kvm_exits\": ",
				r->faulted ? "true" : "false", r->vector, (unsigned long long)r->exits);
			if (r->kvm_known)
				fprintf(f, "%llu", (unsigned long long)r->kvm_exits);
			else
				fputs("null", f);
			fputc('}', f);
		}
	fprintf(f, "\n  ],\n  \"wrong\": %u\n}\n", R->wrong);
	if (fclose(f) != 0)
		return fail_errno(ERR_USAGE, "cannot write --json %s", path);
	return 0;
}

static int write_svg(const char *path, const struct sn_result_all *R)
{
	static struct sn_plot p; /* the strings point into R */

	p = (struct sn_plot){ .tier = R->tier, .kvm = R->kvm, .kernel = R->kernel };
	for (unsigned o = 0; o < SN_NOPS; o++)
		p.op[o] = op_name[o];
	for (unsigned x = 0; x < SN_NCTX; x++) {
		p.ctx[x] = ctx_name[x];
		p.cpl[x] = cpl_of(x);
		p.umip[x] = x >= SN_OWN0_UMIP;
		for (unsigned o = 0; o < SN_NOPS; o++) {
			const struct sn_row *r = &R->row[x][o];

			p.cell[x][o] = (struct sn_plot_cell){
				.ran = r->ran, .own = r->ok, .faulted = r->faulted, .vector = r->vector,
				.exits = (double)r->exits / R->reps,
				.kvm_exits = r->kvm_known ? (double)r->kvm_exits / R->reps : NAN,
				.got = r->got, .want = r->want,
			};
		}
	}
	return sn_write_svg(path, &p);
}

static void print_table(const struct sn_result_all *R)
{
	printf("%-10s %-11s %-40s %-40s %4s %9s %9s\n", "context", "instruction", "returned", "guest's own state",
	       "own", "warden/ex", "KVM/ex");
	for (unsigned x = 0; x < SN_NCTX; x++)
		for (unsigned o = 0; o < SN_NOPS; o++) {
			const struct sn_row *r = &R->row[x][o];

			if (!r->ran) {
				if (o == 0 && R->ok)
					printf("%-10s skipped: the guest's CPUID offers no UMIP (KVM_GET_SUPPORTED_CPUID leaf 7 ECX bit 2)\n",
					       ctx_name[x]);
				continue;
			}
			printf("%-10s %-11s %-40s %-40s %4s %9.2f ", ctx_name[x], op_name[o], r->got, r->want,
			       r->ok ? "yes" : "NO", (double)r->exits / R->reps);
			if (r->kvm_known)
				printf("%9.2f\n", (double)r->kvm_exits / R->reps);
			else
				printf("%9s\n", "-");
		}
	printf("model: every instruction returns the guest's own state and none exits to warden; at CPL 3 with UMIP\n"
	       "the descriptor-table reads raise #GP; POPF changes IF only where CPL <= IOPL.\n");
	printf("%u of the rows returned something else\n", R->wrong);
}

static void usage(FILE *f)
{
	fputs("usage: warden lab sensitive [--json FILE] [--svg FILE] [--reps N] [--tier NAME]\n"
	      "                 [--kvm-device PATH]\n"
	      "\n"
	      "SGDT, SIDT, SLDT, STR, SMSW, PUSHF/POPF with IF and CPUID in a built-in guest at\n"
	      "CPL 0 and CPL 3, with CR4.UMIP off and on where the guest's CPUID offers it: what\n"
	      "each returns against the guest's own state, and the exits around it.  See\n"
	      "docs/lab.md.\n"
	      "\n"
	      "  --json FILE       write the results as JSON\n"
	      "  --svg FILE        write a grid figure (instruction x context: own state, exits)\n"
	      "  --reps N          executions of each instruction (default 8, 1 to 64)\n"
	      "  --tier NAME       the tier to report (default: emulated in a QEMU TCG L1,\n"
	      "                    else native)\n"
	      "  --kvm-device PATH KVM device (default /dev/kvm)\n",
	      f);
}

int lab_sensitive_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", required_argument, NULL, 'j' }, { "svg", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "tier", required_argument, NULL, 't' }, { "kvm-device", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct sn_result_all *R = calloc(1, sizeof(*R));
	const char *json = NULL, *svg = NULL, *kvm_device = NULL, *tier = NULL;
	struct boot_spec spec = lab_guest_spec("warden lab sensitive's built-in guest", lab_sensitive_guest,
					       lab_sensitive_guest_end);
	char *end;
	unsigned long v;
	int c, st = 0;

	if (!R) {
		fprintf(stderr, "warden: out of memory\n");
		return 1;
	}
	R->reps = SN_REPS_DEFAULT;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = optarg; break;
		case 's': svg = optarg; break;
		case 'r':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-' || v < 1 || v > SN_REPS_MAX) {
				fprintf(stderr, "warden: --reps needs a whole number from 1 to %d, not '%s'\n", SN_REPS_MAX, optarg);
				free(R);
				return 2;
			}
			R->reps = (uint32_t)v;
			break;
		case 't':
			if (strcmp(optarg, "native") && strcmp(optarg, "emulated")) {
				fprintf(stderr, "warden: --tier must be native or emulated, not '%s'\n", optarg);
				free(R);
				return 2;
			}
			tier = optarg;
			break;
		case 'k': kvm_device = optarg; break;
		case 'h': usage(stdout); free(R); return 0;
		case ':':
			fprintf(stderr, "warden: %s needs a value\n", argv[optind - 1]);
			free(R);
			return 2;
		default:
			fprintf(stderr, "warden: unknown option '%s' (see warden lab sensitive --help)\n", argv[optind - 1]);
			free(R);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "warden: unexpected argument '%s' (see warden lab sensitive --help)\n", argv[optind]);
		free(R);
		return 2;
	}
	LAB_HOST_FACTS(R, tier);
	if (run(R, &spec, kvm_device) < 0) {
		fprintf(stderr, "warden: %s\n", err_msg());
		st = err_class() == ERR_USAGE ? 2 : 1;
		free(R);
		return st;
	}
	print_table(R);
	if ((json && write_json(json, R) < 0) || (svg && write_svg(svg, R) < 0)) {
		fprintf(stderr, "warden: %s\n", err_msg());
		free(R);
		return 2;
	}
	if (!R->ok) {
		fprintf(stderr, "warden: lab sensitive: %s\n", R->why);
		st = 1;
	}
	free(R);
	return st;
}
