#!/usr/bin/env bash
# Batched hypercalls against trapped port writes: cost per operation against
# the batch size n, on the native tier (the host's /dev/kvm).
#
# Usage: bash bench/hypercall.sh   (from the repo root; about a minute)
# Env:   ROUNDS=5   warden runs of the guest; the figures are medians over them
#        REPS=101   repetitions per way and n inside one run (the guest's median)
#
# The guest (bench/guests/hypercall_bench.c) times, with its TSC, groups of
# n operations (n = 1 .. 256) four ways: `trap` n `outl` to a port no device
# claims (n exits to warden); `single` n port-doorbell hypercalls of one NOP
# each (n exits); `port` one port-doorbell batch of n NOPs (one exit);
# `fast` one fast-doorbell batch of n NOPs (KVM_IOEVENTFD: no exit to
# warden; warden's I/O thread answers while the guest polls); and `guest`,
# the guest's own side of a batch without ringing (sealing the header and
# reading its status: on kvm_pvm KVM emulates these guests' memory
# accesses, about a microsecond each).  Cycles become
# ns with the guest's TSC against the host's CLOCK_MONOTONIC (two TIME
# hypercalls around the run).
#
# The model (issue 12): n trapped operations cost n (t_e + t_p), a batch
# t_h + n t_p'.  A line through the cost of a group against n (Theil-Sen:
# the median of the pairwise slopes, so one disturbed point on a shared
# host does not tilt it) gives each way's fixed part (intercept) and
# per-operation part (slope): trap's slope is t_e + t_p, port's intercept
# t_h and slope t_p'.  Batching wins from
# n* = t_h / (t_e + t_p - t_p') on; the measured crossover is the smallest
# n at which the batch's cost per operation is below the trapped one's.
# warden's --stats show the exits: one per port batch, none per fast ring.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
ROUNDS=${ROUNDS:-5}
REPS=${REPS:-101}
OUT=$ROOT/build/bench/hypercall
die() { echo "bench/hypercall.sh: error: $*" >&2; exit 1; }

[[ $ROUNDS =~ ^[1-9][0-9]*$ && $REPS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS and REPS must be positive numbers"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || die "no usable /dev/kvm: the native tier cannot run here"
mkdir -p "$OUT"
make --no-print-directory all >/dev/null
GCF="-m64 -O2 -ffreestanding -nostdlib -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only
     -fno-stack-protector -fno-asynchronous-unwind-tables -Wall -Wextra -Werror
     -Iinclude -Iguestlib -Itests/native/guests"
# shellcheck disable=SC2086
gcc $GCF -c -o "$OUT/whc.o" guestlib/whc.c
# shellcheck disable=SC2086
gcc $GCF -DREPS="$REPS" -c -o "$OUT/bench.o" bench/guests/hypercall_bench.c
ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o "$OUT/hypercall-bench.elf" "$OUT/bench.o" "$OUT/whc.o"

CMD="ROUNDS=$ROUNDS REPS=$REPS bash bench/hypercall.sh"
stamp=$(date -u +%Y%m%d-%H%M%S)
REPORT=$ROOT/build/bench/hypercall-$stamp.md
{
    echo "Batched hypercalls against trapped port writes, $(date -u +%F): \`$CMD\`"
    echo
    bench_facts native | sed 's/^/    /'
    echo "    fact: guest bench/guests/hypercall_bench.c (64-bit ELF, guest library guestlib/whc.c), 16 MiB, 1 vCPU, \`warden run --mem 16 --hypercall\`"
    echo "    fact: KVM_CAP_IOEVENTFD: $(make -s --no-print-directory build/tests/kvm-check-ext >/dev/null 2>&1; build/tests/kvm-check-ext --vm 36 2>/dev/null || echo '?')"
} >"$REPORT"

: >"$OUT/runs.log"
for r in $(seq "$ROUNDS"); do
    rc=0
    build/warden run --mem 16 --hypercall --kernel "$OUT/hypercall-bench.elf" --stats "$OUT/run.json" \
        </dev/null >"$OUT/run.out" 2>"$OUT/run.err" || rc=$?
    grep -q '^HCBENCH-DONE 0' "$OUT/run.out" && [ $rc -eq 0 ] ||
        die "round $r failed (status $rc; $OUT/run.out, $OUT/run.err)"
    sed -n "s/^\(HCBENCH.*\)$/$r \1/p" "$OUT/run.out" | tr -d '\r' >>"$OUT/runs.log"
    echo "$r EXITS $(jq -r '.devices.hypercall.count' "$OUT/run.json") $(jq -r '[.unclaimed[] | select(.addr=="0x530") | .count] | add // 0' "$OUT/run.json") $(jq -r '.device_work.hypercall.notifies' "$OUT/run.json") $(jq -r '.devices.hypercall.mean_ns | floor' "$OUT/run.json")" >>"$OUT/runs.log"
done

python3 - "$OUT/runs.log" "$REPS" >>"$REPORT" <<'PY'
import statistics as st
import sys

log, reps = sys.argv[1], int(sys.argv[2])
cal, groups, exits = {}, {}, {}
for line in open(log):
    f = line.split()
    r = int(f[0])
    if f[1] == "HCBENCH-CAL":
        cal[r] = int(f[3]) / int(f[2])          # ns per guest cycle
    elif f[1] == "HCBENCH":
        groups.setdefault((f[2], int(f[3])), {})[r] = int(f[4])
    elif f[1] == "EXITS":
        exits[r] = tuple(int(x) for x in f[2:6])
ways = ["trap", "single", "port", "fast"]
sizes = sorted({n for (_, n) in groups})
rounds = sorted(cal)
# ns per group, per round; then the median over rounds
ns = {k: st.median(v[r] * cal[r] for r in rounds) for k, v in groups.items()}
ghz = st.median(1 / cal[r] for r in rounds)


def fit(way):
    """Theil-Sen: median pairwise slope, median intercept."""
    xs = sizes
    ys = [ns[(way, n)] for n in xs]
    b = st.median((ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(len(xs)) for j in range(i + 1, len(xs)))
    return st.median(y - b * x for x, y in zip(xs, ys)), b


print()
print(f"Guest TSC {ghz:.3f} GHz (its cycles against the host's CLOCK_MONOTONIC), {len(rounds)} rounds, "
      f"{reps} repetitions per way and n in each (the guest's median); ns per operation, median of the rounds.")
print()
print("| n | trap: n `outl` (n exits) | single: n hypercalls of 1 (n exits) | port: 1 batch (1 exit) | fast: 1 batch (ioeventfd) |")
print("|---:|---:|---:|---:|---:|")
for n in sizes:
    print(f"| {n} | " + " | ".join(f"{ns[(w, n)] / n:.0f}" for w in ways) + " |")
print()
gs = st.median(ns[("guest", n)] for n in sizes)
print(f"The guest's own side of one batch, without ringing (sealing the header, reading its status): {gs:.0f} ns.")
print()
fits = {w: fit(w) for w in ways}
print("Fit of a group's cost, a + b n (ns, Theil-Sen): " +
      "; ".join(f"{w} a = {fits[w][0]:.0f}, b = {fits[w][1]:.1f}" for w in ways) + ".")
t_trap = fits["trap"][1]
for w in ("port", "fast"):
    t_h, t_p = fits[w]
    model = t_h / (t_trap - t_p) if t_trap > t_p else float("inf")
    measured = next((n for n in sizes if ns[(w, n)] / n < ns[("trap", n)] / n), None)
    print(f"- {w} doorbell: t_h = {t_h:.0f} ns, t_p' = {t_p:.1f} ns against trapped t_e + t_p = {t_trap:.0f} ns: "
          f"model crossover n* = {model:.2f}; measured: cheaper per operation than trapping from n = "
          f"{measured if measured is not None else 'never (up to ' + str(sizes[-1]) + ')'} on.")
trap_ops = reps * sum(sizes)
port_batches = reps * len(sizes)
ex = exits[rounds[0]]
print(f"- Exits (warden --stats, round 1): unclaimed port 0x530 {ex[1]} (the guest's trapped writes: {trap_ops}); "
      f"hypercall device {ex[0]} (single {trap_ops} + port {port_batches} + 3 set-up batches = "
      f"{trap_ops + port_batches + 3}; fast rings {port_batches} more where no ioeventfd); "
      f"doorbell rings seen {ex[2]}.")
print(f"- warden's own handling of a hypercall-device exit (decode + emulate, its --stats mean): "
      f"{st.median(exits[r][3] for r in rounds):.0f} ns, median of the rounds.")
PY
cat "$REPORT"
echo
echo "(report also in ${REPORT#"$ROOT"/}; per-run lines in ${OUT#"$ROOT"/}/runs.log)"
