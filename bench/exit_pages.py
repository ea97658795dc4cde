#!/usr/bin/env python3
"""What one VM exit touches in warden's user space, from a valgrind lackey
trace (bench/exit-pages.sh): instructions, and distinct 4 KiB pages of code
and of data, from one return of KVM_RUN to the next.

Usage: valgrind --tool=lackey --trace-mem=yes --log-file=/dev/stdout \\
           WARDEN run ... | exit_pages.py MARKER BINARY [--list] [--only FUNC]
MARKER: the hex address of the instruction after KVM_RUN's `syscall` (each
exit starts there). BINARY: the static warden traced (its symbols name the
functions that touched each page with --list). Prints one line: the
medians over the exits (the first 50 and the last 5 left out: start-up and
the end), and with --list the pages of the middle exit.  --only FUNC:
only the stretches that ran FUNC (with a MARKER in libc's ioctl(), which
every ioctl passes, --only vcpu_thread keeps the run loop's exits)."""
import bisect
import re
import collections
import statistics
import subprocess
import sys


def symbols(binary):
    out = subprocess.run(['nm', '-n', binary], capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in 'tTwW':
            syms.append((int(p[0], 16), p[2]))
    return syms


def indirect_sites(binary):
    """Addresses of the instructions that leave their basic block through
    a computed target (ret, indirect call or jmp): under QEMU's TCG each
    such transfer looks its target up (its jump cache is emptied by every
    CR3 load, so by L1's world switches); so does a direct one to another
    page, which TCG does not chain."""
    out = subprocess.run(['objdump', '-d', '--no-show-raw-insn', binary],
                         capture_output=True, text=True, check=True).stdout
    sites = set()
    for line in out.splitlines():
        p = line.split('\t')
        if len(p) < 2 or not p[0].strip().endswith(':'):
            continue
        ins = p[1].strip()
        if ins.startswith(('ret', 'repz ret', 'bnd ret')) or re.match(r'(call|jmp)q?\s+\*', ins):
            sites.add(int(p[0].strip()[:-1], 16))
    return sites


def main():
    marker = int(sys.argv[1], 16)
    syms = symbols(sys.argv[2])
    addrs = [a for a, _ in syms]
    listing = '--list' in sys.argv[3:]
    only = sys.argv[sys.argv.index('--only') + 1] if '--only' in sys.argv[3:] else None

    def sym(a):
        i = bisect.bisect_right(addrs, a) - 1
        return syms[i][1] if i >= 0 else '?'

    indirect = indirect_sites(sys.argv[2])
    exits, cur, last_i, last_end = [], None, 0, 0
    for line in sys.stdin:
        if len(line) < 4 or line[0] == '=':
            continue
        kind = line[:2]
        try:
            addr = int(line[3:].split(',')[0], 16)
        except ValueError:
            continue
        if kind == 'I ':
            prev, prev_end = last_i, last_end
            last_i = addr
            try:
                last_end = addr + int(line[3:].split(',')[1])
            except (IndexError, ValueError):
                last_end = addr
            if addr == marker:
                if cur is not None:
                    exits.append(cur)
                cur = {'n': 0, 'jumps': 0, 'code': collections.defaultdict(set),
                       'data': collections.defaultdict(set)}
            if cur is None:
                continue
            cur['n'] += 1
            if addr != prev_end and (prev in indirect or (addr >> 12) != (prev >> 12)):
                cur['jumps'] += 1
                cur.setdefault('jl', []).append('%s -> %s' % (sym(prev), sym(addr)))
            cur['code'][addr >> 12].add(sym(addr))
        elif cur is not None:
            cur['data'][addr >> 12].add(sym(last_i))
    if only:
        exits = [e for e in exits if any(only in fns for fns in e['code'].values())]
    exits = exits[50:-5]
    if not exits:
        sys.exit('exit_pages.py: fewer than 56 exits in the trace (is MARKER right?)')
    med = lambda f: statistics.median(f(e) for e in exits)
    print('exits %d instructions %g lookups %g code_pages %g data_pages %g pages %g' % (
        len(exits), med(lambda e: e['n']), med(lambda e: e['jumps']), med(lambda e: len(e['code'])),
        med(lambda e: len(e['data'])), med(lambda e: len(e['code']) + len(e['data']))))
    if listing:
        e = exits[len(exits) // 2]
        for what in ('code', 'data'):
            for page, fns in sorted(e[what].items()):
                print('  %s %#x: %s' % (what, page << 12, ' '.join(sorted(fns))))
        print('  lookups: ' + ', '.join(e.get('jl', [])))


if __name__ == '__main__':
    main()
