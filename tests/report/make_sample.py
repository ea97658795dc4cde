#!/usr/bin/env python3
# Writes tests/report/sample.jsonl on stdout: a 2-vCPU Linux boot of about
# 3 s as `warden run --stats-trace` records it with KVM's binary statistics
# and --exit-trace (30 intervals of 0.1 s, then the final figures).  The
# numbers are made up but consistent: interval sums equal the totals, the
# exit trace's per-reason in-KVM/to-warden split matches the reasons that
# reached warden, histograms come from the same samples as their p50/p99.
# Seeded, so it writes the same file each time:
#   python3 tests/report/make_sample.py > tests/report/sample.jsonl
import json, math, random, sys
random.seed(4)
N = 30; DT = 0.1
def phase(t):
    if t <= 0.3: return 'early'
    if t <= 1.2: return 'init'
    if t <= 2.7: return 'user'
    return 'down'
def jitter(x): return max(0, int(round(x * random.uniform(0.8, 1.2))))
iv = []
tot_w = {}; tot_tr = {}
for i in range(N):
    t = round(DT * (i + 1), 3); ph = phase(t)
    w = {}
    w['io'] = jitter({'early': 900, 'init': 2600, 'user': 1500, 'down': 400}[ph])
    w['mmio'] = jitter({'early': 0, 'init': 60 if 0.7 <= t <= 1.0 else 8, 'user': 35, 'down': 4}[ph])
    w['hlt'] = jitter({'early': 0, 'init': 0, 'user': 2, 'down': 1}[ph])
    w['intr'] = jitter({'early': 1, 'init': 3, 'user': 6, 'down': 2}[ph])
    if i == N - 1: w['io'] += 1  # the ACPI poweroff write
    w = {k: v for k, v in w.items() if v}
    tr = {}
    tr['NPF'] = w.get('mmio', 0) + jitter({'early': 42000, 'init': 9000, 'user': 5200, 'down': 900}[ph]) + jitter(40 if ph == 'user' else 0)
    tr['MSR'] = jitter({'early': 2500, 'init': 3900, 'user': 2700, 'down': 2200}[ph])
    tr['CPUID'] = jitter({'early': 5200, 'init': 900, 'user': 140, 'down': 10}[ph])
    tr['IOIO'] = w.get('io', 0) + jitter({'early': 300, 'init': 160, 'user': 20, 'down': 5}[ph])
    tr['HLT'] = w.get('hlt', 0) + jitter({'early': 2, 'init': 120, 'user': 420, 'down': 300}[ph])
    tr['VINTR'] = jitter({'early': 30, 'init': 280, 'user': 210, 'down': 120}[ph])
    tr['INTR'] = w.get('intr', 0) + jitter({'early': 60, 'init': 240, 'user': 310, 'down': 200}[ph])
    tr['PAUSE'] = jitter({'early': 0, 'init': 35, 'user': 12, 'down': 3}[ph])
    tr['XSETBV'] = jitter({'early': 4, 'init': 2, 'user': 1, 'down': 0}[ph])
    tr['WRITE_CR4'] = jitter({'early': 6, 'init': 2, 'user': 0, 'down': 0}[ph])
    tr = {k: v for k, v in tr.items() if v}
    for k, v in w.items(): tot_w[k] = tot_w.get(k, 0) + v
    for k, v in tr.items(): tot_tr[k] = tot_tr.get(k, 0) + v
    kvm = {'exits': sum(tr.values()), 'halt_exits': tr.get('HLT', 0), 'io_exits': w.get('io', 0),
           'mmio_exits': w.get('mmio', 0), 'irq_exits': tr.get('INTR', 0),
           'irq_window_exits': tr.get('VINTR', 0), 'insn_emulation': jitter(3), 'signal_exits': 0,
           'halt_wait_ns': 91000 * tr.get('HLT', 0), 'fpu_reload': 2 * w.get('io', 0)}
    iv.append({'type': 'interval', 't_s': t, 'dt_s': DT, 'warden': w, 'kvm': kvm, 'trace': tr})

def hist(samples):
    samples = sorted(int(s) for s in samples)
    n = len(samples)
    b = {}
    for s in samples:
        k = max(0, s).bit_length() - 1 if s > 0 else 0
        b[k] = b.get(k, 0) + 1
    def pct(p): return samples[min(n - 1, max(0, math.ceil(p / 100 * n) - 1))]
    tot = sum(samples)
    return {'count': n, 'total_ns': tot, 'mean_ns': round(tot / n, 1), 'p50_ns': pct(50), 'p99_ns': pct(99),
            'max_ns': samples[-1],
            'log2': [{'lo_ns': 1 << k, 'hi_ns': (2 << k) - 1, 'count': c} for k, c in sorted(b.items())]}
def ln(med, sigma, n, tail=0.0, tailmed=0):
    out = []
    for _ in range(n):
        if tail and random.random() < tail: out.append(random.lognormvariate(math.log(tailmed), 0.6))
        else: out.append(random.lognormvariate(math.log(med), sigma))
    return [max(1, int(x)) for x in out]
WALL = 3.04e9
prof = {  # per reason: run median, decode, emulate, return (ns)
    'io': (9000, 180, 1400, 250), 'mmio': (40000, 320, 2600, 260),
    'hlt': (2.2e6, 120, 600, 240), 'intr': (3.1e6, 90, 150, 230)}
reasons = {}; samples_by_reason = {}
for r, (run, dec, emu, ret) in prof.items():
    n = tot_w[r]
    parts = {'run': ln(run, 0.9, n), 'decode': ln(dec, 0.35, n), 'emulate': ln(emu, 0.7, n, 0.02, emu * 12),
             'return': ln(ret, 0.3, n)}
    handling = [a + b for a, b in zip(parts['decode'], parts['emulate'])]
    samples_by_reason[r] = handling
    h = hist(handling)
    h['rate_per_s'] = round(n / (WALL / 1e9), 1)
    h['parts'] = {k: hist(v) for k, v in parts.items()}
    reasons[r] = h
# devices: io split among ports, mmio among virtio devices
io = samples_by_reason['io']; mm = samples_by_reason['mmio']
ports = [('0x3f8', 'serial', 0.62), ('0x3fd', 'serial', 0.21), ('0x3f9', 'serial', 0.03), ('0x3fb', 'serial', 0.01),
         ('0x70', 'rtc', 0.045), ('0x71', 'rtc', 0.045), ('0x64', 'i8042', 0.004), ('0x60', 'i8042', 0.002),
         ('0x600', 'acpi-pm', 0.0015), ('0x604', 'acpi-pm', 0.0005)]
unclaimed_pio = [('0x80', 0.01), ('0x87', 0.003), ('0x510', 0.002), ('0xcf8', 0.0)]
random.shuffle(io)
pos = 0; port_rows = []; dev_samples = {}
for p, d, share in ports:
    k = max(1, int(len(io) * share)); s = io[pos:pos + k]; pos += k
    port_rows.append({'port': p, 'device': d, 'count': len(s), 'total_ns': sum(s)})
    dev_samples.setdefault(d, []).extend(s)
unclaimed = []
for p, share in unclaimed_pio:
    k = max(1, int(len(io) * share)); s = io[pos:pos + k]; pos += k
    unclaimed.append({'space': 'pio', 'addr': p, 'count': len(s)})
# the rest of io goes to the serial port's data register
rest = io[pos:]
port_rows[0]['count'] += len(rest); port_rows[0]['total_ns'] += sum(rest); dev_samples['serial'].extend(rest)
mmio_rows = []; random.shuffle(mm); pos = 0
for a, d, share in [('0xc0000070', 'virtio-blk', 0.25), ('0xc0000000', 'virtio-blk', 0.12), ('0xc0000034', 'virtio-blk', 0.1),
                    ('0xc0000100', 'virtio-blk', 0.18), ('0xc0001070', 'virtio-rng', 0.08), ('0xc0001000', 'virtio-rng', 0.05),
                    ('0xc0000060', 'virtio-blk', 0.1)]:
    k = max(1, int(len(mm) * share)); s = mm[pos:pos + k]; pos += k
    mmio_rows.append({'addr': a, 'device': d, 'count': len(s), 'total_ns': sum(s)})
    dev_samples.setdefault(d, []).extend(s)
s = mm[pos:]
unclaimed.append({'space': 'mmio', 'addr': '0xfed00000', 'count': len(s)})
unclaimed = [u for u in unclaimed if u['count']]
devices = {}
for d, s in dev_samples.items():
    h = hist(s); h['rate_per_s'] = round(len(s) / (WALL / 1e9), 1); devices[d] = h
total_w = sum(tot_w.values()); total_hw = sum(tot_tr.values())
codes = {'NPF': 0x400, 'MSR': 0x7c, 'CPUID': 0x72, 'IOIO': 0x7b, 'HLT': 0x78, 'VINTR': 0x64, 'INTR': 0x60,
         'PAUSE': 0x77, 'XSETBV': 0x8d, 'WRITE_CR4': 0x14}
to_w = {'NPF': tot_w['mmio'], 'IOIO': tot_w['io'], 'HLT': tot_w['hlt'], 'INTR': tot_w['intr']}
lat_med = {'NPF': 1900, 'MSR': 700, 'CPUID': 450, 'IOIO': 2100, 'HLT': 380000, 'VINTR': 600, 'INTR': 900,
           'PAUSE': 1200, 'XSETBV': 500, 'WRITE_CR4': 2600}
et = {}
for r, n in tot_tr.items():
    et[r] = {'code': codes[r], 'count': n, 'in_kvm': n - to_w.get(r, 0), 'to_warden': to_w.get(r, 0),
             'latency': hist(ln(lat_med[r], 0.5 if r != 'HLT' else 1.1, n, 0.01, lat_med[r] * 8))}
msrs = []
for m, share in [('0x6e0', 0.46), ('0x80b', 0.31), ('0x830', 0.05), ('0x10', 0.03), ('0x1b', 0.01),
                 ('0xc0000080', 0.004), ('0x4b564d02', 0.002), ('0x8b', 0.001)]:
    c = int(tot_tr['MSR'] * share); msrs.append({'msr': m, 'count': c, 'total_ns': int(c * 780 * random.uniform(0.7, 1.4)), 'source': 'exit-trace'})
def kvm_vcpu(frac):
    return {'exits': int(total_hw * frac), 'halt_exits': int(tot_tr['HLT'] * frac), 'io_exits': int(tot_w['io'] * frac),
            'mmio_exits': int(tot_w['mmio'] * frac), 'irq_exits': int(tot_tr['INTR'] * frac),
            'irq_window_exits': int(tot_tr['VINTR'] * frac), 'insn_emulation': 97 if frac > .5 else 12,
            'insn_emulation_fail': 0, 'signal_exits': 0, 'halt_successful_poll': int(tot_tr['HLT'] * frac * .4),
            'halt_attempted_poll': int(tot_tr['HLT'] * frac * .7), 'halt_wakeup': int(tot_tr['HLT'] * frac * .95),
            'request_irq_exits': 0, 'nmi_injections': 0, 'irq_injections': int(tot_tr['INTR'] * frac * 1.3),
            'req_event': int(total_hw * frac * .05), 'preemption_reported': 3, 'guest_mode': 0}
frac = [0.71, 0.29]
stats = {
    'schema': 'warden-stats/2', 'wall_ns': int(WALL), 'vcpus': 2, 'end_reason': 'poweroff',
    'exits': {'total': total_hw, 'handled_in_kvm': total_hw - total_w, 'handled_by_warden': total_w, 'source': 'exit-trace'},
    'total_exits': total_w, 'run_ns': int(WALL * 2 * 0.93),
    'reasons': reasons, 'devices': devices,
    'attribution': {'ports': port_rows, 'mmio': mmio_rows, 'msrs': msrs, 'unclaimed': unclaimed},
    'device_work': {'virtio-blk': {'exits': devices['virtio-blk']['count'], 'requests': 412, 'bytes': 8843264, 'notifies': 430,
                                   'interrupts': 381, 'errors': 0, 'throttled': 17},
                    'virtio-rng': {'exits': devices['virtio-rng']['count'], 'requests': 9, 'bytes': 576, 'notifies': 9, 'interrupts': 9, 'errors': 0}},
    'exit_trace': {'isa': 'svm', 'reasons': et, 'exits': total_hw, 'lost': 0, 'unmatched': 0,
                   'top_rips': [{'reason': r, 'rip': rip, 'count': c} for r, rip, c in [
                       ('NPF', '0xffffffff81a3c6e2', 61240), ('MSR', '0xffffffff8107b1d4', 42380),
                       ('IOIO', '0xffffffff8160d0b5', 31150), ('MSR', '0xffffffff8106e8a8', 28610),
                       ('CPUID', '0xffffffff8103a3c1', 9870), ('NPF', '0xffffffff81a3c72f', 8650),
                       ('IOIO', '0xffffffff8160d1a3', 10240), ('HLT', '0xffffffff81c2e8de', 8420)]]},
    'kvm_stats': {'vm': {'remote_tlb_flush': 112, 'pages_4k': 5120, 'pages_2m': 118, 'nx_lpage_splits': 0,
                         'max_mmu_page_hash_collisions': 1},
                  'vcpus': [kvm_vcpu(f) for f in frac]},
    'per_vcpu': [{'id': i, 'total_exits': w, 'run_ns': int(WALL * 0.93),
                  'exits': {'total': h, 'handled_in_kvm': h - w, 'handled_by_warden': w, 'source': 'exit-trace'}}
                 for i, (w, h) in enumerate([(int(total_w * .71), int(total_hw * .71)),
                                             (total_w - int(total_w * .71), total_hw - int(total_hw * .71))])],
}
# The advice warden gives for these sources (accounting/advice.c: at
# least 2% of all exits, so not the RTC's).
serial = sum(r['count'] for r in port_rows if r['device'] == 'serial')
stats['advice'] = [
    {'source': 'serial console (COM1)', 'exits': serial, 'share': serial / total_hw,
     'what': 'the guest\'s console written to the UART: one exit per character and per status poll',
     'fix': '`quiet` on the kernel command line, or --virtio-console with console=hvc0, removes nearly all'},
]
for x in iv:
    sys.stdout.write(json.dumps(x, separators=(',', ':')) + '\n')
sys.stdout.write(json.dumps({'type': 'final', 'stats': stats}, separators=(',', ':')) + '\n')
