#!/usr/bin/env python3
"""Medians of bench/restore-phases.sh's output, per build and restore kind.

Usage: python3 bench/restore_phases_report.py LOG
LOG: the script's stdout (or its RESTORE/LOG/kvm lines).  For each build
(A, and B with WARDEN_B) and kind of restore (lazy, hot, lazy-huge,
hot-huge; the learning one is left out): how many, the medians (and
ranges) of "VM set up", the first guest line, the time before main and
the populate, KVM's nested page faults taken to line 30 and its 4 KiB and
2 MiB mappings, then the median of each phase of warden's --verbose
"set-up phases" line, in its order.
"""
import re
import statistics
import sys


def phases(line):
    """A 'set-up phases' line's phases: label -> ms (labels may repeat)."""
    out = {}
    body = line.split('): ', 1)[1]
    for label, ms in re.findall(r'(?:^|, )(.+?) \+([0-9.]+)(?=, |$)', body):
        out[label] = out.get(label, 0.0) + float(ms)
    return out


def read(path):
    rows, cur = [], {}
    for line in open(path, encoding='utf-8', errors='replace'):
        line = line.rstrip('\r\n')
        if 'set-up phases' in line:
            cur['ph'] = phases(line)
        elif line.startswith('LOG before main'):
            cur['bm'] = float(re.search(r'([0-9.]+) ms', line).group(1))
        elif 'populated in' in line:
            cur['pop'] = float(re.search(r'populated in ([0-9.]+) ms', line).group(1))
        elif line.startswith('RESTORE'):
            m = re.match(r'RESTORE ([\w-]+) \d+(?: build (\w))?: VM set up in ([0-9.]+) ms; first line ([0-9.]+) ms', line)
            if m:
                cur.update(v=m.group(1), b=m.group(2) or 'A', setup=float(m.group(3)), first=float(m.group(4)))
                rows.append(cur)
            cur = {}
        elif line.startswith(' kvm:') and rows:
            # --stats' counters, the VM's first (pages_4k, pages_2m, pf_taken)
            for key in ('pf_taken', 'pages_4k', 'pages_2m'):
                m = re.search(r'"%s":([0-9]+)' % key, line)
                if m and key not in rows[-1]:
                    rows[-1][key] = int(m.group(1))
    return rows


def fmt(xs):
    if not xs:
        return '-'
    return '%.1f (%.1f-%.1f)' % (statistics.median(xs), min(xs), max(xs))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rows = read(sys.argv[1])
    for b in sorted({r['b'] for r in rows}):
        for v in ('lazy', 'hot', 'lazy-huge', 'hot-huge'):
            rs = [r for r in rows if r['b'] == b and r['v'] == v]
            if not rs:
                continue
            print('build %s, %s: %d restores; VM set up %s; first line %s; before main %s; populate %s' % (
                b, v, len(rs), fmt([r['setup'] for r in rs]), fmt([r['first'] for r in rs]),
                fmt([r['bm'] for r in rs if 'bm' in r]), fmt([r['pop'] for r in rs if 'pop' in r])))
            print('  kvm to line 30 (medians): ' + '; '.join(
                '%s %s' % (k, statistics.median([r[k] for r in rs if k in r]) if any(k in r for r in rs) else '-')
                for k in ('pf_taken', 'pages_4k', 'pages_2m')))
            labels = []
            for r in rs:
                for k in r.get('ph', {}):
                    if k not in labels:
                        labels.append(k)
            print('  phases (medians, ms): ' + '; '.join(
                '%s %.1f' % (k, statistics.median([r.get('ph', {}).get(k, 0.0) for r in rs])) for k in labels))


if __name__ == '__main__':
    main()
