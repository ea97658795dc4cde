"""The report of bench/distro-boot.sh, from one or more of its L1 logs:
outcomes with 95% confidence intervals (Wilson), medians of the boots that
succeeded, VM exits by SVM exit reason, and what failed boots printed last.

Usage: python3 bench/distro_boot_report.py LOG [LOG...]"""
import math
import re
import statistics
import sys
from collections import defaultdict
from svm_names import SVM  # bench/svm_names.py, shared with exitsources_report.py

VMMS = ("warden", "qemu")
OUTCOMES = ("ok", "triple-fault", "hang", "failed")


def kv(line):
    return dict(m.groups() for m in re.finditer(r"(\w+)=(\S+)", line.split("|")[0]))


def wilson(k, n, z=1.96):
    """95% interval of a rate seen k times in n (Wilson score)."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def systemd_seconds(text):
    """'Startup finished in 2.1s (kernel) + 1min 3.2s (userspace) = 1min 5.3s' -> 65.3"""
    m = re.search(r"= (.*)$", text)
    if not m:
        return None
    total = 0.0
    for num, unit in re.findall(r"([0-9.]+)(min|ms|s)", m.group(1)):
        total += float(num) * {"min": 60, "s": 1, "ms": 0.001}[unit]
    return total


def read(logs):
    boots, exits, tails, sysd, started = {}, defaultdict(dict), defaultdict(list), {}, {}
    for i, path in enumerate(logs):
        # newline="\n": a console line's stray \r (L1's serial console) is
        # not a line break here; it is dropped.
        with open(path, errors="replace", newline="\n") as f:
            for line in f:
                line = line.rstrip("\n").replace("\r", "")
                if line.startswith("BENCH-START "):
                    k = kv(line)
                    started[(k["vmm"], i, int(k["n"]))] = True
                elif line.startswith("BENCH-BOOT "):
                    k = kv(line)
                    boots[(k["vmm"], i, int(k["n"]))] = k
                elif line.startswith("BENCH-EXIT "):
                    k = kv(line)
                    exits[(k["vmm"], i, int(k["n"]))][int(k["reason"])] = int(k["count"])
                elif line.startswith("BENCH-TAIL ") or line.startswith("BENCH-TRACE "):
                    k = kv(line)
                    tag = "trace: " if line.startswith("BENCH-TRACE ") else ""
                    tails[(k["vmm"], i, int(k["n"]))].append(tag + (line.split("| ", 1)[1] if "| " in line else ""))
                elif line.startswith("BENCH-SYSTEMD "):
                    k = kv(line)
                    sysd[(k["vmm"], i, int(k["n"]))] = systemd_seconds(line.split("| ", 1)[1])
    lost = sorted(k for k in started if k not in boots)
    return boots, exits, tails, sysd, lost


def med(v):
    return statistics.median(v) if v else math.nan


def fmt(x, d=1):
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{d}f}"


def main(logs):
    boots, exits, tails, sysd, lost = read(logs)
    print(f"{len(logs)} L1 run(s); a boot counts once, in the first outcome that applies: "
          "triple-fault (L1's KVM took an SVM SHUTDOWN exit), hang (killed at the timeout), "
          "ok (verify ok, poweroff, status 0), failed (anything else).")
    print()
    print("| VMM | boots | ok | triple fault (95% CI) | hang (95% CI) | other failure | e2fsck after, not clean |")
    print("|---|---|---|---|---|---|---|")
    for v in VMMS:
        mine = [b for (vm, _, _), b in boots.items() if vm == v]
        n = len(mine)
        if n == 0:
            continue
        cnt = {o: sum(1 for b in mine if b["outcome"] == o) for o in OUTCOMES}
        dirty = sum(1 for b in mine if b.get("fsck") not in ("0", None))
        cell = []
        for o in ("triple-fault", "hang"):
            lo, hi = wilson(cnt[o], n)
            cell.append(f"{cnt[o]} ({100 * cnt[o] / n:.1f}%, {100 * lo:.1f}-{100 * hi:.1f}%)")
        print(f"| {v} | {n} | {cnt['ok']} | {cell[0]} | {cell[1]} | {cnt['failed']} | {dirty} |")
    if lost:
        print()
        print("L1 lost (the emulated host's kernel locked up while this boot ran; tests/emu/l1.sh stopped it; "
              "counted for neither VMM): " + ", ".join(f"{v} run {i + 1} round {n}" for v, i, n in lost))
    print()
    print("Medians over the boots that succeeded, leaving out each L1 run's first round (the first boot of each VMM "
          "in a fresh L1 reads the image and the VMM from cold caches); VMM start to systemd's multi-user: "
          "`systemctl is-system-running --wait` returned in the workload:")
    print()
    print("| VMM | boots ok | multi-user (s) | systemd's own total (s) | whole run incl. workload and poweroff (s) | VM exits |")
    print("|---|---|---|---|---|---|")
    medians = {}
    for v in VMMS:
        ok = [(key, b) for key, b in boots.items() if key[0] == v and b["outcome"] == "ok" and key[2] > 1]
        if not ok:
            continue
        mu = med([float(b["multiuser_s"]) for _, b in ok if b["multiuser_s"] != "NA"])
        sd = med([sysd[k] for k, _ in ok if sysd.get(k) is not None])
        tot = med([float(b["total_s"]) for _, b in ok])
        ex = med([int(b["exits"]) for _, b in ok if b["exits"] != "NA"])
        medians[v] = (mu, sd, tot, ex, [k for k, _ in ok])
        print(f"| {v} | {len(ok)} | {fmt(mu)} | {fmt(sd)} | {fmt(tot)} | {fmt(ex, 0)} |")
    if "warden" in medians and "qemu" in medians:
        w, q = medians["warden"], medians["qemu"]
        print()
        print(f"warden / QEMU: multi-user {w[0] / q[0]:.2f}x, systemd's total {w[1] / q[1]:.2f}x, "
              f"whole run {w[2] / q[2]:.2f}x, VM exits {w[3] / q[3]:.2f}x")
    print()
    print("VM exits by SVM exit reason (L1's kvm_exit hist trigger, whole VM life; medians of the boots that succeeded):")
    print()
    reasons = sorted({r for k in exits for r in exits[k]})
    rows = []
    for r in reasons:
        row = [med([exits[k].get(r, 0) for k in medians[v][4]]) if v in medians else math.nan for v in VMMS]
        rows.append((r, row))
    rows.sort(key=lambda x: -(x[1][0] if not math.isnan(x[1][0]) else 0))
    print("| exit reason | " + " | ".join(v for v in VMMS) + " |")
    print("|---|" + "---|" * len(VMMS))
    for r, row in rows:
        if all((math.isnan(x) or x == 0) for x in row):
            continue
        print(f"| {SVM.get(r, 'reason')} ({r:#x}) | " + " | ".join(fmt(x, 0) for x in row) + " |")
    bad = [(k, b) for k, b in sorted(boots.items()) if b["outcome"] != "ok"]
    if bad:
        print()
        print("The boots that did not succeed, and the last console lines each printed:")
        for k, b in bad:
            print()
            print(f"- {k[0]} run {k[1] + 1} round {k[2]}: {b['outcome']}, status {b['rc']}, "
                  f"{b['total_s']} s, SHUTDOWN exits {b['shutdown_exits']}, e2fsck {b['fsck']}")
            print("  ```")
            lines = tails.get(k, [])
            for t in [x for x in lines if not x.startswith("trace: ")][-12:] + \
                    [x for x in lines if x.startswith("trace: ") and " kvm_exit: " in x] + \
                    [x for x in lines if x.startswith("trace: ") and " kvm_exit: " not in x][-8:]:
                print("  " + t[:160])
            print("  ```")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: distro_boot_report.py LOG [LOG...]")
    main(sys.argv[1:])
