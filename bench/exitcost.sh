#!/usr/bin/env bash
# Exit cost: what one VM exit costs on this machine, for an exit that KVM
# handles in the kernel (CPUID) and one that comes back to warden (a port
# write to an unclaimed port), on the host's /dev/kvm and/or inside the
# emulated AMD-V host (tests/emu/l1.sh, real SVM with nested paging).
#
# Usage: bench/exitcost.sh   (from the repo root)
# Env:
#   TIERS="native emu"  which tiers (native needs a usable /dev/kvm; emu needs
#                        only QEMU, it builds what it needs)
#   ROUNDS=5            rounds; each runs every guest once (order reversed
#                        every other round)
#   N1=2000 N2=20000    loop iterations of the small and the large guest
#   K1=0x10000000 K2=0x100000000  TSC cycles the two rate guests spin
#
# Guests (64-bit ELF, loaded by `warden run --kernel`, built with
# -DTSC_REPORT): bench/guests/pio_loop.S (N `out` to port 0x530, which no
# device claims) and bench/guests/cpuid_loop.S (N `cpuid`). Each reads its
# TSC just before and just after the loop and prints the difference on COM1
# ("WARDEN-TSC <hex>"; warden's serial port copies it to stdout).
#
# What each figure includes, per iteration = (large - small) / (N2 - N1),
# so set-up, the TSC reads and poweroff cancel:
#   guest-seen round trip  the guest's TSC cycles per iteration, in ns at the
#                          guest-visible TSC rate (below): everything from
#                          the guest's exit to its next instruction. For the
#                          `out`: the exit into KVM, KVM_RUN returning to
#                          warden, warden's decode + emulate (an unclaimed
#                          port: lookup, accounting) + return, the next
#                          KVM_RUN ioctl and the VM entry. For `cpuid`: the
#                          exit and KVM's own emulation, no warden.
#   inside KVM_RUN         warden's run_ns (--stats: the time its vCPU thread
#                          spent inside the KVM_RUN ioctl), per iteration.
#   outside KVM_RUN        guest-seen minus inside KVM_RUN: warden's user-
#                          space part of each exit (the return from the
#                          ioctl, decode, emulate, accounting, the next
#                          ioctl call), on the guest's clock. ~0 when KVM
#                          handles the exit itself.
#   KVM exits/iteration    KVM's own exit counter (exits.total in --stats):
#                          whether an iteration was one exit on that tier
#                          (on kvm_pvm a ring-0 `cpuid` is emulated without
#                          an exit).
# TSC rate: bench/guests/tsc_spin.S spins until its TSC has advanced K1 (K2)
# cycles and prints the cycles spun; each run is timed by warden's wall_ns
# (--stats: CLOCK_MONOTONIC of the host that runs warden, L1's in the
# emulated tier, from just before the vCPU starts to the VM's end, so no
# process start-up or VM set-up); rate = (cycles K2 - cycles K1) /
# (wall_ns K2 - wall_ns K1), per round, median. (Timing the whole `warden
# run` from the shell instead was off by 12% in L1, where start-up varies
# by 0.2 s.) The kernel's own TSC figure (its log) is printed next to it as
# a check.
# Output: a markdown table, also written to build/bench/exitcost-<date>.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
TIERS=${TIERS:-native emu}
ROUNDS=${ROUNDS:-5}
N1=${N1:-2000}
N2=${N2:-20000}
K1=${K1:-0x10000000}
K2=${K2:-0x100000000}
OUT=$ROOT/build/bench/exitcost
die() { echo "bench/exitcost.sh: error: $*" >&2; exit 1; }

[[ $ROUNDS =~ ^[1-9][0-9]*$ && $N1 =~ ^[1-9][0-9]*$ && $N2 =~ ^[1-9][0-9]*$ ]] \
    || die "ROUNDS, N1 and N2 must be positive numbers"
[ "$N2" -gt "$N1" ] || die "N2 must be larger than N1"
[[ $K1 =~ ^(0x[0-9a-fA-F]+|[1-9][0-9]*)$ && $K2 =~ ^(0x[0-9a-fA-F]+|[1-9][0-9]*)$ ]] \
    || die "K1 and K2 must be numbers (decimal or 0x hex)"
[ $((K2)) -gt $((K1)) ] || die "K2 must be larger than K1"
for t in $TIERS; do case $t in native|emu) ;; *) die "unknown tier '$t' in TIERS" ;; esac; done
rm -rf "$OUT/guests"
mkdir -p "$OUT/guests"

link() { ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o "$1" "$2"; }
for kind in pio cpuid; do
    for n in "$N1" "$N2"; do
        gcc -DTSC_REPORT -DN="$n" -c -o "$OUT/$kind.o" "bench/guests/${kind}_loop.S"
        link "$OUT/guests/$kind-$n.elf" "$OUT/$kind.o"
    done
done
for k in "$K1" "$K2"; do
    gcc -DK="$k" -c -o "$OUT/spin.o" bench/guests/tsc_spin.S
    link "$OUT/guests/spin-$((k)).elf" "$OUT/spin.o"
done
rm -f "$OUT"/*.o

# The rounds, as a POSIX sh script: bash runs it on the host, busybox sh
# in L1. One line per run:
#   EXITCOST <round> <kind> <n> <status> <run_ns> <exits> <guest cycles> <wall_ns>
# (kind spin: n = K).
cat >"$OUT/rounds.sh" <<EOF
W=\${WARDEN:-warden}; G=\${GUESTS:-/extra/guests}
one() {   # one ROUND KIND N
    rc=0
    rm -f /tmp/exitcost.json /tmp/exitcost.out
    "\$W" run --mem 16 --kernel "\$G/\$2-\$3.elf" --stats /tmp/exitcost.json \\
        </dev/null >/tmp/exitcost.out 2>/dev/null || rc=\$?
    wall=\$(sed -n 's/^ *"wall_ns":\([0-9]*\).*/\1/p' /tmp/exitcost.json 2>/dev/null | head -n 1)
    ns=\$(sed -n 's/^ *"run_ns":\([0-9]*\).*/\1/p' /tmp/exitcost.json 2>/dev/null | head -n 1)
    ex=\$(sed -n 's/^ *"total":\([0-9]*\).*/\1/p' /tmp/exitcost.json 2>/dev/null | head -n 1)
    hx=\$(tr -d '\r' </tmp/exitcost.out | sed -n 's/^WARDEN-TSC \([0-9a-f]\{16\}\)\$/\1/p' | head -n 1)
    cy='?'
    [ -z "\$hx" ] || cy=\$((0x\$hx))
    echo "EXITCOST \$1 \$2 \$3 \$rc \${ns:-?} \${ex:-?} \$cy \${wall:-?}"
}
r=1
while [ \$r -le $ROUNDS ]; do
    if [ \$((r % 2)) = 1 ]; then
        order="pio-$N1 pio-$N2 cpuid-$N1 cpuid-$N2 spin-$((K1)) spin-$((K2))"
    else
        order="spin-$((K2)) spin-$((K1)) cpuid-$N2 cpuid-$N1 pio-$N2 pio-$N1"
    fi
    for g in \$order; do one \$r \${g%-*} \${g#*-}; done
    r=\$((r + 1))
done
EOF

# Per tier: the TSC rate, per-round differences, then the medians of the rounds.
summarise() {   # $1 = tier label; stdin = EXITCOST lines
    awk -v n1="$N1" -v n2="$N2" -v k1="$((K1))" -v k2="$((K2))" -v tier="$1" '
        $1 != "EXITCOST" { next }
        $5 != 0 || $6 == "?" || $7 == "?" || $8 == "?" || $9 == "?" { bad = bad " round " $2 " " $3 "-" $4 " (status " $5 ")"; nbad++; next }
        { ns[$2, $3, $4] = $6; ex[$2, $3, $4] = $7; cy[$2, $3, $4] = $8; wall[$2, $3, $4] = $9; if ($2 > rounds) rounds = $2 }
        function median(a, k,   i, j, t) {
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
        }
        END {
            if (nbad) print "runs that failed, left out of the medians (" tier "):" bad > "/dev/stderr"
            # guest-visible TSC rate, cycles per ns
            k = 0; flist = ""
            for (r = 1; r <= rounds; r++) {
                if (!((r, "spin", k1) in cy) || !((r, "spin", k2) in cy)) continue
                dw = wall[r, "spin", k2] - wall[r, "spin", k1]
                if (dw <= 0) continue
                f[++k] = (cy[r, "spin", k2] - cy[r, "spin", k1]) / dw
                flist = flist sprintf(" %.1f", f[k] * 1000)
            }
            if (k == 0) { print "bench/exitcost.sh: error: no complete TSC-rate round on " tier > "/dev/stderr"; exit 1 }
            ghz = median(f, k)
            rate = sprintf("guest-visible TSC rate on %s: %.1f MHz (median of %d rounds:%s MHz; guest cycles spun over warden wall_ns)", tier, ghz * 1000, k, flist)
            split("pio cpuid", kinds, " ")
            for (q = 1; q <= 2; q++) {
                kind = kinds[q]; k = 0; list = ""
                for (r = 1; r <= rounds; r++) {
                    if (!((r, kind, n1) in ns) || !((r, kind, n2) in ns)) continue
                    k++
                    c[k] = (cy[r, kind, n2] - cy[r, kind, n1]) / (n2 - n1)
                    g[k] = c[k] / ghz
                    in_[k] = (ns[r, kind, n2] - ns[r, kind, n1]) / (n2 - n1)
                    o[k] = g[k] - in_[k]
                    e[k] = (ex[r, kind, n2] - ex[r, kind, n1]) / (n2 - n1)
                    list = list sprintf(" %.0f", g[k])
                }
                if (k == 0) { print "bench/exitcost.sh: error: no complete round for " kind " on " tier > "/dev/stderr"; exit 1 }
                what = (kind == "pio") ? "`out` to an unclaimed port (exit to warden)" : "`cpuid` (exit handled in KVM)"
                printf "| %s | %s | %d | %.2f | %.0f | **%.0f** | %.0f | %.0f | %s |\n", tier, what, k, median(e, k), median(c, k), median(g, k), median(in_, k), median(o, k), list
            }
            print rate > "/dev/stderr"
        }'
}

stamp=$(date -u +%Y%m%d-%H%M%S)
REPORT="$ROOT/build/bench/exitcost-$stamp.md"
NOTES="$OUT/notes.txt"
: >"$NOTES"
{
    echo "Exit cost, $(date -u +%F), ROUNDS=$ROUNDS N1=$N1 N2=$N2 K1=$K1 K2=$K2: \`TIERS=\"$TIERS\" bash bench/exitcost.sh\`"
    echo
    bench_facts $TIERS | sed 's/^/    /'
    echo "    fact: guests bench/guests/{pio_loop,cpuid_loop,tsc_spin}.S (64-bit ELF, no Linux kernel), 16 MiB, 1 vCPU"
    echo
    echo "Per iteration, median of the rounds. Guest-seen = the guest's TSC across its loop, in ns at the guest-visible TSC rate; inside KVM_RUN = warden's run_ns; outside = guest-seen minus inside (warden's user-space part)."
    echo
    echo "| tier | iteration | rounds | KVM exits per iteration | guest-seen cycles | guest-seen round trip, ns | inside KVM_RUN, ns | outside KVM_RUN, ns | guest-seen ns per round |"
    echo "|---|---|---|---|---|---|---|---|---|"
} >"$REPORT"

for tier in $TIERS; do
    case $tier in
    native)
        if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
            echo "bench/exitcost.sh: skipped native tier: no usable /dev/kvm" | tee -a "$NOTES" >&2
            continue
        fi
        make --no-print-directory all >/dev/null
        dmesg 2>/dev/null | sed -n 's/^.*\] \(tsc: .*MHz.*\)$/fact: host kernel log: \1/p' | head -n 3 >>"$NOTES" || true
        WARDEN="$ROOT/build/warden" GUESTS="$OUT/guests" bash "$OUT/rounds.sh" >"$OUT/native.log"
        summarise "native ($([ -e /sys/module/kvm_pvm ] && echo kvm_pvm || echo host KVM))" \
            <"$OUT/native.log" >>"$REPORT" 2>>"$NOTES" || { cat "$NOTES" >&2; die "no figures for the native tier (log $OUT/native.log)"; }
        ;;
    emu)
        [ -f build/warden-static ] || make --no-print-directory static >/dev/null
        bench_l1_facts_sh >"$OUT/l1-rounds.sh"
        cat "$OUT/rounds.sh" >>"$OUT/l1-rounds.sh"
        rc=0
        bash tests/emu/l1.sh "$OUT/l1-rounds.sh" "$OUT/guests" >"$OUT/emu.log" 2>&1 || rc=$?
        [ $rc -eq 0 ] || die "L1 run failed (status $rc, log $OUT/emu.log)"
        tr -d '\r' <"$OUT/emu.log" | grep '^fact: L1' >>"$NOTES" || true
        summarise "emulated AMD-V (L2 in L1)" <"$OUT/emu.log" >>"$REPORT" 2>>"$NOTES" \
            || { cat "$NOTES" >&2; die "no figures for the emulated tier (log $OUT/emu.log)"; }
        ;;
    esac
done
{ echo; sed 's/^/    /' "$NOTES"; } >>"$REPORT"
cat "$REPORT"
echo "(report: ${REPORT#"$ROOT"/})"
