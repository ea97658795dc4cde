/* virtio-vsock (virtio 1.2, 5.10), stream sockets only, with Firecracker's
 * host side (backends/vsock_host.h): the parts of the device that its
 * files share.  vsock.c is the device type (queues, event queue, the I/O
 * thread's wake-ups), vsock_conn.c the connection table, vsock_tx.c the
 * packets the guest sends, vsock_rx.c the packets it receives.
 *
 * Bounds, whatever the guest does: at most VSOCK_MAX_CONNS connections,
 * each buffering at most VSOCK_BUF_ALLOC bytes the host socket has not
 * taken yet (the credit warden grants the guest: a packet beyond it is a
 * credit violation, answered with RST), and at most VSOCK_RST_RING
 * pending resets for packets that name no connection.  Nothing is
 * allocated per packet. */
#ifndef WARDEN_VIRTIO_VSOCK_H
#define WARDEN_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "backends/vsock_host.h"
#include "virtio/virtio_dev.h"

#define VSOCK_RXQ 0
#define VSOCK_TXQ 1
#define VSOCK_EVQ 2

#define VSOCK_HOST_CID 2
#define VSOCK_TYPE_STREAM 1
#define VSOCK_SHUTDOWN_RCV 1
#define VSOCK_SHUTDOWN_SEND 2
#define VSOCK_EVENT_TRANSPORT_RESET 0

enum vsock_op {
	VSOCK_OP_INVALID,
	VSOCK_OP_REQUEST,
	VSOCK_OP_RESPONSE,
	VSOCK_OP_RST,
	VSOCK_OP_SHUTDOWN,
	VSOCK_OP_RW,
	VSOCK_OP_CREDIT_UPDATE,
	VSOCK_OP_CREDIT_REQUEST,
};

/* struct virtio_vsock_hdr (5.10.6), little-endian like the host. */
struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags;
	uint32_t buf_alloc, fwd_cnt;
} __attribute__((packed));
_Static_assert(sizeof(struct vsock_hdr) == 44, "virtio_vsock_hdr is 44 bytes");

#define VSOCK_MAX_CONNS 64
#define VSOCK_BUF_ALLOC (64 * 1024) /* per connection, guest to host */
#define VSOCK_RST_RING 32
#define VSOCK_BUDGET 256 /* data packets to the guest per wake-up */
/* First host port of a host-initiated connection, as in Firecracker: far
 * above the ports a host listens on for guest-initiated ones. */
#define VSOCK_FIRST_HOST_PORT (1u << 30)

enum conn_state {
	CONN_FREE,
	CONN_HELLO,     /* host connected, its CONNECT line not read yet */
	CONN_REQUESTED, /* REQUEST to the guest owed or sent: awaiting RESPONSE */
	CONN_OPEN,
};

/* Control packets a connection owes the guest (bits). */
enum { OWE_REQUEST = 1, OWE_RESPONSE = 2, OWE_CREDIT = 4, OWE_SHUTDOWN = 8 };

struct vsock_conn {
	enum conn_state state;
	int fd;
	uint32_t guest_port, host_port;
	unsigned owe;
	uint32_t events;   /* what the poll set watches the fd for now */
	bool readable;     /* the host socket may have bytes for the guest */
	bool hup;          /* the host hung up: out of the poll set, read to EOF */
	bool host_eof;     /* read to the end: SHUTDOWN owed or sent */
	bool guest_shut;   /* the guest sends no more: shut the host's side once flushed */
	bool close_flushed; /* the guest closed: RST and close once flushed */
	/* host -> guest: the guest's credit (5.10.6.3) */
	uint32_t tx_cnt, peer_buf_alloc, peer_fwd_cnt;
	/* guest -> host */
	uint32_t fwd_cnt;  /* bytes the host socket took */
	uint32_t fwd_sent; /* fwd_cnt in the last header the guest got */
	uint8_t *buf;      /* VSOCK_BUF_ALLOC bytes, allocated when first needed */
	uint32_t head, len; /* bytes waiting for the host socket: buf[head, head+len) */
	char hello[VSOCK_HELLO_MAX];
	uint32_t hello_len;
};

struct vsock_rst {
	uint64_t peer_cid; /* the CID the guest addressed (the host's, or one that is not there) */
	uint32_t guest_port, host_port;
};

struct vsock {
	uint64_t cid;
	char uds[108]; /* as struct vsock_spec: at most VSOCK_UDS_MAX used */
	int listen_fd;
	int poll_fd;   /* epoll set of the listener, the connections and the eventfds */
	int reset_fd;  /* eventfd: reset every connection (snapshots) */
	int resume_fd; /* eventfd: come back for more data (budget spent) */
	bool rx_room;  /* the receive queue had a buffer when last looked at */
	bool event_owed; /* a TRANSPORT_RESET event waits for an event buffer */
	uint32_t next_host_port;
	unsigned next_conn; /* where the next round of receive work starts */
	struct vsock_conn conn[VSOCK_MAX_CONNS];
	struct vsock_rst rst[VSOCK_RST_RING];
	unsigned nrst;
	struct virtq_chain chain; /* scratch for virtq_pop */
	uint8_t bounce[VSOCK_BUF_ALLOC];
};

/* epoll tags besides a connection's index. */
#define VSOCK_TAG_LISTEN 1000
#define VSOCK_TAG_RESET 1001
#define VSOCK_TAG_RESUME 1002

/* vsock_conn.c */
struct vsock_conn *vsock_conn_find(struct vsock *v, uint32_t guest_port, uint32_t host_port);
/* A free slot for a new connection on FD (watched from now on), or NULL. */
struct vsock_conn *vsock_conn_new(struct vsock *v, int fd, enum conn_state st);
void vsock_conn_close(struct vsock *v, struct vsock_conn *c);
/* Close C and owe the guest a RST for it. */
void vsock_conn_reset(struct virtio_dev *vd, struct vsock_conn *c);
void vsock_conn_close_all(struct vsock *v);
/* Bytes the guest can still take on C. */
uint32_t vsock_conn_credit(const struct vsock_conn *c);
/* Watch C's fd for what it can do now. */
void vsock_conn_rearm(struct vsock *v, struct vsock_conn *c);
void vsock_conn_rearm_all(struct vsock *v);
/* Host socket events on C (from the poll set). */
void vsock_conn_event(struct virtio_dev *vd, struct vsock_conn *c, uint32_t events);
/* The guest sent LEN bytes at DATA on C: to the host socket, or buffered. */
void vsock_conn_from_guest(struct vsock_conn *c, const uint8_t *data, uint32_t len);
/* Write buffered bytes to the host socket; finish a pending close. */
void vsock_conn_flush(struct virtio_dev *vd, struct vsock_conn *c);
/* The host wants to connect: take the CONNECT line off C's socket. */
void vsock_conn_hello(struct virtio_dev *vd, struct vsock_conn *c);
/* A RST owed to the guest for a packet with no connection, sent to the
 * guest's port from PEER_CID's HOST_PORT. */
void vsock_owe_rst(struct virtio_dev *vd, uint64_t peer_cid, uint32_t guest_port, uint32_t host_port);

/* vsock_tx.c: the transmit queue. */
void vsock_tx_pump(struct virtio_dev *vd);
/* vsock_rx.c: the receive queue. */
void vsock_rx_pump(struct virtio_dev *vd);

#endif
