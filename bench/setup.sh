#!/usr/bin/env bash
# Set-up time of `warden run` in the emulated AMD-V tier: from warden's
# start to the guest's first instruction, split as warden measures it
# (--verbose: "set-up: VM and vCPUs, devices, guest loaded" and "VM set up
# in N ms since warden started"), for kernels of different sizes, so the
# part that grows with the kernel shows.
#
# Usage: bench/setup.sh   (from the repo root; needs `make static guest`)
# Env:
#   RUNS=5        runs per kernel (medians reported)
#   KERNELS="vmlinux vmlinuz vmlinux-nokaslr"  which loads to time:
#                 vmlinux          the uncompressed ELF (warden's default guest)
#                 vmlinuz          the bzImage (the guest decompresses itself)
#                 vmlinux-nokaslr  the ELF with nokaslr (no relocation pass)
# Each run is stopped once the set-up line is out (the guest is not
# booted). Output: a markdown table, also in build/bench/setup-<date>.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
RUNS=${RUNS:-5}
KERNELS=${KERNELS:-vmlinux vmlinuz vmlinux-nokaslr}
OUT=$ROOT/build/bench/setup
die() { echo "bench/setup.sh: error: $*" >&2; exit 1; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive number"
for k in $KERNELS; do case $k in vmlinux|vmlinuz|vmlinux-nokaslr) ;; *) die "unknown kernel '$k'" ;; esac; done
[ -x build/warden-static ] || die "build/warden-static missing (make static)"
[ -s build/guest/vmlinux ] || die "build/guest/vmlinux missing (make guest)"
mkdir -p "$OUT"
REPORT=$ROOT/build/bench/setup-$(date -u +%Y%m%d-%H%M%S).md

{
    echo '#!/bin/sh'
    bench_l1_facts_sh
    echo "RUNS=$RUNS"
    echo "KERNELS='$KERNELS'"
    cat <<'L1'
for k in $KERNELS; do
    case $k in
    vmlinux) f=/guest/vmlinux; extra= ;;
    vmlinuz) f=/guest/vmlinuz; extra= ;;
    vmlinux-nokaslr) f=/guest/vmlinux; extra=nokaslr ;;
    esac
    echo "SETUP-KERNEL $k $(wc -c <$f)"
    i=0
    while [ $i -lt $RUNS ]; do
        i=$((i + 1))
        warden run --verbose --kernel $f --initrd /guest/initrd.cpio.gz --mem 256 \
            --cmdline "console=ttyS0 quiet panic=-1 $extra" </dev/null >/tmp/setup.out 2>/tmp/setup.err &
        pid=$!
        n=0
        while ! grep -q 'VM set up in' /tmp/setup.err && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
        kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
        echo "SETUP-RUN $k $(grep -o 'VM and vCPUs [0-9.]* ms, devices [0-9.]* ms, guest loaded [0-9.]* ms' /tmp/setup.err | tr -d ',') $(grep -o 'VM set up in [0-9.]* ms' /tmp/setup.err)"
    done
done
L1
} >"$OUT/l1-script.sh"
rc=0
nice -n 10 bash tests/emu/l1.sh --timeout 1200 "$OUT/l1-script.sh" >"$OUT/emu.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || die "L1 run failed (status $rc, log $OUT/emu.log)"
tr -d '\r' <"$OUT/emu.log" >"$OUT/emu.clean.log"

med() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2); else print "-" }'; }
{
    echo "warden set-up by kernel, $(date -u +%F): \`RUNS=$RUNS KERNELS=\"$KERNELS\" bash bench/setup.sh\`"
    echo
    bench_facts emu | sed 's/^/    /'
    grep '^fact: L1' "$OUT/emu.clean.log" | sed 's/^/    /' || true
    echo
    echo "| kernel | bytes | runs | VM and vCPUs ms | devices ms | guest loaded ms | start -> first instruction ms |"
    echo "|---|---|---|---|---|---|---|"
    for k in $KERNELS; do
        bytes=$(sed -n "s/^SETUP-KERNEL $k //p" "$OUT/emu.clean.log")
        lines=$(grep "^SETUP-RUN $k VM and" "$OUT/emu.clean.log" || true)
        n=$(printf '%s\n' "$lines" | grep -c . || true)
        c() { printf '%s\n' "$lines" | awk -v f="$1" '{ print $f }' | med; }
        # SETUP-RUN k VM and vCPUs X ms devices Y ms guest loaded Z ms VM set up in T ms
        echo "| $k | $bytes | $n | $(c 6) | $(c 9) | $(c 13) | $(c 19) |"
    done
    echo
    echo "Raw lines:"
    echo
    grep '^SETUP-' "$OUT/emu.clean.log" | sed 's/^/    /'
} >"$REPORT"
cat "$REPORT"
