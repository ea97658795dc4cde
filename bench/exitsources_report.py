#!/usr/bin/env python3
"""Summarise a bench/exitsources.sh log as markdown.

Input lines (from L1, one boot's differences between snapshots):
  SRC <vmm> <n> <phase> <hist> <key> <count>    phase: boot | after
  SRC-BOOT vmm=<vmm> n=<n> rc=<status> up=<0|1>
  SRC-KERNEL vmm=<vmm> kernel=<path>
A boot counts only if its VMM exited with status 0 and the guest printed
its init line; every table is the median over those boots (a key missing
from a boot counts 0)."""
import re
import statistics
import sys
from collections import defaultdict
from msr_names import MSRS  # bench/msr_names.py, shared with msr_census_report.py
from svm_names import SVM  # bench/svm_names.py, shared with distro_boot_report.py

log, vmms = sys.argv[1], sys.argv[2].split()

def port_name(p):
    if p == 0x3f8:
        return "COM1 data (THR/RBR)"
    if p == 0x3fd:
        return "COM1 LSR"
    if 0x3f9 <= p <= 0x3ff:
        return "COM1 other registers"
    if 0x2f8 <= p <= 0x2ff or 0x3e8 <= p <= 0x3ef or 0x2e8 <= p <= 0x2ef:
        return "COM2-4 (absent)"
    if p in (0x70, 0x71):
        return "RTC/CMOS " + ("index" if p == 0x70 else "data")
    if 0x600 <= p <= 0x6ff:
        return "ACPI PM"
    if 0xcf8 <= p <= 0xcff:
        return "PCI config"
    if p in (0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1):
        return "PIC"
    if 0x40 <= p <= 0x43 or p == 0x61:
        return "PIT / port 0x61"
    if p in (0x60, 0x64):
        return "i8042"
    if p == 0x80:
        return "POST delay"
    if 0x510 <= p <= 0x51b:
        return "fw_cfg (QEMU)"
    return ""


def npf_region(a):
    if 0xfec00000 <= a < 0xfec01000:
        return "IOAPIC (MMIO 0xfec00000)"
    if 0xfec10000 <= a < 0xfec11000:
        return "second IOAPIC (MMIO 0xfec10000, QEMU microvm's)"
    if a >= 0xfff00000:
        return "firmware ROM below 4 GiB"
    if 0xfee00000 <= a < 0xfee01000:
        return "LAPIC (MMIO 0xfee00000)"
    if a < 256 << 20:
        return "RAM (first touch)"
    return f"other MMIO ({a >> 12 << 12:#x} page)"


def num(s):
    s = s.strip()
    return int(s, 16) if s.lower().startswith("0x") else int(s)


good = set()
kern = {}
failed = []
data = defaultdict(lambda: defaultdict(int))   # (vmm, n) -> (phase, hist, key) -> count
for line in open(log, errors="replace"):
    line = line.strip().replace("\r", "")
    m = re.match(r"SRC-BOOT vmm=(\S+) n=(\d+) rc=(\d+) up=(\d)", line)
    if m:
        if m.group(3) == "0" and m.group(4) == "1":
            good.add((m.group(1), m.group(2)))
        else:
            failed.append(f"{m.group(1)}#{m.group(2)} (status {m.group(3)}, init line {'seen' if m.group(4) == '1' else 'missing'})")
        continue
    m = re.match(r"SRC-KERNEL vmm=(\S+) kernel=(\S+)", line)
    if m:
        kern[m.group(1)] = m.group(2)
        continue
    m = re.match(r"SRC (\S+) (\d+) (boot|after) (\S+) (\S+) (\d+)$", line)
    if m:
        data[(m.group(1), m.group(2))][(m.group(3), m.group(4), m.group(5))] += int(m.group(6))

boots = {v: sorted(n for (w, n) in good if w == v) for v in vmms}
print("Boots that count (status 0 and an init line): " +
      ", ".join(f"{v} ({kern.get(v, '?')}) {len(boots[v])}" for v in vmms) + ".")
if failed:
    print(f"Failed boots, left out: {', '.join(failed)}.")
print()


def med(v, fn):
    """Median over v's good boots of fn(boot data)."""
    vals = [fn(data[(v, n)]) for n in boots[v]]
    return statistics.median(vals) if vals else float("nan")


def fmt(x):
    if x != x:
        return "-"
    return f"{x:.0f}" if abs(x - round(x)) < 1e-9 else f"{x:.1f}"


def keysum(d, phase, hist, pred):
    return sum(c for (p, h, k), c in d.items() if (phase is None or p == phase) and h == hist and pred(k))


HEX = ("port", "ecx", "guest_rip", "fault_address")   # keyed with .hex


def field(k, name):
    m = re.search(r"(?:^|,)" + name + r":([0-9a-fA-Fx]+)", k)
    if not m:
        return None
    v = m.group(1)
    return int(v, 16) if name in HEX else num(v)


def table(title, rows, note=""):
    """rows: list of (label, fn(d, phase)) ; prints boot / after / all per VMM."""
    print(f"**{title}**{note}")
    print()
    print("| | " + " | ".join(f"{v}: boot / after / all" for v in vmms) + " |")
    print("|---|" + "---|" * len(vmms))
    for label, fn in rows:
        cells = []
        for v in vmms:
            b = med(v, lambda d: fn(d, "boot"))
            a = med(v, lambda d: fn(d, "after"))
            t = med(v, lambda d: fn(d, "boot") + fn(d, "after"))
            cells.append(f"{fmt(b)} / {fmt(a)} / {fmt(t)}")
        if any(c != "0 / 0 / 0" for c in cells):
            print(f"| {label} | " + " | ".join(cells) + " |")
    print()


def all_keys(hist, conv):
    ks = set()
    for v in vmms:
        for n in boots[v]:
            for (p, h, k) in data[(v, n)]:
                if h == hist:
                    ks.add(conv(k))
    return ks


def by_total(hist, conv, label, limit=None):
    """Rows for each distinct conv(key), largest first by the largest median
    total of any VMM."""
    ks = all_keys(hist, conv)
    rows = []
    for key in ks:
        fn = (lambda key: lambda d, ph: keysum(d, ph, hist, lambda k: conv(k) == key))(key)
        tot = [med(v, lambda d: fn(d, "boot") + fn(d, "after")) for v in vmms]
        rows.append((label(key), fn, max([t for t in tot if t == t] or [0])))
    rows.sort(key=lambda r: -r[2])
    return [(lab, fn) for lab, fn, _ in rows[:limit]]


print("\"boot\" = VMM start to the guest's init line, \"after\" = init line to the VMM's exit (poweroff), \"all\" = both; "
      "medians over the boots, so the parts need not add up exactly.")
print()

# 1. exits by reason
rows = [("all exits", lambda d, ph: keysum(d, ph, "kvm_exit#1", lambda k: True))]
rows += by_total("kvm_exit#1", lambda k: field(k, "exit_reason"),
                 lambda r: f"{SVM.get(r, 'reason')} ({r:#x})")
table("VM exits by reason (kvm:kvm_exit)", rows)

# 2. CPUID by origin
KERNEL = 0xffff800000000000
table("CPUID exits by origin (guest RIP)", [
    ("guest kernel (RIP in the upper half)", lambda d, ph: keysum(d, ph, "kvm_exit#2", lambda k: field(k, "guest_rip") >= KERNEL)),
    ("guest user space", lambda d, ph: keysum(d, ph, "kvm_exit#2", lambda k: field(k, "guest_rip") < KERNEL)),
])

# 3. port I/O
rows = by_total("kvm_pio#1", lambda k: (field(k, "port"), field(k, "rw")),
                lambda pr: f"{pr[0]:#x} {'out' if pr[1] else 'in'} {port_name(pr[0])}".rstrip())
table("Port I/O by port and direction (kvm:kvm_pio)", rows)

# 4. MSRs
rows = by_total("kvm_msr#1", lambda k: (field(k, "ecx"), field(k, "write")),
                lambda mw: f"{mw[0]:#x} {'write' if mw[1] else 'read'} {MSRS.get(mw[0], '')}".rstrip(), limit=15)
table("MSR accesses by MSR and direction (kvm:kvm_msr; the 15 most frequent)", rows)

# 5. nested page faults
rows = by_total("kvm_page_fault#1", lambda k: npf_region(field(k, "fault_address")), lambda r: r)
rows.append(("RAM: distinct 2 MiB pages touched",
             lambda d, ph: len({field(k, "fault_address") >> 21 for (p, h, k) in d
                                if p == ph and h == "kvm_page_fault#1" and field(k, "fault_address") < 256 << 20})))
rows.append(("IOAPIC: index register 0xfec00000", lambda d, ph: keysum(d, ph, "kvm_page_fault#1", lambda k: field(k, "fault_address") == 0xfec00000)))
rows.append(("IOAPIC: data register 0xfec00010", lambda d, ph: keysum(d, ph, "kvm_page_fault#1", lambda k: field(k, "fault_address") == 0xfec00010)))
table("Nested page faults by guest-physical region (kvm:kvm_page_fault)", rows,
      " (for RAM, \"all\" of the distinct pages counts a page touched in both parts twice)")

# 6. L1's interrupts
def irq_kind(k):
    name = k.rstrip(":")
    return name if not name.isdigit() else "device IRQs"


rows = by_total("irq#1", irq_kind, lambda r: r, limit=10)
table("L1's interrupts during the VM's life, all CPUs (/proc/interrupts)", rows)
