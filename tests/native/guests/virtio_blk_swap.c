/* Native-tier test guest: a disk whose backing file is replaced while the
 * guest runs (PATCH /drives on Firecracker's API, Kata's placeholder
 * drives).  Freestanding ELF64 in long mode (guest_rt.h), booted through
 * the API (tests/native/api.sh) with one drive: an empty placeholder
 * file, the first virtio-mmio device at 0xc0000000.
 *
 * It brings the disk up (VERSION_1, one queue), prints its capacity,
 * says it is waiting, and reads ConfigGeneration until it changes
 * (interrupts are off in this guest: the InterruptStatus register must
 * show the configuration change instead).  Then it prints the new
 * capacity and the first 16 bytes of sector 0:
 *   virtio-blk-swap: capacity 0
 *   virtio-blk-swap: waiting
 *   virtio-blk-swap: config interrupt
 *   virtio-blk-swap: capacity 8
 *   virtio-blk-swap: data <16 bytes>
 * "virtio-blk-swap: timeout" if nothing changed in WAIT_READS reads. */
#include "guest_rt.h"

#include "virtio/virtio_spec.h"

#define BLK_BASE 0xc0000000UL
#define QSIZE 16
#define RING_GPA 0x400000UL /* desc, avail +0x1000, used +0x2000 */
#define HDR_GPA 0x500000UL  /* header at 0, status at 0x800 */
#define DATA_GPA 0x600000UL
#define T_IN 0
#define WAIT_READS 3000000UL /* register reads (exits): tens of seconds at most */

static uint32_t rd(uint32_t off)
{
	return *(volatile uint32_t *)(BLK_BASE + off);
}

static void wr(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(BLK_BASE + off) = v;
}

static volatile struct virtq_avail *avail(void) { return (volatile struct virtq_avail *)(RING_GPA + 0x1000); }
static volatile struct virtq_used *used(void) { return (volatile struct virtq_used *)(RING_GPA + 0x2000); }

static int init_device(void)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	if (rd(VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC || rd(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK)
		return -1;
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	memset((void *)RING_GPA, 0, 0x3000);
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING_GPA);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(RING_GPA + 0x1000));
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)(RING_GPA + 0x2000));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
				       VIRTIO_STATUS_DRIVER_OK);
	return 0;
}

static void print_capacity(void)
{
	uint64_t cap = rd(VIRTIO_MMIO_CONFIG) | (uint64_t)rd(VIRTIO_MMIO_CONFIG + 4) << 32;

	print("virtio-blk-swap: capacity ");
	putu(cap);
	print("\n");
}

/* Read sector 0 into DATA_GPA; the status byte (0xff: no answer). */
static uint8_t read_sector0(void)
{
	volatile uint64_t *hdr = (volatile uint64_t *)HDR_GPA;
	volatile uint8_t *status = (volatile uint8_t *)(HDR_GPA + 0x800);
	volatile struct virtq_desc *d = (volatile struct virtq_desc *)RING_GPA;

	hdr[0] = T_IN;
	hdr[1] = 0;
	*status = 0xee;
	d[0] = (struct virtq_desc){ .addr = HDR_GPA, .len = 16, .flags = VIRTQ_DESC_F_NEXT, .next = 1 };
	d[1] = (struct virtq_desc){ .addr = DATA_GPA, .len = 512, .flags = VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
				    .next = 2 };
	d[2] = (struct virtq_desc){ .addr = HDR_GPA + 0x800, .len = 1, .flags = VIRTQ_DESC_F_WRITE };
	avail()->ring[0] = 0;
	__atomic_store_n(&avail()->idx, 1, __ATOMIC_RELEASE);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	for (unsigned long i = 0; i < WAIT_READS; i++)
		if (__atomic_load_n(&used()->idx, __ATOMIC_ACQUIRE) == 1)
			return *status;
	return 0xff;
}

void guest_main(void)
{
	uint32_t gen;
	unsigned long i;
	char text[17];

	if (init_device() < 0) {
		print("virtio-blk-swap: no disk at 0xc0000000\n");
		poweroff();
	}
	print_capacity();
	gen = rd(VIRTIO_MMIO_CONFIG_GENERATION);
	print("virtio-blk-swap: waiting\n");
	for (i = 0; i < WAIT_READS && rd(VIRTIO_MMIO_CONFIG_GENERATION) == gen; i++)
		;
	if (i == WAIT_READS) {
		print("virtio-blk-swap: timeout\n");
		poweroff();
	}
	if (rd(VIRTIO_MMIO_INTERRUPT_STATUS) & 2) {
		print("virtio-blk-swap: config interrupt\n");
		wr(VIRTIO_MMIO_INTERRUPT_ACK, 2);
	}
	print_capacity();
	if (read_sector0() != 0) {
		print("virtio-blk-swap: read failed\n");
		poweroff();
	}
	memcpy(text, (const void *)DATA_GPA, 16);
	text[16] = 0;
	print("virtio-blk-swap: data ");
	print(text);
	print("\n");
	poweroff();
}
