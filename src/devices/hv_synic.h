/* The guest-memory side of a Hyper-V SynIC that the VMM writes (TLFS
 * "Synthetic Interrupt Controller"): a vCPU's message page (SIMP) holds
 * one 256-byte message slot per SINT, its event flags page (SIEFP) one
 * 2048-bit flag array per SINT.  KVM keeps the MSRs; these functions
 * write the pages the guest named, racing the guest as the TLFS says:
 * a slot is free while its message type is 0, and a message that finds
 * it busy sets the slot's "message pending" flag, which makes the guest
 * write EOM when it frees the slot. */
#ifndef WARDEN_DEVICES_HV_SYNIC_H
#define WARDEN_DEVICES_HV_SYNIC_H

#include <stdint.h>

struct guest_mem;

#define HV_SINT_COUNT 16
#define HV_MESSAGE_SIZE 256
#define HV_MESSAGE_PAYLOAD 240
#define HV_EVENT_FLAGS_BYTES 256 /* per SINT: 2048 flags */
#define HV_PAGE_ENABLE 1ull      /* bit 0 of SIMP/SIEFP */
#define HV_PAGE_MASK (~0xfffull)
#define HV_MSG_PENDING 1u         /* message flags bit 0 */

/* HvPostMessage's input block (TLFS): what a guest sends. */
struct hv_post_input {
	uint32_t connection_id;
	uint32_t reserved;
	uint32_t message_type;
	uint32_t payload_size;
	uint8_t payload[HV_MESSAGE_PAYLOAD];
};

/* A message as it lands in a slot (header 16 bytes, then the payload). */
struct hv_message {
	uint32_t message_type;
	uint8_t payload_size;
	uint8_t flags;
	uint8_t reserved[2];
	uint64_t sender;
	uint8_t payload[HV_MESSAGE_PAYLOAD];
};

enum hv_post_result {
	HV_POSTED,    /* in the slot: raise the SINT */
	HV_SLOT_BUSY, /* pending flag set: try again when the guest acks */
	HV_NO_PAGE,   /* the SIMP is off or not guest RAM: dropped */
};

/* Put MSG into slot SINT of the message page the SIMP MSR value SIMP
 * names. */
enum hv_post_result hv_msg_post(const struct guest_mem *m, uint64_t simp, unsigned sint,
				const struct hv_message *msg);
/* Set flag FLAG of SINT's flags in the event page SIEFP names: 1 newly
 * set (raise the SINT), 0 it was set already, -1 no page / bad flag. */
int hv_event_set(const struct guest_mem *m, uint64_t siefp, unsigned sint, unsigned flag);

#endif
