/* PCI configuration space (src/devices/pci_cfg.c) and MSI-X
 * (src/devices/msix.c): what a guest can do to them. */
#include <string.h>

#include "devices/msix.h"
#include "devices/pci_cfg.h"
#include "unit.h"

static uint32_t rd(const struct pci_cfg *c, unsigned off, unsigned len)
{
	uint32_t v = 0;

	pci_cfg_read(c, off, (uint8_t *)&v, len);
	return v;
}

static int wr(struct pci_cfg *c, unsigned off, uint32_t v, unsigned len)
{
	return pci_cfg_write(c, off, (const uint8_t *)&v, len);
}

static void setup_fn(struct pci_cfg *c)
{
	pci_cfg_init(c, 0x1af4, 0x1042, 0x018000, 0x1af4, 0x1042);
	assert_int_equal(pci_cfg_set_bar(c, 0, 0xc1000000, 0x4000), 0);
}

static void test_header(void **state)
{
	struct pci_cfg c;

	(void)state;
	setup_fn(&c);
	assert_int_equal(rd(&c, 0, 4), 0x10421af4);
	assert_int_equal(rd(&c, 8, 4) >> 8, 0x018000);
	assert_int_equal(rd(&c, PCI_CFG_INT_PIN, 1), 0); /* no INTx */
	/* Read-only ids; the command register takes only its writable bits. */
	assert_int_equal(wr(&c, 0, 0xffffffff, 4), 0);
	assert_int_equal(rd(&c, 0, 4), 0x10421af4);
	assert_int_equal(wr(&c, PCI_CFG_COMMAND, 0xffff, 2), 0);
	assert_int_equal(rd(&c, PCI_CFG_COMMAND, 2), 0x406);
}

static void test_bar_sizing_and_relocation(void **state)
{
	struct pci_cfg c;

	(void)state;
	setup_fn(&c);
	assert_int_equal(rd(&c, PCI_CFG_BAR0, 4), 0xc1000000);
	assert_int_equal(wr(&c, PCI_CFG_BAR0, 0xffffffff, 4), 0);
	assert_int_equal(rd(&c, PCI_CFG_BAR0, 4), 0xffffc000); /* 16 KiB, mem32 */
	assert_int_equal(wr(&c, PCI_CFG_BAR0, 0xc1000000, 4), 0); /* restored */
	assert_int_equal(rd(&c, PCI_CFG_BAR0, 4), 0xc1000000);
	/* Moving it is refused and it stays where the allocator put it. */
	assert_int_equal(wr(&c, PCI_CFG_BAR0, 0xd0000000, 4), -1);
	assert_int_equal(rd(&c, PCI_CFG_BAR0, 4), 0xc1000000);
	assert_int_equal(wr(&c, PCI_CFG_BAR0 + 2, 0xffff, 2), -1); /* partial */
	assert_int_equal(rd(&c, PCI_CFG_BAR0, 4), 0xc1000000);
	/* Unimplemented BARs are hardwired 0. */
	assert_int_equal(wr(&c, PCI_CFG_BAR0 + 4, 0xffffffff, 4), 0);
	assert_int_equal(rd(&c, PCI_CFG_BAR0 + 4, 4), 0);
	assert_int_equal(pci_cfg_set_bar(&c, 1, 0xc1001000, 0x4000), -1); /* misaligned */
	assert_int_equal(pci_cfg_set_bar(&c, 6, 0xc1000000, 0x4000), -1);
}

static void test_any_size_and_offset(void **state)
{
	struct pci_cfg c;
	uint8_t before[PCI_CFG_SIZE];

	(void)state;
	setup_fn(&c);
	memcpy(before, c.b, sizeof(before));
	/* Across a dword, odd sizes, past the end: refused, nothing changes. */
	for (unsigned off = 0; off < 300; off++)
		for (unsigned len = 0; len <= 8; len++) {
			uint64_t v = ~0ULL;

			if (pci_cfg_access_ok(off, len))
				continue;
			assert_int_equal(pci_cfg_write(&c, off, (uint8_t *)&v, len), -1);
			v = 0;
			pci_cfg_read(&c, off, (uint8_t *)&v, len);
			assert_true(len == 0 || (v & 0xff) == 0xff);
		}
	assert_memory_equal(before, c.b, sizeof(before));
	assert_true(pci_cfg_access_ok(0xff, 1));
	assert_false(pci_cfg_access_ok(0xff, 2));
	assert_false(pci_cfg_access_ok(0x101, 1));
	assert_false(pci_cfg_access_ok(2, 4));
	assert_false(pci_cfg_access_ok(0, 3));
}

static void test_capability_chain(void **state)
{
	struct pci_cfg c;
	uint8_t a[16] = { PCI_CAP_ID_VNDR, 0x77, 16, 1 }, m[12] = { PCI_CAP_ID_MSIX, 0, 3, 0 };
	uint8_t mw[12] = { 0, 0, 0, 0xc0 };
	int at_a, at_m;

	(void)state;
	setup_fn(&c);
	assert_int_equal(rd(&c, PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	at_a = pci_cfg_add_cap(&c, a, sizeof(a), NULL);
	at_m = pci_cfg_add_cap(&c, m, sizeof(m), mw);
	assert_int_equal(at_a, 0x40);
	assert_int_equal(at_m, 0x50);
	assert_int_equal(rd(&c, PCI_CFG_CAP_PTR, 1), 0x40);
	assert_int_equal(rd(&c, 0x41, 1), 0x50); /* next, not what the body said */
	assert_int_equal(rd(&c, 0x51, 1), 0);
	assert_true(rd(&c, PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST);
	/* Only enable and function mask of the message control are writable. */
	assert_int_equal(wr(&c, at_m, 0xffffffff, 4), 0);
	assert_int_equal(rd(&c, at_m, 4), 0xc0030011);
	assert_int_equal(wr(&c, at_a, 0xffffffff, 4), 0);
	assert_int_equal(rd(&c, at_a, 4), 0x01105009);
	/* A full space refuses more. */
	while (pci_cfg_add_cap(&c, a, sizeof(a), NULL) >= 0)
		;
	assert_true(c.cap_end <= PCI_CFG_SIZE + 3);
}

/* --- MSI-X ------------------------------------------------------------------ */

struct sink {
	unsigned routes, fires, last_v;
	uint64_t last_addr;
	uint32_t last_data;
};

static void route(void *ctx, unsigned v, uint64_t addr, uint32_t data)
{
	struct sink *s = ctx;

	s->routes++;
	s->last_v = v;
	s->last_addr = addr;
	s->last_data = data;
}

static void fire(void *ctx, unsigned v, uint64_t addr, uint32_t data)
{
	struct sink *s = ctx;

	s->fires++;
	s->last_v = v;
	s->last_addr = addr;
	s->last_data = data;
}

static const struct msix_ops ops = { route, fire };

static void program(struct msix *m, unsigned v, uint32_t addr, uint32_t data, uint32_t ctrl)
{
	uint32_t e[4] = { addr, 0, data, ctrl };

	for (unsigned w = 0; w < 4; w++)
		assert_int_equal(msix_table_write(m, v * 16 + w * 4, (uint8_t *)&e[w], 4), 0);
}

static uint32_t pba(struct msix *m)
{
	uint32_t v = 0;

	assert_int_equal(msix_pba_read(m, 0, (uint8_t *)&v, 4), 0);
	return v;
}

static void test_msix_mask_pending_unmask(void **state)
{
	struct sink s = { 0 };
	struct msix m;

	(void)state;
	msix_init(&m, 3, &ops, &s);
	/* Disabled: held pending, nothing sent. */
	msix_notify(&m, 1);
	assert_int_equal(s.fires, 0);
	assert_int_equal(pba(&m), 2);
	program(&m, 1, 0xfee00000, 0x41, 0); /* unmasked, but MSI-X still off */
	assert_int_equal(s.fires, 0);
	msix_control(&m, MSIX_CONTROL_ENABLE);
	assert_int_equal(s.routes, 1); /* routed before delivery */
	assert_int_equal(s.fires, 1);  /* the pending one, on enable */
	assert_int_equal(s.last_data, 0x41);
	assert_int_equal(pba(&m), 0);
	msix_notify(&m, 1);
	assert_int_equal(s.fires, 2);
	/* Masked vector: the PBA bit, delivered once on unmask. */
	program(&m, 1, 0xfee00000, 0x41, MSIX_CTRL_MASKBIT);
	msix_notify(&m, 1);
	msix_notify(&m, 1);
	assert_int_equal(s.fires, 2);
	assert_int_equal(pba(&m), 2);
	program(&m, 1, 0xfee00000, 0x42, 0);
	assert_int_equal(s.fires, 3);
	assert_int_equal(s.last_data, 0x42);
	assert_int_equal(pba(&m), 0);
	/* Function mask holds every vector. */
	msix_control(&m, MSIX_CONTROL_ENABLE | MSIX_CONTROL_FMASK);
	msix_notify(&m, 1);
	assert_int_equal(s.fires, 3);
	msix_control(&m, MSIX_CONTROL_ENABLE);
	assert_int_equal(s.fires, 4);
	/* Out-of-range vectors are ignored. */
	msix_notify(&m, 3);
	msix_notify(&m, 1000);
	assert_int_equal(s.fires, 4);
	msix_destroy(&m);
}

static void test_msix_bad_accesses(void **state)
{
	struct sink s = { 0 };
	struct msix m;
	uint64_t v = ~0ULL;

	(void)state;
	msix_init(&m, 2, &ops, &s);
	assert_int_equal(msix_table_write(&m, 32, (uint8_t *)&v, 4), -1); /* past the table */
	assert_int_equal(msix_table_write(&m, 2, (uint8_t *)&v, 4), -1);  /* misaligned */
	assert_int_equal(msix_table_write(&m, 0, (uint8_t *)&v, 2), -1);  /* width */
	assert_int_equal(msix_table_write(&m, 28, (uint8_t *)&v, 8), -1); /* qword at the end */
	v = ~0ULL;
	assert_int_equal(msix_table_read(&m, 1ULL << 40, (uint8_t *)&v, 4), -1);
	assert_int_equal(v & 0xffffffff, 0);
	assert_int_equal(msix_pba_read(&m, 8, (uint8_t *)&v, 4), -1);
	assert_int_equal(msix_pba_read(&m, 4, (uint8_t *)&v, 8), -1);
	/* Reserved vector-control bits read 0. */
	v = 0xfffffffe;
	assert_int_equal(msix_table_write(&m, 12, (uint8_t *)&v, 4), 0);
	assert_int_equal(msix_table_read(&m, 12, (uint8_t *)&v, 4), 0);
	assert_int_equal(v & 0xffffffff, 0);
	assert_int_equal(msix_table_size(2), 32);
	assert_int_equal(msix_pba_size(2), 8);
	assert_int_equal(s.fires, 0);
	msix_destroy(&m);
}

/* --- snapshots ------------------------------------------------------------ */

/* Config space: the guest's writes come back in a function built the same
 * way; a read-only bit that differs (another device) is refused. */
static void test_cfg_save_restore(void **state)
{
	struct pci_cfg a, b, other;
	struct pci_cfg_saved s;

	(void)state;
	setup_fn(&a);
	setup_fn(&b);
	assert_int_equal(wr(&a, PCI_CFG_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2), 0);
	assert_int_equal(wr(&a, PCI_CFG_BAR0, 0xffffffff, 4), 0); /* sizing, left so */
	pci_cfg_save(&a, &s);
	assert_int_equal(pci_cfg_restore(&b, &s), 0);
	assert_int_equal(rd(&b, PCI_CFG_COMMAND, 2), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(rd(&b, PCI_CFG_BAR0, 4), 0xffffc000);
	/* Another device id: a read-only byte. */
	pci_cfg_init(&other, 0x1af4, 0x1041, 0x018000, 0x1af4, 0x1041);
	assert_int_equal(pci_cfg_set_bar(&other, 0, 0xc1000000, 0x4000), 0);
	assert_int_equal(pci_cfg_restore(&other, &s), -1);
	assert_int_equal(rd(&other, PCI_CFG_COMMAND, 2), 0); /* nothing taken */
	/* A sizing flag that is no boolean, or on a BAR the function lacks. */
	s.bar_sizing[0] = 2;
	assert_int_equal(pci_cfg_restore(&b, &s), -1);
	s.bar_sizing[0] = 0;
	s.bar_sizing[3] = 1;
	assert_int_equal(pci_cfg_restore(&b, &s), -1);
}

/* MSI-X: the table, the PBA and the control come back; every deliverable
 * vector is routed again (KVM's GSI routes of a new process) and a
 * pending message for an unmasked vector is sent; malformed state is
 * refused and changes nothing. */
static void test_msix_save_restore(void **state)
{
	struct sink sa = { 0 }, sb = { 0 };
	struct msix a, b, c;
	struct msix_saved s;

	(void)state;
	msix_init(&a, 3, &ops, &sa);
	msix_init(&b, 3, &ops, &sb);
	msix_init(&c, 2, &ops, &sb);
	program(&a, 0, 0xfee00000, 0x30, 0);
	program(&a, 1, 0xfee01000, 0x31, 0);
	program(&a, 2, 0xfee02000, 0x32, MSIX_CTRL_MASKBIT);
	msix_control(&a, MSIX_CONTROL_ENABLE);
	msix_notify(&a, 2); /* masked: held in the PBA */
	assert_int_equal(pba(&a), 4);
	msix_save(&a, &s);
	assert_int_equal(msix_restore(&b, &s), 0);
	assert_int_equal(sb.routes, 2); /* vectors 0 and 1, not the masked one */
	assert_int_equal(sb.fires, 0);
	assert_int_equal(pba(&b), 4);
	assert_true(msix_enabled(&b));
	msix_notify(&b, 1);
	assert_int_equal(sb.fires, 1);
	assert_int_equal(sb.last_data, 0x31);
	program(&b, 2, 0xfee02000, 0x32, 0); /* unmasked: the held one goes */
	assert_int_equal(sb.fires, 2);
	assert_int_equal(sb.last_data, 0x32);
	/* Another vector count, a reserved control bit, a flag that is no
	 * boolean, a pending bit past the table. */
	assert_int_equal(msix_restore(&c, &s), -1);
	s.entry[1][3] = 2;
	assert_int_equal(msix_restore(&b, &s), -1);
	s.entry[1][3] = 0;
	s.enabled = 7;
	assert_int_equal(msix_restore(&b, &s), -1);
	s.enabled = 1;
	s.pending[5] = 1;
	assert_int_equal(msix_restore(&b, &s), -1);
	assert_int_equal(pba(&b), 0); /* untouched by the refusals */
	msix_destroy(&a);
	msix_destroy(&b);
	msix_destroy(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_bar_sizing_and_relocation),
		cmocka_unit_test(test_any_size_and_offset),
		cmocka_unit_test(test_capability_chain),
		cmocka_unit_test(test_msix_mask_pending_unmask),
		cmocka_unit_test(test_msix_bad_accesses),
		cmocka_unit_test(test_cfg_save_restore),
		cmocka_unit_test(test_msix_save_restore),
	};

	return cmocka_run_group_tests_name("pci_cfg", tests, NULL, NULL);
}
