#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (tests/fuzz/corpus/<target>/
seed-*) and the dictionaries (tests/fuzz/<target>.dict): small, meaningful
inputs in each harness's own input format (see the harness's comment), so
that fuzzing starts from inputs warden accepts: a valid descriptor chain, a
request of each kind per device, a driver bringing a device up through
its registers, a bzImage header, a Linux vmlinux, ELF64 and ELF32, a
multiboot header, command lines, the report's JSONL fixtures, a batch of
each hypercall.  Only seed-* files are written here.  Files named
regress-* are crashes the fuzzers found (kept as regressions); files named
by a SHA-1 are inputs the fuzzers found that reach code the seeds do not
(libFuzzer's -merge=1 of a run's corpus into this one; docs/fuzzing.md),
kept so that every `make test` replays them too.

    python3 tests/fuzz/make_corpus.py      (from the top of the tree)
"""
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# --- virtio: rings laid out as tests/fuzz/virtio_fuzz.h's fz_ring_place ----

def align(v, a):
    return (v + a - 1) & ~(a - 1)


def rings(sizes):
    """(desc, avail, used) addresses of each queue, back to back from 0."""
    at, out = 0, []
    for n in sizes:
        desc = align(at, 16)
        avail = align(desc + 16 * n, 16)
        used = align(avail + 6 + 2 * n, 16)
        at = used + 6 + 8 * n
        out.append((desc, avail, used))
    return out


F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


class Ram:
    def __init__(self, size=0x4000):
        self.b = bytearray(size)

    def put(self, gpa, data):
        self.b[gpa:gpa + len(data)] = data

    def chain(self, q, descs, heads):
        """descs: (index, addr, len, flags, next); heads: avail entries."""
        desc, avail, _ = q
        for i, addr, ln, fl, nx in descs:
            self.put(desc + 16 * i, struct.pack("<QIHH", addr, ln, fl, nx))
        self.put(avail, struct.pack("<HH", 0, len(heads)))
        for k, h in enumerate(heads):
            self.put(avail + 4 + 2 * k, struct.pack("<H", h))

    def bytes(self):
        return bytes(self.b).rstrip(b"\0")


QLOG8 = 3  # fz_qsize(3) = 8 entries


def dev_input(features, nq, ram, host=b"", rounds=1):
    return (struct.pack("<Q", features) + bytes([QLOG8] * nq) + bytes([rounds]) +
            struct.pack("<H", len(host)) + host + ram.bytes())


def virtqueue_seeds():
    q = rings([8])[0]
    r = Ram()
    r.chain(q, [(0, 0x1000, 16, F_NEXT, 1), (1, 0x1100, 512, F_WRITE, 0)], [0])
    put("virtqueue", "two-buffer-chain", bytes([QLOG8, 0]) + r.bytes())
    r = Ram()
    r.chain(q, [(0, 0x2000, 32, F_INDIRECT, 0)], [0])
    r.put(0x2000, struct.pack("<QIHH", 0x1000, 64, F_NEXT, 1) + struct.pack("<QIHH", 0x1100, 64, F_WRITE, 0))
    put("virtqueue", "indirect", bytes([QLOG8, 2]) + r.bytes())
    r = Ram()
    r.chain(q, [(i, 0x1000 + 0x100 * i, 64, F_WRITE if i % 2 else 0, 0) for i in range(4)], [0, 1, 2, 3])
    put("virtqueue", "four-chains-event-idx", bytes([QLOG8, 1 | 8]) + r.bytes())


def blk_seeds():
    q = rings([8])[0]
    reqs = {"read": (0, 1024, True), "write": (1, 512, False), "flush": (4, 0, True),
            "get-id": (8, 20, True), "discard": (11, 16, False), "write-zeroes": (13, 16, False)}
    for name, (typ, dlen, dev_writes) in reqs.items():
        r = Ram()
        r.put(0x1000, struct.pack("<IIQ", typ, 0, 2))
        if typ in (11, 13):
            r.put(0x2000, struct.pack("<QII", 8, 8, 0))  # sector, sectors, flags
        descs = [(0, 0x1000, 16, F_NEXT, 1)]
        if dlen:
            descs.append((1, 0x2000, dlen, F_NEXT | (F_WRITE if dev_writes else 0), 2))
            descs.append((2, 0x3000, 1, F_WRITE, 0))
        else:
            descs[0] = (0, 0x1000, 16, F_NEXT, 2)
            descs.append((2, 0x3000, 1, F_WRITE, 0))
        r.chain(q, descs, [0])
        put("virtio_blk", name, dev_input((1 << 13) | (1 << 14), 1, r))  # DISCARD, WRITE_ZEROES


NET_HDR = 12


def frame(n=60):
    return bytes(NET_HDR) + bytes([0xff] * 6) + bytes([2, 0, 0, 0, 0, 1]) + b"\x08\x00" + bytes(range(n - 14))


def net_seeds():
    rx, tx = rings([8, 8])
    for name, feat in (("one-chain-per-packet", 0), ("mergeable", 1 << 15)):
        r = Ram()
        r.chain(rx, [(0, 0x1000, 1526, F_WRITE, 0), (1, 0x1800, 1526, F_WRITE, 0)], [0, 1])
        r.put(0x2000, frame())
        r.chain(tx, [(0, 0x2000, NET_HDR, F_NEXT, 1), (1, 0x2000 + NET_HDR, 60, 0, 0)], [0])
        f = frame()
        # Three queues: the pair and the control queue.
        put("virtio_net", name, dev_input(feat, 3, r, struct.pack("<H", len(f)) + f, rounds=2))


def mmds_frames():
    """The guest's ARP request for 169.254.169.254, its SYN to port 80, a
    GET on no connection: the metadata service's stack (mmds=on)."""
    gmac, mmac, gip, mip = bytes([2, 0, 0, 0, 0, 1]), bytes([6, 1, 0x23, 0x45, 0x67, 1]), \
        bytes([169, 254, 0, 2]), bytes([169, 254, 169, 254])
    arp = bytes([0xff] * 6) + gmac + b"\x08\x06" + struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + gmac + gip + \
        bytes(6) + mip

    def tcp(flags, data=b"", opts=b""):
        t = struct.pack(">HHIIBBHHH", 40000, 80, 1000, 0, (20 + len(opts)) // 4 << 4, flags, 65535, 0, 0)
        ip = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(t) + len(opts) + len(data), 0, 0x4000, 64, 6, 0) + gip + mip
        return mmac + gmac + b"\x08\x00" + ip + t + opts + data
    return [arp, tcp(0x02, opts=b"\x02\x04\x05\xb4"),
            tcp(0x18, b"GET /latest/meta-data HTTP/1.1\r\nAccept: application/json\r\n\r\n")]


def mmds_seeds():
    rx, tx, ctrl = rings([8, 8, 8])
    for name, feat in (("mmds-one-chain", 0), ("mmds-mergeable", 1 << 15)):
        r = Ram(0x8000)
        r.chain(rx, [(i, 0x1000 + 0x600 * i, 1526, F_WRITE, 0) for i in range(6)], list(range(6)))
        descs, heads, at = [], [], 0x4000
        for k, f in enumerate(mmds_frames()):
            r.put(at, bytes(NET_HDR) + f)
            descs += [(2 * k, at, NET_HDR, F_NEXT, 2 * k + 1), (2 * k + 1, at + NET_HDR, len(f), 0, 0)]
            heads.append(2 * k)
            at += 0x200
        r.chain(tx, descs, heads)
        put("virtio_net", name, dev_input(feat, 3, r, rounds=3))


def console_seeds():
    rx, tx = rings([8, 8])
    r = Ram()
    r.chain(rx, [(0, 0x1000, 64, F_WRITE, 0)], [0])
    r.put(0x2000, b"hello\n")
    r.chain(tx, [(0, 0x2000, 6, 0, 0)], [0])
    put("virtio_console", "output-and-input", dev_input(0, 2, r, b"hi\n", rounds=2))


def rng_seeds():
    q = rings([8])[0]
    r = Ram()
    r.chain(q, [(0, 0x1000, 64, F_WRITE, 0), (1, 0x1100, 4096, F_WRITE, 0)], [0, 1])
    put("virtio_rng", "two-buffers", dev_input(0, 1, r))


def restore_seeds():
    """fuzz_virtio_restore.c: edits to a good saved state of virtio-rng
    (a queue of 16), bytes cut from its end, then guest RAM."""
    q = rings([16])[0]
    r = Ram()
    r.chain(q, [(0, 0x1000, 64, F_WRITE, 0), (1, 0x1100, 4096, F_WRITE, 0)], [0, 1])
    put("virtio_restore", "as-saved", bytes([0, 0]) + r.bytes())
    put("virtio_restore", "cut-short", bytes([0, 8]) + r.bytes())
    # Offsets in virtio_snapshot.c's layout: queue 0's descriptor table at
    # 0x128 (misaligned: refused); the ops bucket's budget at 0x2c0, its
    # top byte making it a debt no limit can have (refused).
    put("virtio_restore", "misaligned-ring", bytes([1]) + struct.pack("<HB", 0x128, 1) + bytes([0]) + r.bytes())
    put("virtio_restore", "impossible-debt", bytes([1]) + struct.pack("<HB", 0x2c7, 0x80) + bytes([0]) + r.bytes())


def vsock_hdr(op, src_port, dst_port, length=0, src_cid=3, dst_cid=2, buf_alloc=65536, fwd_cnt=0,
              flags=0):
    return struct.pack("<QQIIIHHIII", src_cid, dst_cid, src_port, dst_port, length, 1, op, flags,
                       buf_alloc, fwd_cnt)


def vsock_seeds():
    """fuzz_virtio_vsock.c: rx, tx and event queues; host records (kind,
    length, bytes) are host connections to the device's socket."""
    rx, tx, ev = rings([8, 8, 8])
    REQ, RESP, RST, SHUT, RW, CUPD, CREQ = 1, 2, 3, 4, 5, 6, 7
    host_port = 1 << 30

    def ram(tx_pkts):
        r = Ram(0x8000)
        r.chain(rx, [(i, 0x4000 + 0x800 * i, 0x800, F_WRITE, 0) for i in range(4)], [0, 1, 2, 3])
        r.chain(ev, [(0, 0x3f00, 8, F_WRITE, 0)], [0])
        at, descs, heads = 0x1000, [], []
        for k, pkt in enumerate(tx_pkts):
            r.put(at, pkt)
            descs.append((k, at, len(pkt), 0, 0))
            heads.append(k)
            at += align(len(pkt), 16)
        r.chain(tx, descs, heads)
        return r

    def rec(kind, data):
        return bytes([kind, len(data)]) + data

    # The guest connects to host port 1024 (the harness listens), sends,
    # asks for credit, shuts down and resets.
    r = ram([vsock_hdr(REQ, 1000, 1024), vsock_hdr(RW, 1000, 1024, 5) + b"hello",
             vsock_hdr(CREQ, 1000, 1024), vsock_hdr(SHUT, 1000, 1024, flags=3),
             vsock_hdr(RST, 1000, 1024)])
    put("virtio_vsock", "guest-connects", dev_input(0, 3, r, rounds=3))
    # A REQUEST to a port nobody listens on: the device answers RST.
    put("virtio_vsock", "guest-refused", dev_input(0, 3, ram([vsock_hdr(REQ, 1001, 7)]), rounds=2))
    # The host connects ("CONNECT 1000\n" and stream bytes after it); the
    # guest accepts (RESPONSE from its port 1000 to the host's port) and
    # sends data and a credit update back.
    r = ram([vsock_hdr(RESP, 1000, host_port), vsock_hdr(RW, 1000, host_port, 3) + b"abc",
             vsock_hdr(CUPD, 1000, host_port)])
    put("virtio_vsock", "host-connects",
        dev_input(0, 3, r, rec(0, b"CONNECT 1000\n") + rec(3, b"data from the host"), rounds=3))
    # Lines the host side must refuse: no newline, a non-number, too long.
    bad = rec(0, b"CONNECT 1000") + rec(1, b"CONNECT x\n") + rec(2, b"CONNECT " + b"9" * 40 + b"\n")
    put("virtio_vsock", "host-bad-lines", dev_input(0, 3, ram([]), bad, rounds=2))
    # A line split over two writes.
    put("virtio_vsock", "host-split-line",
        dev_input(0, 3, ram([vsock_hdr(RESP, 1000, host_port)]), rec(0, b"CONN") + rec(3, b"ECT 1000\n"),
                  rounds=3))


# --- virtio-mmio: register accesses (fuzz_virtio_mmio.c) ------------------

MMIO = dict(magic=0x000, version=0x004, device_id=0x008, dev_features=0x010, dev_features_sel=0x014,
            drv_features=0x020, drv_features_sel=0x024, queue_sel=0x030, queue_num_max=0x034,
            queue_num=0x038, queue_ready=0x044, notify=0x050, isr=0x060, ack=0x064, status=0x070,
            desc_lo=0x080, desc_hi=0x084, avail_lo=0x090, avail_hi=0x094, used_lo=0x0a0,
            used_hi=0x0a4, generation=0x0fc, config=0x100)


def acc(dev, write, reg, val=0, size=4):
    op = (1 if write else 0) | ({1: 0, 2: 1, 4: 2, 8: 3}[size] << 1) | (dev << 3)
    off = MMIO[reg] if isinstance(reg, str) else reg
    return struct.pack("<BHQ", op, off, val)


def driver_up(dev, nq):
    a = [acc(dev, 0, "magic"), acc(dev, 0, "version"), acc(dev, 0, "device_id"),
         acc(dev, 1, "status", 0), acc(dev, 1, "status", 1), acc(dev, 1, "status", 3),
         acc(dev, 1, "dev_features_sel", 1), acc(dev, 0, "dev_features"),
         acc(dev, 1, "drv_features_sel", 1), acc(dev, 1, "drv_features", 1),
         acc(dev, 1, "drv_features_sel", 0), acc(dev, 1, "drv_features", 0),
         acc(dev, 1, "status", 0xb), acc(dev, 0, "status")]
    for qi, (d, av, u) in enumerate(rings([8] * nq)):
        a += [acc(dev, 1, "queue_sel", qi), acc(dev, 0, "queue_num_max"), acc(dev, 1, "queue_num", 8),
              acc(dev, 1, "desc_lo", d), acc(dev, 1, "desc_hi", 0), acc(dev, 1, "avail_lo", av),
              acc(dev, 1, "used_lo", u), acc(dev, 1, "queue_ready", 1)]
    a += [acc(dev, 1, "status", 0xf)]
    return a


def mmio_seeds():
    # rng (device 2): one writable buffer, notified.
    q = rings([8])[0]
    r = Ram()
    r.chain(q, [(0, 0x1000, 64, F_WRITE, 0)], [0])
    a = driver_up(2, 1) + [acc(2, 1, "notify", 0), acc(2, 0, "isr"), acc(2, 1, "ack", 1),
                           acc(2, 0, "generation")]
    put("virtio_mmio", "rng-driver", bytes([len(a)]) + b"".join(a) + r.bytes())
    # disk (device 0): a read request; config space read at each width.
    r = Ram()
    r.put(0x1000, struct.pack("<IIQ", 0, 0, 0))
    r.chain(q, [(0, 0x1000, 16, F_NEXT, 1), (1, 0x2000, 512, F_NEXT | F_WRITE, 2),
                (2, 0x3000, 1, F_WRITE, 0)], [0])
    a = driver_up(0, 1) + [acc(0, 0, 0x100, 0, 8), acc(0, 0, 0x108, 0, 1), acc(0, 0, 0x114, 0, 2),
                           acc(0, 1, "notify", 0)]
    put("virtio_mmio", "disk-driver", bytes([len(a)]) + b"".join(a) + r.bytes())
    # console (device 1): config read, two queues up.
    a = driver_up(1, 2) + [acc(1, 0, 0x100, 0, 4), acc(1, 1, 0x100, 0x50, 2)]
    put("virtio_mmio", "console-driver", bytes([len(a)]) + b"".join(a))


# --- virtio-pci: config space and BARs (fuzz_virtio_pci.c) ----------------

PCI_CFG, PCI_BAR0, PCI_ISR, PCI_PORT = 0, 1, 2, 3
COMMON = dict(dfselect=0x00, df=0x04, gfselect=0x08, gf=0x0c, msix=0x10, numq=0x12, status=0x14,
              generation=0x15, q_select=0x16, q_size=0x18, q_msix=0x1a, q_enable=0x1c, q_noff=0x1e,
              q_desclo=0x20, q_deschi=0x24, q_availlo=0x28, q_availhi=0x2c, q_usedlo=0x30, q_usedhi=0x34)
MSIX_CAP = 0x84  # after the four virtio capabilities (16, 20, 16, 16 bytes from 0x40)
PCICFG_CAP = 0x90  # after MSI-X's 12: bar at +4, offset +8, length +12, data +16


def pacc(where, fn, write, off, val=0, size=4):
    op = (1 if write else 0) | ({1: 0, 2: 1, 4: 2, 8: 3}[size] << 1) | (where << 3) | (fn << 5)
    off = COMMON[off] if isinstance(off, str) else off
    return struct.pack("<BHQ", op, off, val)


def pci_driver_up(fn, nq):
    """What Linux's virtio-pci does: walk the config space, size BAR 0,
    enable memory decode and MSI-X, program one vector per queue and the
    config vector, negotiate, set the queues up, DRIVER_OK."""
    a = [pacc(PCI_CFG, fn, 0, 0x00), pacc(PCI_CFG, fn, 0, 0x34, size=1), pacc(PCI_CFG, fn, 0, 0x40),
         pacc(PCI_CFG, fn, 0, 0x4c), pacc(PCI_CFG, fn, 0, MSIX_CAP),
         pacc(PCI_CFG, fn, 1, 0x10, 0xffffffff), pacc(PCI_CFG, fn, 0, 0x10)]
    # Sizing leaves the BAR reading its mask: the harness puts it back
    # after the input; the guest's driver would write the address.
    a += [pacc(PCI_CFG, fn, 1, 0x04, 0x6, size=2),
          pacc(PCI_CFG, fn, 1, MSIX_CAP + 2, 0x8000, size=2)]
    for v in range(nq + 1):
        t = 0x2000 + 16 * v
        a += [pacc(PCI_BAR0, fn, 1, t, 0xfee00000), pacc(PCI_BAR0, fn, 1, t + 4, 0),
              pacc(PCI_BAR0, fn, 1, t + 8, 0x30 + v), pacc(PCI_BAR0, fn, 1, t + 12, 0)]
    a += [pacc(PCI_BAR0, fn, 1, "status", 0, 1), pacc(PCI_BAR0, fn, 1, "status", 1, 1),
          pacc(PCI_BAR0, fn, 1, "status", 3, 1), pacc(PCI_BAR0, fn, 1, "dfselect", 1),
          pacc(PCI_BAR0, fn, 0, "df"), pacc(PCI_BAR0, fn, 1, "gfselect", 1),
          pacc(PCI_BAR0, fn, 1, "gf", 1), pacc(PCI_BAR0, fn, 1, "status", 0xb, 1),
          pacc(PCI_BAR0, fn, 0, "status", 0, 1), pacc(PCI_BAR0, fn, 1, "msix", nq, 2)]
    for qi, (d, av, u) in enumerate(rings([8] * nq)):
        a += [pacc(PCI_BAR0, fn, 1, "q_select", qi, 2), pacc(PCI_BAR0, fn, 0, "q_size", 0, 2),
              pacc(PCI_BAR0, fn, 1, "q_size", 8, 2), pacc(PCI_BAR0, fn, 1, "q_msix", qi, 2),
              pacc(PCI_BAR0, fn, 1, "q_desclo", d, 8), pacc(PCI_BAR0, fn, 1, "q_availlo", av, 8),
              pacc(PCI_BAR0, fn, 1, "q_usedlo", u, 8), pacc(PCI_BAR0, fn, 1, "q_enable", 1, 2)]
    a += [pacc(PCI_BAR0, fn, 1, "status", 0xf, 1)]
    return a


def pci_seeds():
    q = rings([8])[0]
    # rng (function 2): one writable buffer, notified (its vector fires).
    r = Ram()
    r.chain(q, [(0, 0x1000, 64, F_WRITE, 0)], [0])
    a = pci_driver_up(2, 1) + [pacc(PCI_BAR0, 2, 1, 0x1000, 0, 2), pacc(PCI_BAR0, 2, 0, 0x3000, 0, 8),
                               pacc(PCI_ISR, 2, 0, 0, 0, 1)]
    put("virtio_pci", "rng-driver", bytes([len(a)]) + b"".join(a) + r.bytes())
    # The same with its queue's vector masked while the request completes,
    # then the PBA read and the vector unmasked (the held message goes).
    a = pci_driver_up(2, 1) + [pacc(PCI_BAR0, 2, 1, 0x200c, 1), pacc(PCI_BAR0, 2, 1, 0x1000, 0, 2),
                               pacc(PCI_BAR0, 2, 0, 0x3000, 0, 8), pacc(PCI_BAR0, 2, 1, 0x200c, 0),
                               pacc(PCI_CFG, 2, 1, MSIX_CAP + 2, 0xc000, 2),
                               pacc(PCI_CFG, 2, 1, MSIX_CAP + 2, 0x8000, 2)]
    put("virtio_pci", "rng-masked-pending", bytes([len(a)]) + b"".join(a) + r.bytes())
    # disk (function 0): a read request; config space read at each width;
    # a vector out of range.
    r = Ram()
    r.put(0x1000, struct.pack("<IIQ", 0, 0, 0))
    r.chain(q, [(0, 0x1000, 16, F_NEXT, 1), (1, 0x2000, 512, F_NEXT | F_WRITE, 2),
                (2, 0x3000, 1, F_WRITE, 0)], [0])
    a = pci_driver_up(0, 1) + [pacc(PCI_BAR0, 0, 0, 0x800, 0, 8), pacc(PCI_BAR0, 0, 0, 0x808, 0, 1),
                               pacc(PCI_BAR0, 0, 0, 0x814, 0, 2), pacc(PCI_BAR0, 0, 1, "q_msix", 40, 2),
                               pacc(PCI_BAR0, 0, 1, 0x1000, 0, 2)]
    put("virtio_pci", "disk-driver", bytes([len(a)]) + b"".join(a) + r.bytes())
    # console (function 1): two queues up, the PCI_CFG window reading the
    # common config's device features through config space, then writing
    # the status through it.
    w = PCICFG_CAP
    a = pci_driver_up(1, 2) + [pacc(PCI_CFG, 1, 1, w + 4, 0, 1), pacc(PCI_CFG, 1, 1, w + 8, 0x04),
                               pacc(PCI_CFG, 1, 1, w + 12, 4), pacc(PCI_CFG, 1, 0, w + 16),
                               pacc(PCI_CFG, 1, 1, w + 8, 0x14), pacc(PCI_CFG, 1, 1, w + 12, 1),
                               pacc(PCI_CFG, 1, 1, w + 16, 0, 1)]
    put("virtio_pci", "console-pcicfg", bytes([len(a)]) + b"".join(a))
    # The host bridge, absent slots and functions, the address register.
    a = [pacc(PCI_CFG, 3, 0, 0x000), pacc(PCI_CFG, 3, 0, 0x1f00), pacc(PCI_CFG, 3, 1, 0x004, 0xffff),
         pacc(PCI_PORT, 0, 1, 0, 0x80000100), pacc(PCI_PORT, 0, 0, 4), pacc(PCI_PORT, 0, 1, 0, 0x80010000),
         pacc(PCI_PORT, 0, 0, 4), pacc(PCI_PORT, 0, 1, 2, 0x1234, 2), pacc(PCI_PORT, 0, 0, 0)]
    put("virtio_pci", "bus-probe", bytes([len(a)]) + b"".join(a))
# --- --intel-iommu, --edu (fuzz_intel_iommu.c) ---------------------------

def iommu_seeds():
    def a(target, write, off, val=0, size=4):
        return struct.pack("<BHQ", (1 if write else 0) | ({1: 0, 2: 1, 4: 2, 8: 3}[size] << 1) | (target << 3),
                           off, val)
    vtd = lambda off, val, size=4: a(0, 1, off, val, size)
    edu = lambda off, val, size=4: a(1, 1, off, val, size)
    cfg = lambda off, val, size=4: a(2, 1, off, val, size)
    ram = bytearray(0xa000)
    def q(gpa, v):
        ram[gpa:gpa + 8] = struct.pack("<Q", v)
    # The suite's tables: root -> context (00:01.0) -> 3 levels, IOVA 0 ->
    # 0x9000; IRTE 1 and 2; a queue with an IOTLB and a wait descriptor.
    q(0x1000, 0x2000 | 1)
    q(0x2000 + 8 * 16, 0x3000 | 2 | 1)
    q(0x2000 + 8 * 16 + 8, 1 | 8 << 8)
    q(0x3000, 0x4000 | 3)
    q(0x4000, 0x5000 | 3)
    q(0x5000, 0x9000 | 3)
    for i, vec in ((1, 0xed), (2, 0xee)):
        q(0x6000 + i * 16, 1 | 2 | vec << 16)
        q(0x6000 + i * 16 + 8, 8 | 1 << 18)
    q(0x7000, 0x2 | 1 << 4)
    q(0x7010, 0x5 | 1 << 5 | 1 << 4 | 0x1234 << 32)
    q(0x7018, 0x8000)
    q(0x9000, 0x12345678)
    init = [vtd(0x90, 0x7000, 8), vtd(0x18, 1 << 26), vtd(0x20, 0x1000, 8), vtd(0x18, 1 << 26 | 1 << 30),
            vtd(0xb8, 0x6000 | 0xf, 8), vtd(0x18, 1 << 26 | 1 << 30 | 1 << 24),
            vtd(0x18, 1 << 31 | 1 << 26), vtd(0x18, 1 << 31 | 1 << 26 | 1 << 25), vtd(0x88, 2 << 4, 8),
            a(0, 0, 0x34), a(0, 0, 0x1c)]
    dma = [cfg(0x04, 6, 2), edu(0x80, 0, 8), edu(0x88, 0x40000, 8), edu(0x90, 4, 8), edu(0x98, 1),
           edu(0x80, 0x40000, 8), edu(0x88, 4, 8), edu(0x98, 3), edu(0x88, 0x5000, 8), edu(0x98, 3),
           a(0, 0, 0x228, 0, 8)]
    msi = [cfg(0x44, 0xfee00000 | 2 << 5 | 1 << 4), cfg(0x48, 0), cfg(0x4c, 0), cfg(0x42, 1, 2),
           edu(0x60, 1), edu(0x64, 1), cfg(0x44, 0xfee00000 | 7 << 5 | 1 << 4), edu(0x60, 1)]
    intx = [cfg(0x42, 0, 2), edu(0x64, 0xffffffff), edu(0x60, 1), edu(0x64, 1)]
    rte = 0xed | 1 << 48 | 1 << 49
    for name, acc_list in (("init-dma", init + dma), ("init-msi-intx", init + dma + msi + intx)):
        put("intel_iommu", name, bytes([len(acc_list)]) + struct.pack("<Q", rte) + b"".join(acc_list) + bytes(ram))


def ioapic_seeds():
    """fuzz_ioapic.c's steps: Linux's clear_IO_APIC over every pin, an edge
    and a level pin programmed and raised, EOIs, a snapshot's round trip,
    a reset, and a restore of the snapshot bytes of another layout."""
    def acc(write, off, val=0, size=4):
        return struct.pack("<BHI", (1 if write else 0) | ({1: 0, 2: 1, 4: 2, 8: 3}[size] << 3), off, val)
    def reg_w(reg, val):
        return acc(1, 0x00, reg) + acc(1, 0x10, val)
    def reg_r(reg):
        return acc(1, 0x00, reg) + acc(0, 0x10)
    line = lambda pin, level: struct.pack("<BBB", 2, pin, level)
    eoi = lambda vec: struct.pack("<BB", 3, vec)
    steps = reg_r(1)
    for pin in range(9):
        steps += reg_r(0x10 + 2 * pin) + reg_r(0x11 + 2 * pin) + reg_w(0x11 + 2 * pin, 0) \
            + reg_w(0x10 + 2 * pin, 1 << 16) + reg_r(0x10 + 2 * pin)
    steps += reg_w(0x11 + 8, 0) + reg_w(0x10 + 8, 0x41) + line(4, 1) + line(4, 0)
    steps += reg_w(0x11 + 16, 0) + reg_w(0x10 + 16, 0x42 | 1 << 15) + line(8, 1) + eoi(0x42) + line(8, 0) + eoi(0x42)
    put("ioapic", "linux-boot", bytes([8]) + steps + bytes([6]) + line(8, 1) + bytes([4]))
    put("ioapic", "masked-level", bytes([23]) + reg_w(0x10 + 2 * 20, 0x50 | 1 << 15 | 1 << 16) + line(20, 1)
        + reg_w(0x10 + 2 * 20, 0x50 | 1 << 15) + line(30, 1) + eoi(0x50) + bytes([7, 20]))
    put("ioapic", "restore-short", bytes([8]) + struct.pack("<BH", 5, 16) + bytes(16) + bytes([6]))
    # A whole state (npins, id, regsel, lines, 24 entries, 24 sent):
    # an edge entry claiming Remote IRR, a level one with its line high.
    rtes = [1 << 16] * 24
    rtes[0] = 0x30 | 1 << 14
    rtes[1] = 0x31 | 1 << 15 | 1 << 14
    state = struct.pack("<4I", 9, 0, 0x10, 0b10) + struct.pack("<24Q", *rtes) + struct.pack("<24Q", *rtes)
    put("ioapic", "restore-state", bytes([8]) + struct.pack("<BH", 5, len(state)) + state + eoi(0x31) + bytes([6]))


# --- kernels --------------------------------------------------------------

def bzimage(pm_len=6000, version=0x020f, cut=None):
    setup_sects = 4
    setup_len = (setup_sects + 1) * 512
    img = bytearray(setup_len + pm_len)
    img[0x1f1] = setup_sects
    struct.pack_into("<I", img, 0x1f4, pm_len // 16)
    struct.pack_into("<H", img, 0x1fe, 0xAA55)
    img[0x200], img[0x201] = 0xeb, 0x6a
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, version)
    img[0x211] = 0x81
    struct.pack_into("<I", img, 0x214, 0x100000)
    struct.pack_into("<I", img, 0x22c, 0x7fffffff)
    struct.pack_into("<I", img, 0x230, 0x200000)
    img[0x234] = 1
    struct.pack_into("<H", img, 0x236, 0x03)
    struct.pack_into("<I", img, 0x238, 2047)
    struct.pack_into("<I", img, 0x248, 0x3c0)
    struct.pack_into("<I", img, 0x24c, 5000)
    struct.pack_into("<Q", img, 0x258, 0x1000000)
    struct.pack_into("<I", img, 0x260, 0x800000)
    for i in range(pm_len):
        img[setup_len + i] = (i * 7 + 3) & 0xff
    return bytes(img[:cut] if cut else img)


def elf64(segs, entry, notes=b"", etype=2):
    """segs: (paddr, data, memsz, flags); notes go in a PT_NOTE."""
    nph = len(segs) + (1 if notes else 0)
    off = 64 + 56 * nph
    body, ph = b"", b""
    if notes:
        ph += struct.pack("<IIQQQQQQ", 4, 4, off, 0, 0, len(notes), len(notes), 4)
        body += notes
    for paddr, data, memsz, flags in segs:
        pos = align(off + len(body), 16)
        body += bytes(pos - off - len(body)) + data
        ph += struct.pack("<IIQQQQQQ", 1, flags, pos, 0xffffffff80000000 + paddr, paddr, len(data), memsz, 0x1000)
    eh = (b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) +
          struct.pack("<HHIQQQIHHHHHH", etype, 62, 1, entry, 64, 0, 0, 64, 56, nph, 64, 0, 0))
    return eh + ph + body


def note(name, typ, desc):
    n = name + b"\0"
    return (struct.pack("<III", len(n), len(desc), typ) + n + bytes(align(len(n), 4) - len(n)) +
            desc + bytes(align(len(desc), 4) - len(desc)))


def elf32(paddr, data, entry):
    eh = (b"\x7fELF" + bytes([1, 1, 1]) + bytes(9) +
          struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, entry, 52, 0, 0, 52, 32, 1, 40, 0, 0))
    ph = struct.pack("<IIIIIIII", 1, 52 + 32, paddr, paddr, len(data), len(data) + 64, 5, 0x1000)
    return eh + ph + data


def kernel_seeds():
    put("bzimage", "v2.15", bzimage())
    put("bzimage", "v2.12", bzimage(version=0x020c))
    put("bzimage", "header-cut-short", bzimage(cut=0x300))
    put("bzimage", "setup-only", bzimage(cut=5 * 512))
    text = bytes([0x90] * 0x100) + b"\xf4"
    notes = note(b"Linux", 6, b"4.19\0\0\0\0") + note(b"Xen", 18, struct.pack("<I", 0x1000100))
    lin = elf64([(0x1000000, text, 0x1000, 5), (0x1200000, bytes(0x80), 0x4000, 6)], 0x1000000, notes)
    put("vmlinux", "linux-notes", lin)
    # With a relocation table after it: 0, one 64-bit entry, 0, 0, one 32-bit entry.
    relocs = struct.pack("<IIIII", 0, 0x81000010, 0, 0, 0x81000020)
    put("vmlinux", "with-relocs", lin + relocs)
    put("vmlinux", "xen-guest-os", elf64([(0x1000000, text, 0x1000, 5)], 0x1000000,
                                         note(b"Xen", 6, b"linux\0\0\0")))
    put("elf", "elf64", elf64([(0x100000, text, 0x200, 5)], 0x100000))
    put("elf", "elf64-two-segments", elf64([(0x100000, text, 0x200, 5), (0x200000, b"data", 0x1000, 6)], 0x100000))
    put("elf", "elf32", elf32(0x100000, text, 0x100000))
    # Multiboot: the header with address fields (flags bit 16), in a flat image.
    img = bytearray(0x2000)
    magic, flags = 0x1BADB002, (1 << 16) | 3
    hdr = struct.pack("<IIIIIIII", magic, flags, (-(magic + flags)) & 0xffffffff,
                      0x100000, 0x100000, 0x102000, 0x104000, 0x100040)
    img[0:len(hdr)] = hdr
    img[0x40:0x41] = b"\xf4"
    put("multiboot", "address-fields", bytes(img))
    flags = 3
    hdr = struct.pack("<III", magic, flags, (-(magic + flags)) & 0xffffffff)
    put("multiboot", "elf-kernel", elf32(0x100000, hdr + bytes([0x90] * 0x40) + b"\xf4", 0x10000c))


# --- text inputs ----------------------------------------------------------

def cli_options():
    src = open(os.path.join(ROOT, "src/cli/cli.c")).read()
    return sorted(set(re.findall(r'\{ "([a-z][a-z0-9-]*)",', src)))


def cli_seeds():
    lines = [
        ["run", "--kernel", "/boot/vmlinuz", "--initrd", "initrd.gz", "--cmdline", "console=ttyS0", "--mem", "512",
         "--cpus", "2"],
        ["run", "--kernel", "k", "--disk", "/tmp/d.img,ro,id=root", "--disk", "/tmp/e.img",
         "--net", "tap=tap0,mac=52:54:00:12:34:56", "--rng", "--virtio-console"],
        ["run", "--kernel=k", "--mem=4G", "--stats", "s.json", "--stats-interval", "0.5", "--stats-trace",
         "t.jsonl", "--exit-trace", "--prefault", "on", "--halt-poll-ns", "20000", "--hlt-passthrough"],
        ["run", "--kernel", "k", "--kernel-format", "multiboot", "--hypercall", "--hypercall-disk", "/tmp/h.img",
         "--test-exit-port", "0xf4", "--no-irqchip", "--no-ioeventfd", "--no-irqfd", "--no-event-idx"],
        ["--help"], ["--version"], ["run", "--mem", "-1"], ["run", "--cpus", "99999999999999999999"],
        ["run", "--kernel", "k", "--disk", "/tmp/d.img,bw=1048576/1000/4096,ops=100/10",
         "--net", "tap=tap0,rx-bw=65536/100,tx-ops=1000/1000", "--rng=bw=16384/100"],
        ["run", "--kernel", "k", "--cpus", "2", "--disk", "/tmp/d.img,queues=2,poll=50,poll-max=10000",
         "--net", "tap=tap0,poll-max=200,vhost=off"],
    ]
    for i, argv in enumerate(lines):
        put("cli", "argv-%d" % i, b"\0".join(a.encode() for a in argv))
    with open(os.path.join(HERE, "cli.dict"), "w") as f:
        f.write("# warden run's options (from src/cli/cli.c) and some values\n")
        for o in cli_options():
            f.write('"--%s"\n' % o)
        for v in ("run", ",ro", ",id=", "tap=", ",mac=", "on", "off", "flat", "elf", "bzimage",
                  "multiboot", "auto", "G", "M", "K", "0x", ",bw=", ",ops=", ",rx-bw=", ",rx-ops=",
                  ",tx-bw=", ",tx-ops=", "--rng=", "/1000", "9007199254740992", ",poll", ",poll=",
                  ",poll-max=", ",queues="):
            f.write('"%s"\n' % v)


def report_seeds():
    keys = set()
    for name in ("minimal", "hostile", "sample"):
        text = open(os.path.join(ROOT, "tests/report", name + ".jsonl"), "rb").read()
        keys.update(re.findall(rb'"([a-z_0-9/]+)":', text))
        lines = text.splitlines(keepends=True)
        put("report", name, b"".join(lines[:4]) + (lines[-1] if len(lines) > 4 else b""))
    with open(os.path.join(HERE, "report.dict"), "w") as f:
        f.write("# JSON keys of warden's --stats-trace (from tests/report/*.jsonl)\n")
        for k in sorted(keys):
            f.write('"\\"%s\\":"\n' % k.decode())


def hypercall_seeds():
    def batch(reqs, features=0):
        out = struct.pack("<IIQII", 1, len(reqs), features, 0xffffffff, 0) + bytes(40)
        for call, args in reqs:
            out += struct.pack("<II", call, 0) + args.ljust(24, b"\0") + bytes(32)
        return out

    at = 0x1000  # the batch header, in 8-byte units after the flags byte
    head = bytes([0]) + struct.pack("<H", at // 8)
    seeds = {
        "hello-nop-time": batch([(1, struct.pack("<II", 1, 0)), (2, b""), (8, b"")]),
        "console": batch([(3, struct.pack("<QQ", 0x3000, 6))]),
        "block": batch([(4, b""), (5, struct.pack("<QQQ", 0, 0x4000, 1024)),
                        (6, struct.pack("<QQQ", 512, 0x5000, 512))], features=1),
        "idle": batch([(7, b"")], features=2),
    }
    for name, b in seeds.items():
        ram = bytearray(0x6000)
        ram[at:at + len(b)] = b
        ram[0x3000:0x3006] = b"hello\n"
        put("hypercall", name, head + bytes(ram).rstrip(b"\0"))
    fast = batch([(9, struct.pack("<Q", at)), (2, b"")])
    ram = bytearray(0x2000)
    ram[at:at + len(fast)] = fast
    put("hypercall", "fast-setup-then-ring", bytes([4]) + struct.pack("<H", at // 8) + bytes(ram).rstrip(b"\0"))


def acpi_seeds():
    def dev(kind, ranges, gsi):
        out = bytes([kind, len(ranges)])
        for space, base, ln in ranges:
            out += struct.pack("<BIH", space, base, ln)
        return out + struct.pack("<b", gsi)

    devs = [dev(1, [(0, 0x3f8, 8)], 4), dev(2, [(0, 0x70, 2)], 8), dev(4, [(0, 0x600, 8)], -1),
            dev(3, [(1, 0xd0000000, 0x1000)], 16), dev(3, [(1, 0xd0001000, 0x1000)], 17)]
    put("acpi", "machine", struct.pack("<BHB", 2, 0xffff, len(devs)) + b"".join(devs))
    put("acpi", "254-cpus", struct.pack("<BHB", 254, 0xffff, 0))
    put("acpi", "too-small", struct.pack("<BHB", 4, 200, len(devs)) + b"".join(devs))


def api_seeds():
    reqs = [
        (0, "/", ""), (0, "/vm/config", ""), (0, "/machine-config", ""), (0, "/exits", ""),
        (1, "/machine-config", '{"vcpu_count": 2, "mem_size_mib": 128, "smt": false}'),
        (1, "/boot-source", '{"kernel_image_path": "/nonexistent", "boot_args": "console=ttyS0"}'),
        (1, "/drives/rootfs", '{"drive_id": "rootfs", "path_on_host": "/dev/null", "is_root_device": true}'),
        (2, "/drives/rootfs", '{"drive_id": "rootfs", "path_on_host": "/dev/null"}'),
        (1, "/network-interfaces/eth0", '{"iface_id": "eth0", "host_dev_name": "tap0", "guest_mac": "06:00:ac:10:00:02"}'),
        (1, "/vsock", '{"guest_cid": 3, "uds_path": "/tmp/v.sock"}'),
        (1, "/entropy", '{}'),
        (1, "/actions", '{"action_type": "InstanceStart"}'),
        (2, "/vm", '{"state": "Paused"}'),
        (1, "/snapshot/create", '{"snapshot_type": "Full", "snapshot_path": "s", "mem_file_path": "m"}'),
        (1, "/snapshot/load", '{"snapshot_path": "s", "mem_backend": {"backend_type": "Uffd", "backend_path": "u"}}'),
        (1, "/entropy", '{"rate_limiter": {"bandwidth": {"size": 1024, "refill_time": 100, "one_time_burst": 5}}}'),
        (2, "/drives/rootfs", '{"drive_id": "rootfs", "rate_limiter": {"ops": {"size": 10, "refill_time": 1000}, '
                              '"bandwidth": null}}'),
        (2, "/network-interfaces/eth0", '{"iface_id": "eth0", "rx_rate_limiter": {"bandwidth": {"size": 0, '
                                        '"refill_time": 0}}, "tx_rate_limiter": {}}'),
    ]
    for i, (m, path, body) in enumerate(reqs):
        put("api", "%02d-%s" % (i, path.strip("/").replace("/", "-") or "root"),
            bytes([m]) + path.encode() + b"\0" + body.encode())


def snapshot_state(sections, version=b"0.1.0"):
    """A state file (src/snapshot/state_file.h) around SECTIONS, a list of
    (type, index, payload); the fuzz harness makes its CRC right."""
    import zlib
    body = b"".join(struct.pack("<IIQ", t, i, len(p)) + p + b"\0" * (-len(p) % 8)
                    for t, i, p in sections)
    hdr = b"WRDNSNAP" + struct.pack("<II", 1, len(sections)) + version.ljust(32, b"\0") + \
        struct.pack("<Q", len(body))
    out = hdr + body
    return out + struct.pack("<I", zlib.crc32(out)) + b"SEND"


def snapshot_seeds():
    args = [b"warden", b"run", b"--mem", b"16", b"--kernel", b"k.elf"]
    machine = struct.pack("<QII", 16 << 20, 1, len(args)) + b"".join(a + b"\0" for a in args)
    put("snapshot", "machine", snapshot_state([(1, 0, machine)]))
    put("snapshot", "machine-device", snapshot_state(
        [(1, 0, machine), (64, 0, b"serial".ljust(32, b"\0") + bytes(16)), (26, 0, struct.pack("<I", 2600000))]))
    put("snapshot", "empty", snapshot_state([]))


if __name__ == "__main__":
    virtqueue_seeds()
    blk_seeds()
    net_seeds()
    mmds_seeds()
    console_seeds()
    rng_seeds()
    restore_seeds()
    mmio_seeds()
    vsock_seeds()
    pci_seeds()
    iommu_seeds()
    ioapic_seeds()
    kernel_seeds()
    cli_seeds()
    report_seeds()
    hypercall_seeds()
    acpi_seeds()
    api_seeds()
    snapshot_seeds()
