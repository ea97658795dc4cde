#!/usr/bin/env bash
# One `warden lab EXPERIMENT` run in the emulated AMD-V tier: inside L1
# (tests/emu/l1.sh: QEMU TCG -cpu EPYC, kvm-amd with nested paging), with
# the static warden; its table, JSON and SVG come back through L1's
# console. Keep the size small: an exit there costs tens of microseconds.
#
# Usage: bench/lab-emu.sh EXPERIMENT [OPTIONS...]    (from the repo root)
#   e.g. bench/lab-emu.sh interrupts --count 200
# Env: WARDEN=path  static warden for L1 (default build/warden-static)
# The L1 run waits for other users of the machine's TCG (flock
# /tmp/tcg.lock) and runs niced.
# Output: the table on stdout; build/bench/lab-emu-EXPERIMENT-<date>.{txt,json,svg}
# and the L1 log next to them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/facts.sh"
OUT="$ROOT/build/bench"
export WARDEN=${WARDEN:-$ROOT/build/warden-static}
die() { echo "bench/lab-emu.sh: error: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: bench/lab-emu.sh EXPERIMENT [OPTIONS...]"
[[ $1 =~ ^[a-z-]+$ ]] || die "bad experiment name '$1'"
for a in "${@:2}"; do [[ $a =~ ^[A-Za-z0-9.,=_-]+$ ]] || die "option '$a': letters, digits and .,=_- only"; done
[ -f "$WARDEN" ] || die "$WARDEN missing (make static)"
mkdir -p "$OUT"
stamp=$(date +%Y%m%d-%H%M%S)
base="$OUT/lab-emu-$1-$stamp"
SCRIPT="$OUT/l1-lab-emu.sh"
{
    bench_l1_facts_sh
    echo "warden lab $* --json /tmp/lab.json --svg /tmp/lab.svg >/tmp/lab.txt 2>&1"
    cat <<'EOF'
echo "LAB-RC $?"
sed 's/^/LABTXT| /' /tmp/lab.txt
[ -s /tmp/lab.json ] && sed 's/^/LABJSON| /' /tmp/lab.json
[ -s /tmp/lab.svg ] && sed 's/^/LABSVG| /' /tmp/lab.svg
exit 0
EOF
} >"$SCRIPT"
set +e
flock /tmp/tcg.lock nice -n 10 bash "$ROOT/tests/emu/l1.sh" --timeout 900 "$SCRIPT" >"$base.log" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || die "L1 run failed (tests/emu/l1.sh exit $rc), see $base.log"
tr -d '\r' <"$base.log" | sed -n 's/^LABTXT| //p' >"$base.txt"
tr -d '\r' <"$base.log" | sed -n 's/^LABJSON| //p' >"$base.json"
tr -d '\r' <"$base.log" | sed -n 's/^LABSVG| //p' >"$base.svg"
{
    echo "warden lab $* in the emulated AMD-V tier ($(date -u +%Y-%m-%dT%H:%MZ)): \`bash bench/lab-emu.sh $*\`"
    bench_facts emu
    tr -d '\r' <"$base.log" | grep -E '^(fact: L1|LAB-RC )' || true
    echo
    cat "$base.txt"
} | tee "$base.md"
echo "bench/lab-emu.sh: $base.{md,json,svg}"
