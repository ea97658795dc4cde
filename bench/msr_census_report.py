"""The table of bench/msr-census.sh, from its L1 log: per MSR the writes
and reads KVM intercepted during the boot (VMM start to the guest's init
line) and after it (to the VM's end), and what sending all of them to
warden would cost at the per-write cost `warden lab msr-filter` measured
in the same L1."""
import json
import sys

from msr_names import MSRS  # bench/msr_names.py

counts = {}  # (msr, write) -> {"boot": n, "after": n}
lab = None
for line in open(sys.argv[1], errors="replace"):
    line = line.strip()
    if line.startswith("MSRC ") and len(line.split()) == 5:
        _, phase, msr, write, n = line.split()
        counts.setdefault((int(msr, 16), write == "1"), {})[phase] = int(n)
    elif line.startswith("MSRC-JSON "):
        lab = json.loads(line[len("MSRC-JSON "):])


def lab_ns(way):
    """ns per write of IA32_KERNEL_GS_BASE in msr-filter's run, or None."""
    try:
        return lab["measured"]["IA32_KERNEL_GS_BASE"][way]["ns_per_iteration"]["median"]
    except (KeyError, TypeError):
        return None


inter, kvm = lab_ns("intercepted"), lab_ns("kvm")
if inter is None:
    print("msr-filter gave no intercepted cost in L1: no cost column.")
else:
    left = f"{kvm / 1000:.1f} us" if kvm is not None else "not measured"
    print(f"Per-write cost, `warden lab msr-filter --iterations {lab['iterations']}` in the same L1 "
          f"(IA32_KERNEL_GS_BASE): sent to warden {inter / 1000:.1f} us, left to KVM {left}.")
print()


def total(m):
    return sum(sum(v.values()) for (x, _), v in counts.items() if x == m)


print("| MSR | name | writes (boot) | reads (boot) | writes (after) | reads (after) "
      "| boot's accesses sent to warden, ms |")
print("|---|---|---|---|---|---|---|")
tot = [0, 0, 0, 0]
for m in sorted({m for m, _ in counts}, key=lambda m: (-total(m), m)):
    c = [counts.get((m, w), {}).get(p, 0) for p in ("boot", "after") for w in (True, False)]
    tot = [a + b for a, b in zip(tot, c)]
    cost = f"{(c[0] + c[1]) * inter / 1e6:.1f}" if inter is not None else "-"
    print(f"| {m:#x} | {MSRS.get(m, '')} | {c[0]:,} | {c[1]:,} | {c[2]:,} | {c[3]:,} | {cost} |")
cost = f"{(tot[0] + tot[1]) * inter / 1e6:.1f}" if inter is not None else "-"
print(f"| all | | {tot[0]:,} | {tot[1]:,} | {tot[2]:,} | {tot[3]:,} | {cost} |")
