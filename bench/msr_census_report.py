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


def lab_ns(msr, way):
    """ns per write of MSR in msr-filter's run, or None."""
    try:
        return lab["measured"][msr][way]["ns_per_iteration"]["median"]
    except (KeyError, TypeError):
        return None


# Every access counted here is one KVM intercepts (kvm:kvm_msr fires for
# no other): sending it to warden instead costs what IA32_TSC_AUX's
# intercepted write costs, and adds to what KVM's own handling costs the
# difference of its two ways (both exits on SVM, which intercepts
# TSC_AUX). IA32_KERNEL_GS_BASE, which SVM passes through, shows the
# whole exit against none.
inter, kvm = lab_ns("IA32_TSC_AUX", "intercepted"), lab_ns("IA32_TSC_AUX", "kvm")
added = inter - kvm if inter is not None and kvm is not None else None
if inter is None:
    print("msr-filter gave no intercepted cost in L1: no cost columns.")
else:
    gs = [lab_ns("IA32_KERNEL_GS_BASE", w) for w in ("kvm", "intercepted")]
    print(f"Per-write cost, `warden lab msr-filter --iterations {lab['iterations']}` in the same L1: "
          f"IA32_TSC_AUX sent to warden {inter / 1000:.1f} us, left to KVM "
          + (f"{kvm / 1000:.1f} us (an exit KVM handles): {added / 1000:.1f} us more" if added is not None
             else "not measured")
          + (f"; IA32_KERNEL_GS_BASE {gs[1] / 1000:.1f} us against {gs[0]:.0f} ns (no exit)"
             if None not in gs else "") + ".")
print()


def total(m):
    return sum(sum(v.values()) for (x, _), v in counts.items() if x == m)


def ms(n, per):
    return f"{n * per / 1e6:.1f}" if per is not None else "-"


print("| MSR | name | writes (boot) | reads (boot) | writes (after) | reads (after) "
      "| boot's accesses sent to warden, ms | of which more than KVM's, ms |")
print("|---|---|---|---|---|---|---|---|")
tot = [0, 0, 0, 0]
for m in sorted({m for m, _ in counts}, key=lambda m: (-total(m), m)):
    c = [counts.get((m, w), {}).get(p, 0) for p in ("boot", "after") for w in (True, False)]
    tot = [a + b for a, b in zip(tot, c)]
    print(f"| {m:#x} | {MSRS.get(m, '')} | {c[0]:,} | {c[1]:,} | {c[2]:,} | {c[3]:,} "
          f"| {ms(c[0] + c[1], inter)} | {ms(c[0] + c[1], added)} |")
print(f"| all | | {tot[0]:,} | {tot[1]:,} | {tot[2]:,} | {tot[3]:,} | {ms(tot[0] + tot[1], inter)} "
      f"| {ms(tot[0] + tot[1], added)} |")
