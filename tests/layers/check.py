#!/usr/bin/env python3
"""The layers of src/, checked: no #include cycle between folders, no
call cycle between files, and every folder includes only folders below it
in the declared order (docs/architecture.md).

  check.py SRC_DIR OBJ_DIR     exit 0 when clean, 1 with one line per fault

Includes are read from the sources; calls from the object files (nm: a
file that references a symbol another file defines calls it).  Calls
through function pointers (ops tables, hooks) are not edges, which is the
point: that is how a lower layer calls up."""
import os
import re
import subprocess
import sys

# Bottom to top.  A folder may include (and call) only folders listed
# before it, or itself.  Folders on one line are peers and must not use
# each other.  The top-level main.c is above everything.
LAYERS = [
    ["util"],
    ["sandbox"],
    ["core"],
    ["accounting", "backends", "boot", "console", "devices", "hypercall", "mmds", "report", "snapshot"],
    ["virtio"],
    ["lab"],
    ["cli"],
    ["api"],
]
TOP = "."  # src/main.c

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(path):
    d = os.path.dirname(path)
    return d if d else TOP


def rank():
    r = {}
    for i, row in enumerate(LAYERS):
        for f in row:
            r[f] = i
    r[TOP] = len(LAYERS)
    return r


def sources(src):
    out = []
    for root, _, files in os.walk(src):
        for f in files:
            if f.endswith((".c", ".h")):
                out.append(os.path.relpath(os.path.join(root, f), src))
    return sorted(out)


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def include_graph(src):
    graph, where = {}, {}
    for f in sources(src):
        with open(os.path.join(src, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        a = folder_of(f)
        graph.setdefault(a, set())
        for inc in INCLUDE.findall(text):
            b = folder_of(inc)
            if b != a:
                graph[a].add(b)
                where.setdefault((a, b), f)
    return graph, where


def nm(obj, *flags):
    res = subprocess.run(["nm", *flags, obj], capture_output=True, text=True, check=True)
    return res.stdout.splitlines()


def call_graph(src, objdir):
    defined, undefined = {}, {}
    for f in sources(src):
        if not f.endswith(".c"):
            continue
        obj = os.path.join(objdir, f[:-2] + ".o")
        if not os.path.exists(obj):
            raise SystemExit("layers: %s is missing (build first)" % obj)
        for line in nm(obj, "--defined-only", "-g"):
            parts = line.split()
            if len(parts) >= 3:
                defined[parts[2]] = f
        undefined[f] = {l.split()[-1] for l in nm(obj, "-u") if l.strip()}
    graph = {f: set() for f in undefined}
    for f, syms in undefined.items():
        for s in syms:
            g = defined.get(s)
            if g and g != f:
                graph[f].add(g)
    return graph


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: check.py SRC_DIR OBJ_DIR")
    src, objdir = sys.argv[1], sys.argv[2]
    r = rank()
    checks = {
        "no #include cycle between folders": [],
        "every folder is in the layer list": [],
        "folders include only folders below them": [],
        "no call cycle between files": [],
        "files call only into folders below theirs": [],
    }
    inc, where = include_graph(src)
    for comp in cycles(inc):
        checks["no #include cycle between folders"].append(" <-> ".join(comp))
    for a in sorted(inc):
        if a not in r:
            checks["every folder is in the layer list"].append("src/" + a)
            continue
        for b in sorted(inc[a]):
            if b in r and r[b] >= r[a] and a != TOP:
                checks["folders include only folders below them"].append(
                    "%s includes %s" % (where[(a, b)], b))
    calls = call_graph(src, objdir)
    for comp in cycles(calls):
        checks["no call cycle between files"].append(" <-> ".join(comp))
    for f in sorted(calls):
        a = folder_of(f)
        for g in sorted(calls[f]):
            b = folder_of(g)
            if a != b and a in r and b in r and r[b] >= r[a] and a != TOP:
                checks["files call only into folders below theirs"].append(
                    "%s calls %s" % (f, g))
    failed = 0
    for name, faults in checks.items():
        if faults:
            failed += 1
            print("  FAIL  layers: %s: %s" % (name, "; ".join(faults)))
        else:
            print("  ok    layers: %s" % name)
    print("layers: %d folders, %d files, %d call edges checked"
          % (len(inc), len(calls), sum(len(v) for v in calls.values())))
    print("layers: %d passed, %d failed, 0 skipped" % (len(checks) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
