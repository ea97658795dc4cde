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
#   ROUNDS=5            rounds; each runs every guest at both sizes
#   N1=2000 N2=20000    loop iterations of the small and the large guest
#
# Guests (64-bit ELF, loaded by `warden run --kernel`): bench/guests/pio_loop.S
# (N `out` to port 0x530) and bench/guests/cpuid_loop.S (N `cpuid`). Per
# iteration = (large - small) / (N2 - N1) of warden's run_ns (first KVM_RUN
# to the end of the VM) and of KVM's own exit counter (exits.total in
# --stats): the difference cancels set-up and poweroff. The exit counter
# says whether an iteration really was one exit on that tier (on kvm_pvm a
# ring-0 CPUID is emulated without an exit).
# Output: a markdown table, also written to build/bench/exitcost-<date>.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TIERS=${TIERS:-native emu}
ROUNDS=${ROUNDS:-5}
N1=${N1:-2000}
N2=${N2:-20000}
OUT=$ROOT/build/bench/exitcost
die() { echo "bench/exitcost.sh: error: $*" >&2; exit 1; }

[[ $ROUNDS =~ ^[1-9][0-9]*$ && $N1 =~ ^[1-9][0-9]*$ && $N2 =~ ^[1-9][0-9]*$ ]] \
    || die "ROUNDS, N1 and N2 must be positive numbers"
[ "$N2" -gt "$N1" ] || die "N2 must be larger than N1"
for t in $TIERS; do case $t in native|emu) ;; *) die "unknown tier '$t' in TIERS" ;; esac; done
mkdir -p "$OUT/guests"

for kind in pio cpuid; do
    for n in "$N1" "$N2"; do
        gcc -DN="$n" -c -o "$OUT/$kind.o" "bench/guests/${kind}_loop.S"
        ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start \
            -o "$OUT/guests/$kind-$n.elf" "$OUT/$kind.o"
    done
done
rm -f "$OUT"/*.o

# The rounds, as a POSIX sh script: bash runs it on the host, busybox sh in
# L1. One line per run: EXITCOST <round> <kind> <n> <status> <run_ns> <exits>.
cat >"$OUT/rounds.sh" <<EOF
W=\${WARDEN:-warden}; G=\${GUESTS:-/extra/guests}
r=1
while [ \$r -le $ROUNDS ]; do
    for kind in pio cpuid; do
        for n in $N1 $N2; do
            rc=0
            "\$W" run --mem 16 --kernel "\$G/\$kind-\$n.elf" --stats /tmp/exitcost.json \\
                </dev/null >/dev/null 2>&1 || rc=\$?
            ns=\$(sed -n 's/^ *"run_ns":\([0-9]*\).*/\1/p' /tmp/exitcost.json | head -n 1)
            ex=\$(sed -n 's/^ *"total":\([0-9]*\).*/\1/p' /tmp/exitcost.json | head -n 1)
            echo "EXITCOST \$r \$kind \$n \$rc \${ns:-?} \${ex:-?}"
        done
    done
    r=\$((r + 1))
done
EOF

# Per tier: per-round differences, then the median of the rounds.
summarise() {   # $1 = tier label; stdin = EXITCOST lines
    awk -v n1="$N1" -v n2="$N2" -v tier="$1" '
        $1 != "EXITCOST" { next }
        $5 != 0 || $6 == "?" || $7 == "?" { bad = bad " " $3 "-" $4 "(status " $5 ")"; next }
        { ns[$2, $3, $4] = $6; ex[$2, $3, $4] = $7; if ($2 > rounds) rounds = $2 }
        function median(a, k,   i, j, t) {
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
        }
        END {
            if (bad != "") { print "bench/exitcost.sh: error: runs failed on " tier ":" bad > "/dev/stderr"; exit 1 }
            split("pio cpuid", kinds, " ")
            for (q = 1; q <= 2; q++) {
                kind = kinds[q]; k = 0; list = ""
                for (r = 1; r <= rounds; r++) {
                    if (!((r, kind, n1) in ns) || !((r, kind, n2) in ns)) continue
                    k++
                    c[k] = (ns[r, kind, n2] - ns[r, kind, n1]) / (n2 - n1)
                    e[k] = (ex[r, kind, n2] - ex[r, kind, n1]) / (n2 - n1)
                    list = list sprintf(" %.0f", c[k])
                }
                if (k == 0) { print "bench/exitcost.sh: error: no complete round for " kind " on " tier > "/dev/stderr"; exit 1 }
                what = (kind == "pio") ? "`out` to an unclaimed port (back to warden)" : "`cpuid` (handled in KVM)"
                printf "| %s | %s | %d | %.2f | **%.0f** | %s |\n", tier, what, k, median(e, k), median(c, k), list
            }
        }'
}

stamp=$(date -u +%Y%m%d-%H%M%S)
REPORT="$ROOT/build/bench/exitcost-$stamp.md"
{
    echo "Exit cost, $(date -u +%F), $ROUNDS rounds, N1=$N1 N2=$N2 iterations"
    echo
    echo "| tier | iteration | rounds | KVM exits per iteration | ns per iteration (median) | per round |"
    echo "|---|---|---|---|---|---|"
} >"$REPORT"

for tier in $TIERS; do
    case $tier in
    native)
        if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
            echo "bench/exitcost.sh: skipped native tier: no usable /dev/kvm" >&2
            continue
        fi
        make --no-print-directory all >/dev/null
        WARDEN="$ROOT/build/warden" GUESTS="$OUT/guests" sh "$OUT/rounds.sh" >"$OUT/native.log"
        summarise "native ($([ -e /sys/module/kvm_pvm ] && echo kvm_pvm || echo host KVM))" \
            <"$OUT/native.log" >>"$REPORT"
        ;;
    emu)
        [ -f build/warden-static ] || make --no-print-directory static >/dev/null
        rc=0
        bash tests/emu/l1.sh "$OUT/rounds.sh" "$OUT/guests" >"$OUT/emu.log" 2>&1 || rc=$?
        [ $rc -eq 0 ] || die "L1 run failed (status $rc, log $OUT/emu.log)"
        summarise "emulated AMD-V (L2 in L1)" <"$OUT/emu.log" >>"$REPORT"
        ;;
    esac
done
cat "$REPORT"
echo "(report: ${REPORT#"$ROOT"/})"
