#!/usr/bin/env python3
"""Summarise a bench/virtio.sh log as markdown: per VMM (median over rounds)
throughput and VM exits per unit of work, then the warden variants.
A run whose VMM exited with a status other than 0 is listed and left out of
every median (its BENCH-RESULT, BENCH-RAND and BENCH-L1SEND lines carry
rc=)."""
import re
import statistics
import sys
from collections import defaultdict

log, blk_mib, net_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
RAND_READS = int(sys.argv[4]) if len(sys.argv) > 4 else 4000
res = defaultdict(lambda: defaultdict(list))   # vmm -> work -> [dict]
rand = defaultdict(list)
l1send = defaultdict(list)
runs = defaultdict(int)
failed = []
kernels = defaultdict(set)
for line in open(log, errors="replace"):
    line = line.strip().replace("\r", "")
    m = re.match(r"BENCH-RUN vmm=(\S+) kernel=(\S+) rc=(\d+)", line)
    if m:
        runs[m.group(1)] += 1
        kernels[m.group(1)].add(m.group(2))
        if m.group(3) != "0":
            failed.append(f"{m.group(1)} (status {m.group(3)})")
        continue
    m = re.match(r"BENCH-RESULT vmm=(\S+) work=(\S+) s=([\d.]+) exits=(-?\d+) uexits=(-?\d+) pkts=(-?\d+) rc=(\d+)", line)
    if m:
        vmm, work = m.group(1), m.group(2)
        if m.group(7) != "0":
            continue
        res[vmm][work].append(dict(s=float(m.group(3)), exits=int(m.group(4)),
                                   uexits=int(m.group(5)), pkts=int(m.group(6))))
        continue
    m = re.match(r"BENCH-RAND vmm=(\S+) rc=(\d+) randread: .* ([\d.]+) IOPS", line)
    if m:
        if m.group(2) == "0":
            rand[m.group(1)].append(float(m.group(3)))
        continue
    m = re.match(r"BENCH-L1SEND vmm=(\S+) rc=(\d+) s=([\d.]+)", line)
    if m:
        if m.group(2) == "0":
            l1send[m.group(1)].append(float(m.group(3)))

def med(xs):
    return statistics.median(xs) if xs else float("nan")

def per(vmm, work, key, unit):
    rs = res[vmm][work]
    vals = [r[key] / unit(r) for r in rs if unit(r) > 0 and r[key] >= 0]
    return med(vals)

units = {
    "seqwrite": ("per 100 MiB", lambda r: blk_mib / 100.0),
    "seqread": ("per 100 MiB", lambda r: blk_mib / 100.0),
    "randread": ("per 1000 reads", lambda r: None),
    "nettx": ("per 1000 packets", lambda r: r["pkts"] / 1000.0),
    "netrx": ("per 1000 packets", lambda r: r["pkts"] / 1000.0),
}
vmms = [v for v in ["qemu", "warden"] if v in res] + sorted(v for v in res if v not in ("qemu", "warden"))
for v in sorted(runs):
    print(f"- {v}: {runs[v]} runs, kernel {', '.join(sorted(kernels[v]))}")
if failed:
    print(f"- failed runs, left out of the medians: {', '.join(failed)}")
print()
print("| VMM | workload | throughput | all VM exits (median) | exits to the VMM | exits per unit (all / to VMM) | runs |")
print("|---|---|---|---|---|---|---|")
for vmm in vmms:
    for work in ["seqwrite", "seqread", "randread", "nettx", "netrx"]:
        rs = res[vmm][work]
        if not rs:
            continue
        if work in ("seqwrite", "seqread"):
            tp = f"{med([blk_mib / r['s'] for r in rs if r['s'] > 0]):.1f} MiB/s"
        elif work == "randread":
            tp = f"{med(rand[vmm]):.0f} IOPS"
        elif work == "nettx":
            tp = f"{med([net_mib / r['s'] for r in rs if r['s'] > 0]):.1f} MiB/s"
        else:
            tp = f"{med([net_mib / x for x in l1send[vmm] if x > 0]):.1f} MiB/s" if l1send[vmm] else "-"
        label, unit = units[work]
        if work == "randread":
            unit = lambda r: RAND_READS / 1000.0
        e = med([r["exits"] for r in rs])
        u = med([r["uexits"] for r in rs])
        pe = per(vmm, work, "exits", unit)
        pu = per(vmm, work, "uexits", unit)
        pk = med([r["pkts"] for r in rs])
        extra = f", {pk:.0f} packets" if work.startswith("net") else ""
        print(f"| {vmm} | {work} | {tp} | {e:.0f} | {u:.0f} | {pe:.2f} / {pu:.2f} {label}{extra} | {len(rs)} |")
