#!/usr/bin/env python3
"""Summarise bench/virtio.sh logs as markdown: per configuration (median over
runs) throughput and VM exits per unit of work, QD1 latency of the random
reads, then each workload's exits by reason (SVM exit codes).

Usage: virtio_report.py LOG [LOG...]
Several logs (shorter L1 runs of the same sizes) are summed: their runs are
pooled before the medians.  Each log names its sizes (BENCH-SIZES); logs of
different sizes are refused.  (Old logs without that line: give the sizes
as BLK_MIB=N NET_MIB=N RAND_READS=N words among the arguments.)
A run whose VMM exited with a status other than 0 is listed and left out of
every median (its BENCH-RESULT, BENCH-RAND, BENCH-L1SEND and BENCH-REASONS
lines carry rc=)."""
import json
import os
import re
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svm_names import SVM  # noqa: E402

logs = [a for a in sys.argv[1:] if "=" not in a]
given = dict(a.split("=", 1) for a in sys.argv[1:] if "=" in a)
# Old calling convention: LOG BLK NET [RAND].
if len(logs) >= 3 and all(x.isdigit() for x in logs[1:]):
    given = {"BLK_MIB": logs[1], "NET_MIB": logs[2], "RAND_READS": logs[3] if len(logs) > 3 else "4000"}
    logs = logs[:1]
if not logs:
    sys.exit("usage: virtio_report.py LOG [LOG...]")

res = defaultdict(lambda: defaultdict(list))   # vmm -> work -> [dict]
reasons = defaultdict(lambda: defaultdict(list))  # (vmm, work) -> code -> [count per run]
nreasons = defaultdict(int)                     # (vmm, work) -> runs with a BENCH-REASONS line
msrs = defaultdict(lambda: defaultdict(list))   # (vmm, work) -> "msr/r|w" -> [count per run]
nmsrs = defaultdict(int)
rand = defaultdict(list)
randlat = defaultdict(list)                     # vmm -> [(p50 us, p99 us) per run]
# L1's CPU ticks (1/100 s) of the VM's threads between a workload's markers.
cpu = defaultdict(lambda: defaultdict(list))    # vmm -> work -> [(vcpu, other, vhost) per run]
l1send = defaultdict(lambda: defaultdict(list))  # vmm -> rx workload -> [L1's seconds]
runs = defaultdict(int)
# The polled workloads (iopoll*): exits by vCPU, and the guest's checks
# (io_poll, the disk's interrupts before and after).
vcpus = defaultdict(lambda: defaultdict(list))  # (vmm, work) -> "vcpuN" -> [count per run]
iopoll = defaultdict(list)                      # vmm -> [dict of the BENCH-IOPOLL words per run]
# warden's virtio-net device counters over a whole run (its stats JSON, the
# BENCH-JSON line after "BENCH-JSON vmm=X"): interrupts warden sent (with
# vhost-net: relayed; those vhost sent straight to KVM are not counted).
netdev = defaultdict(list)                      # vmm -> [device_work dict per run]
# The guest's interrupt coalescing as its driver reported it after the set
# (warden-pci-coal: the BENCH-COAL line of guest/tools/netcoal's output).
coal = defaultdict(set)                         # vmm -> {setting}
json_vmm = None
failed = []
kernels = defaultdict(set)
sizes = set()
for log in logs:
    for line in open(log, errors="replace"):
        line = line.strip().replace("\r", "")
        if json_vmm and line.startswith("{"):
            vmm, json_vmm = json_vmm, None
            try:
                dw = json.loads(line).get("device_work", {}).get("virtio-net0")
            except ValueError:
                dw = None
            if dw is not None:
                netdev[vmm].append(dw)
            continue
        json_vmm = None  # (its JSON line is the next one, if it was kept)
        m = re.match(r"BENCH-JSON vmm=(\S+)$", line)
        if m:
            json_vmm = m.group(1)
            continue
        m = re.match(r"BENCH-SIZES blk=(\d+) net=(\d+) rand=(\d+)(?: rand32=(\d+))?", line)
        if m:
            sizes.add((int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)))
            continue
        m = re.match(r"BENCH-CPU vmm=(\S+) work=(\S+) rc=(\d+) vcpu=(-?\d+) other=(-?\d+) vhost=(-?\d+)", line)
        if m:
            if m.group(3) == "0":
                cpu[m.group(1)][m.group(2)].append(tuple(int(m.group(k)) for k in (4, 5, 6)))
            continue
        m = re.match(r"BENCH-RUN vmm=(\S+) kernel=(\S+) rc=(\d+)", line)
        if m:
            runs[m.group(1)] += 1
            kernels[m.group(1)].add(m.group(2))
            if m.group(3) != "0":
                failed.append(f"{m.group(1)} (status {m.group(3)}, {os.path.basename(log)})")
            continue
        m = re.match(r"BENCH-RESULT vmm=(\S+) work=(\S+) s=([\d.]+) exits=(-?\d+) uexits=(-?\d+) pkts=(-?\d+) rc=(\d+)", line)
        if m:
            vmm, work = m.group(1), m.group(2)
            if m.group(7) != "0":
                continue
            res[vmm][work].append(dict(s=float(m.group(3)), exits=int(m.group(4)),
                                       uexits=int(m.group(5)), pkts=int(m.group(6))))
            continue
        m = re.match(r"BENCH-REASONS vmm=(\S+) work=(\S+) rc=(\d+)(.*)", line)
        if m:
            if m.group(3) != "0":
                continue
            key = (m.group(1), m.group(2))
            nreasons[key] += 1
            seen = {}
            for kv in m.group(4).split():
                k, _, v = kv.partition("=")
                if k.isdigit() and v.isdigit():
                    seen[int(k)] = int(v)
            for k, v in seen.items():
                reasons[key][k].append(v)
            continue
        m = re.match(r"BENCH-MSRS vmm=(\S+) work=(\S+) rc=(\d+)(.*)", line)
        if m:
            if m.group(3) != "0":
                continue
            key = (m.group(1), m.group(2))
            nmsrs[key] += 1
            for kv in m.group(4).split():
                k, _, v = kv.partition("=")
                if v.isdigit():
                    msrs[key][k].append(int(v))
            continue
        m = re.match(r"BENCH-VCPUS vmm=(\S+) work=(\S+) rc=(\d+)(.*)", line)
        if m:
            if m.group(3) == "0":
                for kv in m.group(4).split():
                    k, _, v = kv.partition("=")
                    if v.lstrip("-").isdigit():
                        vcpus[(m.group(1), m.group(2))][k].append(int(v))
            continue
        m = re.match(r"BENCH-IOPOLL vmm=(\S+) rc=(\d+) (.*)", line)
        if m:
            if m.group(2) == "0":
                words = dict(kv.partition("=")[::2] for kv in m.group(3).split())
                if "io_poll" in words:
                    iopoll[m.group(1)].append(words)
                elif iopoll[m.group(1)]:
                    iopoll[m.group(1)][-1].update(words)
            continue
        m = re.match(r"BENCH-COAL vmm=(\S+) rc=(\d+) (.*)", line)
        if m:
            if m.group(2) == "0":
                coal[m.group(1)].add(m.group(3).strip() or "(netcoal printed nothing)")
            continue
        m = re.match(r"BENCH-RAND vmm=(\S+) rc=(\d+) randread: .* ([\d.]+) IOPS", line)
        if m:
            if m.group(2) == "0":
                rand[m.group(1)].append(float(m.group(3)))
                lat = re.search(r"latency p50 (\d+) us, p99 (\d+) us", line)
                if lat:
                    randlat[m.group(1)].append((int(lat.group(1)), int(lat.group(2))))
            continue
        # (Logs before 2026-12-05 have no work=: their one rx workload, netrx.)
        m = re.match(r"BENCH-L1SEND vmm=(\S+)(?: work=(\S+))? rc=(\d+) s=([\d.]+)", line)
        if m:
            if m.group(3) == "0":
                l1send[m.group(1)][m.group(2) or "netrx"].append(float(m.group(4)))

for v in coal:
    if len(coal[v]) > 1:
        sys.exit(f"virtio_report.py: {v} ran with different coalescing in these logs ({'; '.join(sorted(coal[v]))}): "
                 "they cannot be summed")
if len(sizes) > 1:
    sys.exit(f"virtio_report.py: the logs have different sizes {sorted(sizes)}: they cannot be summed")
RAND32_READS = 0
if sizes:
    blk_mib, net_mib, RAND_READS, RAND32_READS = sizes.pop()
elif {"BLK_MIB", "NET_MIB"} <= given.keys():
    blk_mib, net_mib = int(given["BLK_MIB"]), int(given["NET_MIB"])
    RAND_READS = int(given.get("RAND_READS", 4000))
else:
    sys.exit("virtio_report.py: no BENCH-SIZES line in the logs: give BLK_MIB=N NET_MIB=N RAND_READS=N")


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def per(vmm, work, key, unit):
    rs = res[vmm][work]
    vals = [r[key] / unit(r) for r in rs if unit(r) > 0 and r[key] >= 0]
    return med(vals)


units = {
    "seqwrite": ("per 100 MiB", lambda r: blk_mib / 100.0),
    "seqread": ("per 100 MiB", lambda r: blk_mib / 100.0),
    "randread": ("per 1000 reads", lambda r: RAND_READS / 1000.0),
    "randread32": ("per 1000 reads", lambda r: RAND32_READS / 1000.0),
    "nettx": ("per 1000 packets", lambda r: r["pkts"] / 1000.0),
    "netrx": ("per 1000 packets", lambda r: r["pkts"] / 1000.0),
    "tcptx": ("per 1000 packets", lambda r: r["pkts"] / 1000.0),
    "tcprx": ("per 1000 packets", lambda r: r["pkts"] / 1000.0),
}
# TCP, the guest sending (timed by the guest) and receiving (timed by L1,
# the sender): the piped nettx/netrx of older logs, and from a file.
NET_TX, NET_RX = ("nettx", "tcptx"), ("netrx", "tcprx")
# uringio with IOPOLL (bench/virtio.sh): BLK_MIB each, counted in windows.
IOPOLL_WORKS = ["iopollw1", "iopollr1", "iopollw32", "iopollr32"]
for w in IOPOLL_WORKS:
    units[w] = ("per 100 MiB", lambda r: blk_mib / 100.0)
WORKS = ["seqwrite", "seqread", "randread", "randread32", "nettx", "netrx", "tcptx", "tcprx"] + IOPOLL_WORKS
order = ["qemu", "qemu-best", "warden", "warden-pci", "warden-pci-poll", "warden-pci-pollmax", "warden-pci-vhost",
         "warden-pci-coal",
         "warden-pci-poll-vhost", "qemu-best-iopoll", "warden-pci-iopoll"]
vmms = [v for v in order if v in res] + sorted(v for v in res if v not in order)
print(f"- sizes: {blk_mib} MiB sequential, {RAND_READS} random 4 KiB reads, {net_mib} MiB TCP each way; "
      f"{len(logs)} log(s): {', '.join(os.path.basename(x) for x in logs)}")
for v in sorted(runs):
    print(f"- {v}: {runs[v]} runs, kernel {', '.join(sorted(kernels[v]))}")
for v in sorted(coal):
    print(f"- {v}: the guest's interrupt coalescing after its set: {'; '.join(sorted(coal[v]))}")
if failed:
    print(f"- failed runs, left out of the medians: {', '.join(failed)}")


def each(get):
    """(vmm, work, get(vmm, work)) for every configuration and workload that has something."""
    for vmm in vmms:
        for work in WORKS:
            d = get(vmm, work)
            if d:
                yield vmm, work, d


print()
print("| VMM | workload | throughput | all VM exits (median) | exits to the VMM | exits per unit (all / to VMM) | runs |")
print("|---|---|---|---|---|---|---|")
for vmm, work, rs in each(lambda v, w: res[v][w]):
    if work in ("seqwrite", "seqread") or work in IOPOLL_WORKS:
        tp = f"{med([blk_mib / r['s'] for r in rs if r['s'] > 0]):.1f} MiB/s"
    elif work == "randread":
        iops = med(rand[vmm])
        lat = (f"; p50 {med([x[0] for x in randlat[vmm]]):.0f}, p99 {med([x[1] for x in randlat[vmm]]):.0f} us"
               if randlat[vmm] else "")
        tp = f"{iops:.0f} IOPS ({1e6 / iops:.0f} us per read{lat})" if rand[vmm] else "-"
    elif work == "randread32":
        tp = f"{med([RAND32_READS / r['s'] for r in rs if r['s'] > 0]):.0f} IOPS"
    elif work in NET_TX:
        tp = f"{med([net_mib / r['s'] for r in rs if r['s'] > 0]):.1f} MiB/s"
    else:
        sent = l1send[vmm][work]
        tp = f"{med([net_mib / x for x in sent if x > 0]):.1f} MiB/s" if sent else "-"
    label, unit = units[work]
    e = med([r["exits"] for r in rs])
    u = med([r["uexits"] for r in rs])
    pe = per(vmm, work, "exits", unit)
    pu = per(vmm, work, "uexits", unit)
    pk = med([r["pkts"] for r in rs])
    extra = f", {pk:.0f} packets" if work in NET_TX + NET_RX else ""
    print(f"| {vmm} | {work} | {tp} | {e:.0f} | {u:.0f} | {pe:.2f} / {pu:.2f} {label}{extra} | {len(rs)} |")

if reasons:
    print()
    print("Exits by reason (kvm:kvm_exit keyed by SVM exit code; median per run over the runs "
          "that listed them, a reason absent from a run counting 0; the five largest):")
    print()
    print("| VMM | workload | exits by reason |")
    print("|---|---|---|")
    for vmm in vmms:
        for work in WORKS:
            key = (vmm, work)
            if key not in nreasons:
                continue
            n = nreasons[key]
            meds = {k: med(v + [0] * (n - len(v))) for k, v in reasons[key].items()}
            top = sorted(meds.items(), key=lambda kv: -kv[1])[:5]
            cells = ", ".join(f"{SVM.get(k, hex(k))} {v:.0f}" for k, v in top if v > 0)
            print(f"| {vmm} | {work} | {cells or '-'} |")

if vcpus:
    print()
    print("The polled workloads' exits by vCPU (uringio runs on vCPU 1; median per run):")
    print()
    print("| VMM | workload | exits by vCPU |")
    print("|---|---|---|")
    for vmm in vmms:
        for work in IOPOLL_WORKS:
            d = vcpus.get((vmm, work))
            if d:
                print(f"| {vmm} | {work} | {', '.join(f'{k} {med(v):.0f}' for k, v in sorted(d.items()))} |")
if iopoll:
    print()
    print("The guest's checks of the polled runs (/sys/block/vda/queue/io_poll, hardware queues, "
          "the disk's interrupts in /proc/interrupts before and after the workloads):")
    print()
    print("| VMM | run | io_poll | queues | disk interrupts before / after |")
    print("|---|---|---|---|---|")
    for vmm in vmms:
        for i, d in enumerate(iopoll.get(vmm, []), 1):
            print(f"| {vmm} | {i} | {d.get('io_poll', '?')} | {d.get('hwq', '?')} | "
                  f"{d.get('irq0', '?')} / {d.get('irq1', '?')} |")

if netdev:
    print()
    print("warden's virtio-net0 over the whole run (its stats JSON; median per run): interrupts warden "
          "sent, with vhost-net those it relayed from vhost (vhost's interrupts sent straight to KVM "
          "through the MSI-X irqfd are not seen by warden), and the packets its own thread moved:")
    print()
    print("| VMM | interrupts sent by warden | packets moved by warden | runs |")
    print("|---|---|---|---|")
    for vmm in vmms:
        ds = netdev.get(vmm)
        if ds:
            print(f"| {vmm} | {med([d.get('interrupts', 0) for d in ds]):.0f} | "
                  f"{med([d.get('requests', 0) for d in ds]):.0f} | {len(ds)} |")

# The bytes a workload moves, for host CPU per GiB.
def work_bytes(work):
    if work in ("seqwrite", "seqread") or work in IOPOLL_WORKS:
        return blk_mib << 20
    if work == "randread":
        return RAND_READS * 4096
    if work == "randread32":
        return RAND32_READS * 4096
    return net_mib << 20


if cpu:
    print()
    print("Host CPU per GiB moved: L1's CPU seconds of the VM's threads between the workload's markers (L1's "
          "/proc ticks, 10 ms each), per GiB; vCPU threads (the guest's own time is theirs), the VMM's other "
          "threads (its device I/O), vhost's workers; median per run:")
    print()
    print("| VMM | workload | all | vCPUs | other threads | vhost | runs |")
    print("|---|---|---|---|---|---|---|")
    for vmm, work, xs in each(lambda v, w: cpu[v][w]):
        g = work_bytes(work) / float(1 << 30)
        f = [[t[k] / 100.0 / g for t in xs] for k in range(3)]
        print(f"| {vmm} | {work} | {med([sum(t) / 100.0 / g for t in xs]):.2f} s | {med(f[0]):.2f} | "
              f"{med(f[1]):.2f} | {med(f[2]):.2f} | {len(xs)} |")

# Names of the MSRs a Linux guest touches on an I/O path.
MSR_NAMES = {"6e0": "TSC_DEADLINE", "80b": "x2APIC_EOI", "830": "x2APIC_ICR", "838": "x2APIC_TMICT",
             "48": "SPEC_CTRL", "49": "PRED_CMD", "4b564d03": "KVM_STEAL_TIME", "4b564d02": "KVM_ASYNC_PF",
             "4b564d04": "KVM_PV_EOI"}
if msrs:
    print()
    print("MSR accesses (kvm:kvm_msr by MSR, r/w; median per run; the five largest):")
    print()
    print("| VMM | workload | MSR accesses |")
    print("|---|---|---|")
    for vmm in vmms:
        for work in WORKS:
            key = (vmm, work)
            if key not in nmsrs:
                continue
            n = nmsrs[key]
            meds = {k: med(v + [0] * (n - len(v))) for k, v in msrs[key].items()}
            top = sorted(meds.items(), key=lambda kv: -kv[1])[:5]
            cells = ", ".join(f"{MSR_NAMES.get(k.split('/')[0], '0x' + k.split('/')[0])}/{k.split('/')[1]} {v:.0f}"
                              for k, v in top if v > 0)
            print(f"| {vmm} | {work} | {cells or '-'} |")


# Issue 14's targets, where the configurations that measure them ran.
def tput(vmm, work):
    rs = res[vmm][work]
    if work in ("seqwrite", "seqread") or work in IOPOLL_WORKS:
        return med([blk_mib / r["s"] for r in rs if r["s"] > 0]) if rs else float("nan")
    if work == "randread":
        return med(rand[vmm])
    if work == "randread32":
        return med([RAND32_READS / r["s"] for r in rs if r["s"] > 0]) if rs else float("nan")
    if work in NET_TX:
        return med([net_mib / r["s"] for r in rs if r["s"] > 0]) if rs else float("nan")
    return med([net_mib / x for x in l1send[vmm][work] if x > 0])


def verdict(ok):
    return "met" if ok else "**missed**"


lines = []
for v in ("warden-pci-poll", "warden-pci-poll-vhost"):
    for w in ("seqwrite", "seqread"):
        if res[v][w]:
            x = per(v, w, "exits", units[w][1])
            lines.append(f"| (a) polled sequential block I/O, at most 2 exits per 100 MiB | {v} {w} | "
                         f"{x:.0f} per 100 MiB | {verdict(x <= 2)} |")
for v in ("warden-pci-iopoll", "qemu-best-iopoll"):
    for w in IOPOLL_WORKS:
        if res[v][w]:
            x = per(v, w, "exits", units[w][1])
            lines.append(f"| (a) polled sequential block I/O, at most 2 exits per 100 MiB | {v} {w} (uringio, IOPOLL) | "
                         f"{x:.1f} per 100 MiB | {verdict(x <= 2)} |")
if "qemu-best-iopoll" in res and "warden-pci-iopoll" in res:
    for w in IOPOLL_WORKS:
        q, me = tput("qemu-best-iopoll", w), tput("warden-pci-iopoll", w)
        if q == q and me == me and q > 0:
            lines.append(f"| (d) throughput at least 1.2x QEMU's best | warden-pci-iopoll {w} against qemu-best-iopoll | "
                         f"{me / q:.2f}x | {verdict(me / q >= 1.2)} |")
for v in ("warden-pci-poll-vhost",):
    for w in NET_TX + NET_RX:
        if res[v][w]:
            x = per(v, w, "exits", units[w][1])
            lines.append(f"| (b) polling + vhost-net bulk TCP, at most 2 exits per 1000 packets | {v} {w} | "
                         f"{x:.0f} per 1000 packets | {verdict(x <= 2)} |")
for v in ("warden-pci", "warden-pci-vhost"):
    if res[v]["randread"]:
        x = per(v, "randread", "exits", units["randread"][1]) / 1000.0
        lines.append(f"| (c) interrupt-driven 4 KiB random reads at QD1, at most 3 exits per request | {v} | "
                     f"{x:.2f} per read | {verdict(x <= 3)} |")
if "qemu-best" in res:
    for v in ("warden-pci", "warden-pci-vhost", "warden-pci-coal", "warden-pci-poll", "warden-pci-pollmax",
              "warden-pci-poll-vhost"):
        if v not in res:
            continue
        for w in WORKS:
            q, me = tput("qemu-best", w), tput(v, w)
            if q == q and me == me and q > 0:
                lines.append(f"| (d) throughput at least 1.2x QEMU's best | {v} {w} | {me / q:.2f}x |"
                             f" {verdict(me / q >= 1.2)} |")
        q, me = tput("qemu-best", "randread"), tput(v, "randread")
        if q == q and me == me and q > 0 and me > 0:
            lines.append(f"| (d) QD1 latency at most QEMU's best | {v} randread | {1e6 / me:.0f} us against "
                         f"{1e6 / q:.0f} us | {verdict(me >= q)} |")
if lines:
    print()
    print("Issue 14's targets (medians above; all VM exits):")
    print()
    print("| target | configuration | measured | |")
    print("|---|---|---|---|")
    print("\n".join(lines))
