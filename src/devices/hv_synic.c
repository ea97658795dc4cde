#include "devices/hv_synic.h"

#include <stddef.h>
#include <string.h>

#include "core/guest_mem.h"

_Static_assert(sizeof(struct hv_message) == HV_MESSAGE_SIZE, "TLFS message size");
_Static_assert(sizeof(struct hv_post_input) == 16 + HV_MESSAGE_PAYLOAD, "TLFS post input");

static uint8_t *page(const struct guest_mem *m, uint64_t msr, uint64_t off, uint64_t len)
{
	if (!(msr & HV_PAGE_ENABLE))
		return NULL;
	return gmem_ptr(m, (msr & HV_PAGE_MASK) + off, len);
}

enum hv_post_result hv_msg_post(const struct guest_mem *m, uint64_t simp, unsigned sint,
				const struct hv_message *msg)
{
	uint8_t *slot = sint < HV_SINT_COUNT ? page(m, simp, sint * HV_MESSAGE_SIZE, HV_MESSAGE_SIZE)
					       : NULL;
	uint32_t *type = (uint32_t *)slot;

	if (!slot)
		return HV_NO_PAGE;
	if (__atomic_load_n(type, __ATOMIC_ACQUIRE) != 0) {
		__atomic_fetch_or(slot + offsetof(struct hv_message, flags), HV_MSG_PENDING,
				  __ATOMIC_SEQ_CST);
		/* The guest may have freed the slot before it saw the flag:
		 * then it writes no EOM, and the slot is ours now. */
		if (__atomic_load_n(type, __ATOMIC_SEQ_CST) != 0)
			return HV_SLOT_BUSY;
	}
	/* Everything but the type first; the type last makes it the guest's. */
	memcpy(slot + sizeof(*type), (const uint8_t *)msg + sizeof(*type),
	       HV_MESSAGE_SIZE - sizeof(*type));
	slot[offsetof(struct hv_message, flags)] = 0;
	__atomic_store_n(type, msg->message_type, __ATOMIC_RELEASE);
	return HV_POSTED;
}

int hv_event_set(const struct guest_mem *m, uint64_t siefp, unsigned sint, unsigned flag)
{
	uint8_t *flags;
	uint8_t bit, old;

	if (sint >= HV_SINT_COUNT || flag >= HV_EVENT_FLAGS_BYTES * 8)
		return -1;
	flags = page(m, siefp, sint * HV_EVENT_FLAGS_BYTES + flag / 8, 1);
	if (!flags)
		return -1;
	bit = (uint8_t)(1u << (flag % 8));
	old = __atomic_fetch_or(flags, bit, __ATOMIC_SEQ_CST);
	return (old & bit) ? 0 : 1;
}
