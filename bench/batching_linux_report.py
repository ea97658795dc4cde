#!/usr/bin/env python3
"""The batching experiment from a Linux guest (bench/batching-linux.sh):
turn whc.ko's results (/sys/kernel/debug/whc/batching, guest/linux-module)
into a table of cost per operation against n and the model's crossover,
and JSON shaped like `warden lab batching`'s (src/lab/batching_lab.c,
batching_fit.c: the same Theil-Sen line and crossover rule).

Usage: batching_linux_report.py RESULTS JSON-OUT FACTS-FILE COMMAND
"""
import json
import math
import sys
import time

WAYS = ("single", "port", "fast")


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def fit(x, y):
    """Theil-Sen: the median of the pairwise slopes, then the median residual."""
    s = [(y[j] - y[i]) / (x[j] - x[i]) for i in range(len(x)) for j in range(i + 1, len(x)) if x[j] != x[i]]
    if not s:
        return math.nan, math.nan
    slope = median(s)
    return slope, median([y[i] - slope * x[i] for i in range(len(x))])


def crossover(sizes, single, batch):
    """The first n at which the batch's group costs no more than n single
    calls, interpolated between the two sizes around the change of sign."""
    for i, n in enumerate(sizes):
        d = batch[i] - single[i]
        if d > 0:
            continue
        if i == 0:
            return float(n)
        dp = batch[i - 1] - single[i - 1]
        return sizes[i - 1] + (n - sizes[i - 1]) * dp / (dp - d)
    return math.nan


def num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(v, 6)


def parse(path):
    head, rows = {}, {}
    for line in open(path, encoding="utf-8", errors="replace"):
        f = line.split()
        if f[:1] == ["whc-batching"]:
            head = {f[i]: int(f[i + 1]) for i in range(1, len(f) - 1, 2)}
        elif len(f) == 6 and f[1] in WAYS and f[2].isdigit():
            rows[(f[0], f[1], int(f[2]))] = (int(f[3]), int(f[4]), int(f[5]))
    if not head or not rows:
        sys.exit("batching_linux_report: no results in " + path)
    return head, rows


def one_op(op, head, rows):
    khz = head["tsc_khz"]
    ns = lambda c: c * 1e6 / khz
    ways = [w for w in WAYS if any(k[0] == op and k[1] == w for k in rows)]
    sizes = sorted({k[2] for k in rows if k[0] == op})
    m = {w: [ns(rows[(op, w, n)][0]) for n in sizes] for w in ways}
    out = {"measured": {"sizes": sizes, "failures": sum(rows[(op, w, n)][2] for w in ways for n in sizes),
                        "ways": {}}, "model": {}, "crossover_model": {}, "crossover_measured": {},
           "crossover_measured_at_or_below_smallest_size": {}}
    for w in ways:
        out["measured"]["ways"][w] = {
            "group_ns_median": [num(v) for v in m[w]],
            "group_ns_min": [num(ns(rows[(op, w, n)][1])) for n in sizes],
            "ns_per_op": [num(m[w][i] / n) for i, n in enumerate(sizes)],
            "failures": [rows[(op, w, n)][2] for n in sizes],
        }
    single_slope, _ = fit(sizes, m["single"])
    out["model"] = {"trapped": "n * (t_e + t_p)", "batched": "t_h + n * t_p", "n_star": "t_h / t_e",
                    "fit": "Theil-Sen line through each way's median group cost (ns) against n",
                    "single_per_op_ns": num(single_slope)}
    for d in ways[1:]:
        t_p, t_h = fit(sizes, m[d])
        t_e = single_slope - t_p
        n_star = t_h / t_e if t_e > 0 else math.nan
        out["model"][d] = {"t_h_ns": num(t_h), "t_p_ns": num(t_p), "t_e_ns": num(t_e), "n_star": num(n_star)}
        c = crossover(sizes, m["single"], m[d])
        out["crossover_model"][d] = num(n_star)
        out["crossover_measured"][d] = num(c)
        out["crossover_measured_at_or_below_smallest_size"][d] = c == sizes[0]
    return out


def table(op, r):
    w = list(r["measured"]["ways"])
    sizes = r["measured"]["sizes"]
    lines = [f"{op}: ns per operation (median group / n)",
             "| n | " + " | ".join(f"{x} ns/op" for x in w) + " |", "|---" * (len(w) + 1) + "|"]
    for i, n in enumerate(sizes):
        lines.append(f"| {n} | " + " | ".join(f"{r['measured']['ways'][x]['ns_per_op'][i]:,.0f}" for x in w) + " |")
    lines += ["", "| doorbell | t_h ns | t_p ns | t_e ns | model n* = t_h/t_e | measured crossover |",
              "|---|---|---|---|---|---|"]
    for d in w[1:]:
        mo = r["model"][d]
        c = r["crossover_measured"][d]
        cs = "never" if c is None else ("<=" if r["crossover_measured_at_or_below_smallest_size"][d] else "") + f"{c:.2f}"
        lines.append(f"| {d} | {mo['t_h_ns']:,.0f} | {mo['t_p_ns']:,.0f} | {mo['t_e_ns']:,.0f} | "
                     f"{mo['n_star']:.2f} | {cs} |" if mo["n_star"] is not None else f"| {d} | fit failed | | | | |")
    lines.append(f"single: t_e + t_p = {r['model']['single_per_op_ns']:,.0f} ns per operation; "
                 f"requests not answered WHC_OK: {r['measured']['failures']}")
    return "\n".join(lines)


def main():
    results, json_out, facts, command = sys.argv[1:5]
    head, rows = parse(results)
    ops = sorted({k[0] for k in rows}, key=lambda o: (o != "nop", o))
    doc = {"experiment": "batching-linux", "command": command,
           "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "facts": [l.rstrip("\n") for l in open(facts) if l.startswith("fact:")],
           "tier": {"name": "emulated", "guest": "Linux with guest/linux-module/whc.ko",
                    "tsc_hz": head["tsc_khz"] * 1000,
                    "fast_doorbell": bool(head.get("fast")), "WHC_F_FAST_NOEXIT": bool(head.get("noexit"))},
           "reps": head["reps"], "ops": {op: one_op(op, head, rows) for op in ops}}
    with open(json_out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    for op in ops:
        print(table(op, doc["ops"][op]))
        print()


main()
