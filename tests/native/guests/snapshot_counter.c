/* Native-tier test guest for snapshots (tests/native/snapshot.sh):
 * `warden run --mem 16 --test-exit-port 0xf4`, freestanding ELF64 in
 * long mode.  It fills 4 MiB of RAM with a pattern, starts the x2APIC's
 * periodic timer (every 5 ms) and halts; at each wake-up with new ticks
 * it prints "count N" (N: such wake-ups so far) on COM1, checks one page
 * of the pattern (the memory came back whole), and checks that the TSC
 * never went backward.  At
 * COUNT_END it prints "done" and ends with status 33 (test-exit 0x10);
 * a bad page ends it with 35 (0x11), a TSC that went back with 37 (0x12).
 * A restored snapshot must continue the count where it stopped: the
 * LAPIC timer, the IDT, the registers, the TSC and the RAM all carried
 * over. */
#include "guest_rt.h"

#define TEST_EXIT 0xf4
#define PERIOD_NS 5000000u
#define COUNT_END 200
#define PATTERN_GPA 0x800000UL
#define PATTERN_PAGES 1024 /* 4 MiB */

static uint64_t pattern(uint64_t i)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL;
}

static void end(uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"((uint16_t)TEST_EXIT));
	for (;;)
		__asm__ volatile("cli; hlt");
}

static int page_ok(uint64_t page)
{
	volatile uint64_t *p = (volatile uint64_t *)(PATTERN_GPA + page * 4096);

	for (uint64_t i = 0; i < 512; i++)
		if (p[i] != pattern(page * 512 + i))
			return 0;
	return 1;
}

void guest_main(void)
{
	volatile uint64_t *p = (volatile uint64_t *)PATTERN_GPA;
	uint64_t seen = 0, n = 0, last_tsc = rdtsc();

	for (uint64_t i = 0; i < PATTERN_PAGES * 512ULL; i++)
		p[i] = pattern(i);
	print("snapshot-counter: start\n");
	rt_timer_start(PERIOD_NS);
	for (;;) {
		uint64_t now;

		__asm__ volatile("sti; hlt; cli");
		/* The count is of wake-ups that saw new ticks, not of ticks:
		 * a host too busy to run the vCPU for two periods merges them. */
		if (rt_ticks == seen)
			continue;
		seen = rt_ticks;
		n++;
		now = rdtsc();
		if (now < last_tsc) {
			print("snapshot-counter: TSC went backward\n");
			end(0x12);
		}
		last_tsc = now;
		if (!page_ok(n % PATTERN_PAGES)) {
			print("snapshot-counter: memory BAD\n");
			end(0x11);
		}
		print("count ");
		putu(n);
		print("\n");
		if (n >= COUNT_END) {
			rt_timer_stop();
			print("snapshot-counter: done\n");
			end(0x10);
		}
	}
}
