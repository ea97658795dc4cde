#include "core/vcpu.h"

#include <alloca.h>
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/cpuid.h"
#include "core/crash_state.h"
#include "core/exit.h"
#include "core/exit_notes.h"
#include "core/hyperv.h"
#include "core/vcpu_reset.h"
#include "core/vm.h"
#include "sandbox/seccomp.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/futex_mutex.h"
#include "util/hot.h"
#include "util/log.h"
#include "util/stamp.h"

#define SIG_KICK SIGUSR1

#define MSR_IA32_TSC 0x10
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MISC_ENABLE_FAST_STRING 1
#define MTRR_ENABLE_WB 0x806 /* MTRRs on, default type write-back */

/* The vCPU this thread runs (vcpu_halt_after_exit). */
static __thread struct vcpu *this_vcpu;

static void kick_handler(int sig)
{
	(void)sig; /* only here to interrupt KVM_RUN with EINTR */
}

/* WARDEN_TEST_STUCK_VCPU=N: vCPU N's thread hangs once the VM ends (the
 * native tier's test that warden still ends by its deadline).  Read once
 * per vCPU at creation; the exit loop never looks at it. */
static bool test_stuck_hook(unsigned id)
{
	const char *s = getenv("WARDEN_TEST_STUCK_VCPU");
	char *end;
	unsigned long n;

	if (!s || !*s)
		return false;
	n = strtoul(s, &end, 10);
	return !*end && n == id;
}

/* The hook's hang: the kick signal interrupts a sleep and nothing else
 * (sleeps, not pause(): the vCPU's seccomp list has no pause). */
static COLD_PATH void test_hang(struct vcpu *v)
{
	log_warn("vCPU %u: WARDEN_TEST_STUCK_VCPU: this thread now ignores the stop", v->id);
	for (;;)
		sleep(1);
}

static int setup_msrs(struct vcpu *v)
{
	/* struct kvm_msrs with its entries: the same layout, spelled out
	 * (a struct ending in a flexible array may not head another). */
	struct {
		uint32_t nmsrs, pad;
		struct kvm_msr_entry e[3];
	} m = { .nmsrs = 3,
		.e = { { .index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING },
		       { .index = MSR_MTRR_DEF_TYPE, .data = MTRR_ENABLE_WB },
		       { .index = MSR_IA32_TSC, .data = 0 } } };
	int n;

	_Static_assert(offsetof(__typeof__(m), e) == offsetof(struct kvm_msrs, entries),
		       "kvm_msrs layout");
	n = ioctl(v->fd, KVM_SET_MSRS, &m);

	/* KVM stops at the first MSR it does not know; that is not fatal. */
	if (n < 0)
		return fail_errno(ERR_HOST, "KVM_SET_MSRS");
	if (n < 3)
		log_debug("vCPU %u: KVM accepted %d of 3 boot MSRs", v->id, n);
	return 0;
}

int vcpu_create(struct vcpu *v, struct vm *vm, unsigned id)
{
	struct kvm_cpuid2 *cpuid;
	struct sigaction sa = { .sa_handler = kick_handler };
	int ret;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->test_stuck = test_stuck_hook(id);
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		return fail_errno(ERR_HOST, "KVM_CREATE_VCPU %u", id);
	v->run = mmap(NULL, (size_t)vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return fail_errno(ERR_HOST, "mmap kvm_run");
	}
	stamp("KVM_CREATE_VCPU");
	cpuid = cpuid_for_vcpu(vm->cpuid, id);
	if (!cpuid)
		return -1;
	ret = ioctl(v->fd, KVM_SET_CPUID2, cpuid);
	free(cpuid);
	if (ret < 0)
		return fail_errno(ERR_HOST, "KVM_SET_CPUID2");
	if (vm->cfg.hyperv && vcpu_hyperv_enable(v) < 0)
		return -1;
	if (vm->cfg.exit_rip)
		vcpu_exit_rip_setup(v);
	/* No SA_RESTART: the kick must make KVM_RUN return EINTR. */
	sigaction(SIG_KICK, &sa, NULL);
	return setup_msrs(v);
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->run)
		munmap(v->run, (size_t)v->vm->run_size);
	if (v->fd > 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

int vcpu_set_boot_regs(struct vcpu *v, const struct vcpu_boot_regs *b)
{
	struct kvm_sregs s;
	struct kvm_regs r = b->regs;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return fail_errno(ERR_HOST, "KVM_GET_SREGS");
	s.cs = b->cs;
	s.ds = b->ds;
	s.es = b->es;
	s.fs = b->fs;
	s.gs = b->gs;
	s.ss = b->ss;
	s.gdt = b->gdt;
	s.cr0 = b->cr0;
	s.cr3 = b->cr3;
	s.cr4 = b->cr4;
	s.efer = b->efer;
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return fail_errno(ERR_HOST, "KVM_SET_SREGS");
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return fail_errno(ERR_HOST, "KVM_SET_REGS");
	return 0;
}

bool vcpu_halt_after_exit(void)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_HALTED };

	/* On the vCPU's own thread, between two KVM_RUNs: the next one
	 * completes the exiting instruction, then blocks in the kernel. */
	if (!this_vcpu || !this_vcpu->vm->cfg.irqchip)
		return false;
	return ioctl(this_vcpu->fd, KVM_SET_MP_STATE, &mp) == 0;
}

static bool vm_running(void *vm)
{
	return vm_end_get(&((struct vm *)vm)->end) == VM_RUNNING;
}

/* Power-on state after S3: vCPU 0 at the waking vector, the others
 * waiting for the OS's INIT-SIPI, as a PC's firmware leaves them. */
static int resume_state(struct vcpu *v, uint32_t vector)
{
	if (v->id != 0)
		return vcpu_reset_real_mode(v, 0, 0) < 0 ? -1 :
			vcpu_set_mp_state(v, KVM_MP_STATE_INIT_RECEIVED);
	if (vcpu_reset_real_mode(v, (uint16_t)(vector >> 4), (uint16_t)(vector & 0xf)) < 0)
		return -1;
	return vcpu_set_mp_state(v, KVM_MP_STATE_RUNNABLE);
}

/* Under V's notes lock: the notes not handed over yet, in order. */
static void notes_hand_over(struct vcpu *v)
{
	exit_notes_fn *exits;

	if (v->notes && (exits = v->vm->obs.exits))
		exit_notes_hand_over(v->notes, exits, v->id);
}

/* Out of line: every EXIT_NOTES exits, not every exit. */
__attribute__((noinline)) void vcpu_sync_notes(struct vcpu *v)
{
	futex_mutex_lock(&v->notes_lock);
	notes_hand_over(v);
	futex_mutex_unlock(&v->notes_lock);
}

/* The ring G in the run loop's frame becomes V's (NULL: none, the thread
 * ends): the notes it still has are handed over first. */
static void notes_publish(struct vcpu *v, struct exit_notes *g)
{
	futex_mutex_lock(&v->notes_lock);
	notes_hand_over(v);
	v->notes = g;
	futex_mutex_unlock(&v->notes_lock);
}

/* KVM_RUN failed: the way back of the last exit, TICKS, with no exit to
 * carry it, after the notes (the observer's last exit is that one). */
static COLD_PATH void return_without_exit(struct vcpu *v, uint64_t ticks)
{
	const struct vm_observer *obs = &v->vm->obs;

	futex_mutex_lock(&v->notes_lock);
	notes_hand_over(v);
	if (obs->exit_return)
		obs->exit_return(obs->ctx, v->id, ticks);
	futex_mutex_unlock(&v->notes_lock);
}

/* The VM suspended (core/vm_sleep.h): park until the resume, then start
 * again from the power-on state.  False when the VM ends meanwhile (or
 * the reset failed, a host error). */
static COLD_PATH bool sleep_and_resume(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint32_t vector = 0;
	unsigned e;

	vcpu_sync_notes(v); /* what was seen before the sleep is complete */
	while ((e = atomic_load(&vm->sleep.epoch)) != v->sleep_epoch) {
		v->sleep_epoch = e;
		if (!vm_sleep_wait(&vm->sleep, e, vm_running, vm, &vector))
			return false;
	}
	if (vcpu_complete_io(v) < 0 || resume_state(v, vector) < 0) {
		log_warn("%s", err_msg());
		vm_request_end(vm, VM_END_HOST_ERROR);
		return false;
	}
	return true;
}

/* A pause is requested (core/vm_pause.h): park until vm_resume.  False if
 * the vCPU must stop (the VM ends, or completing its last instruction
 * failed). */
static COLD_PATH bool pause_point(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct vm_pause *p = &vm->pause;

	/* A paused VM's statistics are complete. */
	vcpu_sync_notes(v);
	/* The last exit's instruction (a port read waiting for its value)
	 * completes now, so the registers a snapshot reads are final. */
	if (vcpu_complete_io(v) < 0) {
		log_warn("%s", err_msg());
		vm_request_end(vm, VM_END_HOST_ERROR);
		return false;
	}
	pthread_mutex_lock(&p->lock);
	p->parked++;
	pthread_cond_broadcast(&p->cond);
	while (atomic_load(&p->requested) && vm_running(vm))
		pthread_cond_wait(&p->cond, &p->lock);
	p->parked--;
	/* The pause's kick left it set; a stop's kick came after the end was
	 * set, which the caller sees next. */
	v->run->immediate_exit = 0;
	pthread_mutex_unlock(&p->lock);
	return vm_running(vm);
}

/* Hand the observer what KVM still knows at the exit R that ends the VM
 * badly: only now, on this thread, before anything resets the vCPU. */
static COLD_PATH void report_crash(struct vcpu *v, const struct exit_record *r)
{
	const struct vm_observer *obs = &v->vm->obs;
	struct vcpu_crash c;

	vcpu_sync_notes(v); /* the last exits, this one included */
	if (!obs->crash)
		return;
	vcpu_crash_capture(v, &c);
	obs->crash(obs->ctx, v->id, r, &c);
}

/* KVM_RUN as one system call of our own instead of libc's ioctl():
 * 0, or -errno.  After an exit every page warden touches costs a page
 * walk (util/hot.h); libc's wrapper and errno's lookup were two pages of
 * code of their own at every exit (docs/benchmarks.md, "The exit path in
 * pages").  The call is the same ioctl(2), so the seccomp filters see
 * nothing new. */
static inline int kvm_run_enter(int fd)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_ioctl), "D"((long)fd), "S"((long)KVM_RUN), "d"(0L)
			 : "rcx", "r11", "memory");
	return (int)ret;
}

/* The exit loop, the one path every exit takes.  It takes every timestamp
 * (entering KVM_RUN, back from it, decoded, emulated) and hands each
 * record to the VM's observer once: as it comes (obs.exit), or as a note
 * in the batches of obs.exits (the accounting's way: no call per exit);
 * the RETURN part of an exit (back into KVM_RUN) is known only when the
 * loop gets there again, so the next exit's record carries it.  What
 * every exit reads of the vCPU and the observer is copied to the stack
 * first (they do not change while the vCPU runs), so an exit touches the
 * stack, kvm_run and the VM's hot part, not the vcpu struct's page too.
 * Page-aligned: what an exit runs of it (about 3 KiB, its rare paths out
 * of line) is then one page of code, where it straddled two wherever the
 * linker put it. */
EXIT_PATH_PAGE static void vcpu_loop(struct vcpu *v)
{
	struct vm *vm = v->vm;
	const struct vm_observer obs = vm->obs;
	struct kvm_run *const run = v->run;
	const size_t run_size = (size_t)vm->run_size;
	const int fd = v->fd;
	const unsigned id = v->id;
	unsigned epoch = v->sleep_epoch; /* v->sleep_epoch, kept here */
	uint64_t prev_done = 0; /* the last exit's t_done; 0: no way back to time */
	void *vctx = obs.ctx; /* the observer's context for this vCPU's exits */
	struct exit_notes notes = { 0 }; /* for obs.exits: on the stack's page */
	char name[16];

	if (vm->cfg.fc_thread_names)
		snprintf(name, sizeof(name), "fc_vcpu %u", v->id);
	else
		snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	this_vcpu = v;
	if (obs.vcpu_start)
		vctx = obs.vcpu_start(obs.ctx, v->id);
	notes.vctx = vctx;
	if (obs.exits)
		notes_publish(v, &notes);
	seccomp_enter(THREAD_VCPU);
	while (vm_end_get(&vm->end) == VM_RUNNING) {
		/* exit_decode fills the record; only the stamps come first. */
		struct exit_record r;
		uint64_t t_enter = cycles(), t_exit;
		int ret, err;

		/* One atomic load per exit; a suspend bumps the epoch. */
		if (atomic_load(&vm->sleep.epoch) != epoch) {
			if (!sleep_and_resume(v))
				break;
			epoch = v->sleep_epoch;
			prev_done = 0; /* the sleep is no exit's return path */
			t_enter = cycles();
		}
		/* One more atomic load per exit: a pause parks here. */
		if (atomic_load(&vm->pause.requested)) {
			if (!pause_point(v))
				break;
			prev_done = 0; /* the pause is no exit's return path */
			t_enter = cycles();
		}
		ret = kvm_run_enter(fd);
		t_exit = cycles();
		err = ret < 0 ? -ret : 0;
		ret = ret < 0 ? -1 : ret;
		if (ret < 0 && err != EINTR && err != EAGAIN) {
			if (prev_done)
				return_without_exit(v, t_enter - prev_done);
			log_warn("vCPU %u: KVM_RUN: %s", id, strerror(err));
			vm_request_end(vm, VM_END_HOST_ERROR);
			break;
		}
		r.t_enter = t_enter;
		r.t_exit = t_exit;
		exit_decode(run, run_size, ret, err, &r);
		r.has_return = prev_done != 0;
		r.return_ticks = prev_done ? t_enter - prev_done : 0;
		r.t_decoded = cycles();
		exit_emulate(vm, id, &r);
		r.t_done = cycles();
		if (obs.exit)
			obs.exit(vctx, id, &r);
		if (obs.exits && exit_notes_put(&notes, &r))
			vcpu_sync_notes(v);
		if (__builtin_expect(r.dump_regs, 0))
			vcpu_dump(v);
		if (r.end == VM_END_TRIPLE_FAULT || r.end == VM_END_INTERNAL_ERROR)
			report_crash(v, &r);
		prev_done = r.t_done;
		if (__builtin_expect(r.end != VM_RUNNING, 0))
			vm_request_end(vm, (enum vm_end)r.end);
	}
	if (obs.exits)
		notes_publish(v, NULL);
	if (obs.vcpu_end)
		obs.vcpu_end(obs.ctx, v->id);
	if (v->test_stuck)
		test_hang(v);
}

/* How far below a page's top the exit loop's stack starts: room for the
 * call's return address and alignment, which the loop's frame sits under. */
#define LOOP_STACK_SLACK 64

/* The vCPU thread: the exit loop, on a stack moved down to just under a
 * page boundary.  Every exit runs the loop's frame and those of the calls
 * below it (decode, emulate, a device's handler, the observer): about a
 * kilobyte, which on the thread's stack as it comes would often straddle
 * two pages, one more page walk at every exit in the emulated tier
 * (util/hot.h).  Starting it just under a page's top keeps it in one
 * (bench/exit-pages.sh shows the stack as one page).  The pad costs at
 * most a page of the thread's stack. */
static void *vcpu_thread(void *arg)
{
	uintptr_t sp;
	volatile char *pad;

	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	pad = alloca((sp & 4095) + LOOP_STACK_SLACK);
	pad[0] = 0; /* the pad is used: the compiler keeps it */
	vcpu_loop(arg);
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int err = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (err) {
		errno = err;
		return fail_errno(ERR_HOST, "cannot start vCPU %u thread", v->id);
	}
	v->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->started)
		return;
	/* immediate_exit covers a vCPU that is about to enter KVM_RUN;
	 * the signal covers one already inside (e.g. halted in KVM). */
	v->run->immediate_exit = 1;
	pthread_kill(v->thread, SIG_KICK);
}

void vcpu_join(struct vcpu *v)
{
	if (v->started)
		pthread_join(v->thread, NULL);
	v->started = false;
}

int vcpu_join_until(struct vcpu *v, const struct timespec *deadline)
{
	if (v->started && pthread_timedjoin_np(v->thread, NULL, deadline) != 0)
		return -1;
	v->started = false;
	return 0;
}

void vcpu_dump(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		log_warn("vCPU %u: cannot read registers", v->id);
		return;
	}
	fprintf(stderr,
		"warden: vCPU %u registers:\n"
		"  rip %016llx rsp %016llx rflags %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  cs %04x base %llx  ss %04x  ds %04x  cr0 %llx cr2 %llx cr3 %llx cr4 %llx efer %llx\n",
		v->id, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
		r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cs.selector, s.cs.base,
		s.ss.selector, s.ds.selector, s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}
