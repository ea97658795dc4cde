/* The SynIC pages warden writes for --hyperv-testdev (src/devices/
 * hv_synic.c): a message into a vCPU's message slot (free: posted; busy:
 * only the pending flag set; off or outside RAM: dropped), and event flags
 * (newly set or already set), on real guest memory. */
#include "core/guest_mem.h"
#include "devices/hv_synic.h"
#include "unit.h"

#define MEM (16 * GMEM_MIB)
#define SIMP 0x10000ull
#define SIEFP 0x20000ull

static struct guest_mem mem;

static int setup(void **state)
{
	(void)state;
	memset(&mem, 0, sizeof(mem));
	return gmem_map(&mem, MEM);
}

static int teardown(void **state)
{
	(void)state;
	gmem_unmap(&mem);
	return 0;
}

static struct hv_message *slot(unsigned sint)
{
	return gmem_ptr(&mem, SIMP + sint * HV_MESSAGE_SIZE, HV_MESSAGE_SIZE);
}

static struct hv_message msg(uint32_t type, uint8_t first)
{
	struct hv_message m = { .message_type = type, .payload_size = 8 };

	m.payload[0] = first;
	return m;
}

static void test_post(void **state)
{
	struct hv_message a = msg(0x12345678, 0xaa), b = msg(0x12345678, 0xbb);

	(void)state;
	assert_int_equal(hv_msg_post(&mem, SIMP | HV_PAGE_ENABLE, 8, &a), HV_POSTED);
	assert_int_equal(slot(8)->message_type, 0x12345678);
	assert_int_equal(slot(8)->payload_size, 8);
	assert_int_equal(slot(8)->payload[0], 0xaa);
	assert_int_equal(slot(8)->flags, 0);
	assert_int_equal(slot(7)->message_type, 0); /* only slot 8 */
	assert_int_equal(slot(9)->message_type, 0);
	/* Busy: the guest's message stays, the pending flag tells it to EOM. */
	assert_int_equal(hv_msg_post(&mem, SIMP | HV_PAGE_ENABLE, 8, &b), HV_SLOT_BUSY);
	assert_int_equal(slot(8)->payload[0], 0xaa);
	assert_int_equal(slot(8)->flags, HV_MSG_PENDING);
	/* The guest frees the slot: the retry lands, pending cleared. */
	slot(8)->message_type = 0;
	assert_int_equal(hv_msg_post(&mem, SIMP | HV_PAGE_ENABLE, 8, &b), HV_POSTED);
	assert_int_equal(slot(8)->payload[0], 0xbb);
	assert_int_equal(slot(8)->flags, 0);
	/* Nowhere to put it: the page is off, the SINT does not exist, or
	 * the page is not guest RAM. */
	slot(3)->message_type = 0;
	assert_int_equal(hv_msg_post(&mem, SIMP, 3, &a), HV_NO_PAGE);
	assert_int_equal(slot(3)->message_type, 0);
	assert_int_equal(hv_msg_post(&mem, SIMP | HV_PAGE_ENABLE, HV_SINT_COUNT, &a), HV_NO_PAGE);
	assert_int_equal(hv_msg_post(&mem, (MEM + 0x1000) | HV_PAGE_ENABLE, 0, &a), HV_NO_PAGE);
}

static void test_event(void **state)
{
	uint8_t *flags = gmem_ptr(&mem, SIEFP, 4096);

	(void)state;
	assert_int_equal(hv_event_set(&mem, SIEFP | HV_PAGE_ENABLE, 9, 0x21), 1);
	assert_int_equal(flags[9 * HV_EVENT_FLAGS_BYTES + 4], 0x2); /* flag 33: byte 4, bit 1 */
	assert_int_equal(hv_event_set(&mem, SIEFP | HV_PAGE_ENABLE, 9, 0x21), 0);
	assert_int_equal(hv_event_set(&mem, SIEFP | HV_PAGE_ENABLE, 9, 0x20), 1);
	assert_int_equal(flags[9 * HV_EVENT_FLAGS_BYTES + 4], 0x3);
	assert_int_equal(flags[8 * HV_EVENT_FLAGS_BYTES + 4], 0); /* only SINT 9's */
	assert_int_equal(hv_event_set(&mem, SIEFP, 9, 1), -1);
	assert_int_equal(hv_event_set(&mem, SIEFP | HV_PAGE_ENABLE, 9, HV_EVENT_FLAGS_BYTES * 8), -1);
	assert_int_equal(hv_event_set(&mem, SIEFP | HV_PAGE_ENABLE, HV_SINT_COUNT, 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_post, setup, teardown),
		cmocka_unit_test_setup_teardown(test_event, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
