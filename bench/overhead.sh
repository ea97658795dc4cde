#!/usr/bin/env bash
# Accounting overhead (issue #4): warden with full accounting against a bare
# KVM_RUN loop, the same guest (bench/guests/pio_loop.S: N port writes, one
# exit each) on the host's /dev/kvm, alternating, medians per exit.
#
# Usage: bench/overhead.sh   (from the repo root; needs a usable /dev/kvm)
# Env: ROUNDS=7 rounds (each runs every variant once), N=200000 exits per run,
#      BUILD=build (where warden is built).
# Variants:
#   bare     bench/bare_loop.c: warden's VM set-up, then ioctl(KVM_RUN) in a
#            loop that only checks the exit reason
#   warden   `warden run` with full accounting: per-exit timing of all four
#            parts, reason/device/address attribution, KVM binary stats,
#            --stats-interval 1 live table, --stats-trace JSONL, --stats JSON
# Per exit = time from the first KVM_RUN to the poweroff / exits.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/facts.sh
ROUNDS=${ROUNDS:-7}
N=${N:-200000}
BUILD=${BUILD:-build}
OUT=$BUILD/bench/overhead
mkdir -p "$OUT"

[ -r /dev/kvm ] || { echo "overhead.sh: no usable /dev/kvm" >&2; exit 1; }
make --no-print-directory BUILD="$BUILD" all >/dev/null
gcc -DN="$N" -c -o "$OUT/pio_loop.o" bench/guests/pio_loop.S
ld -m elf_x86_64 -static -nostdlib -Ttext=0x100000 -e _start -o "$OUT/pio_loop.elf" "$OUT/pio_loop.o"
# Linked against warden's own release objects (those `make all` built), as
# an archive, so it takes only the set-up code it calls.
rm -f "$OUT/libwarden.a"
ar rcs "$OUT/libwarden.a" $(find "$BUILD/obj" -name '*.o' ! -name main.o | sort)
gcc -O2 -g -std=gnu11 -D_GNU_SOURCE -Isrc -Iinclude -o "$OUT/bare_loop" bench/bare_loop.c \
	"$OUT/libwarden.a" -ljson-c -luring -lseccomp -lpthread -lm

bare() {
	"$OUT/bare_loop" "$OUT/pio_loop.elf" | awk -F'[= ]' '{ printf "%.1f\n", $4 / $2 }'
}
warden() {
	"$BUILD/warden" run --mem 16 --kernel "$OUT/pio_loop.elf" --stats "$OUT/w.json" \
		--stats-interval 1 --stats-trace "$OUT/w.jsonl" </dev/null >/dev/null 2>"$OUT/w.err"
	jq -r '"\(.wall_ns / .total_exits)"' "$OUT/w.json" | awk '{ printf "%.1f\n", $1 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

: >"$OUT/bare.txt"
: >"$OUT/warden.txt"
bare >/dev/null; warden >/dev/null   # warm-up
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then
		bare >>"$OUT/bare.txt"; warden >>"$OUT/warden.txt"
	else
		warden >>"$OUT/warden.txt"; bare >>"$OUT/bare.txt"
	fi
done
mb=$(median <"$OUT/bare.txt")
mw=$(median <"$OUT/warden.txt")
echo "command: ROUNDS=$ROUNDS N=$N bash bench/overhead.sh"
bench_facts native
echo "fact: guest bench/guests/pio_loop.S (64-bit ELF, no Linux kernel), 16 MiB, 1 vCPU"
echo "tier: native ($([ -e /sys/module/kvm_pvm ] && echo kvm_pvm || echo host KVM), host /dev/kvm), $(date -u +%F), $N exits per run, $ROUNDS rounds alternating"
echo "bare KVM_RUN loop    ns/exit: $(tr '\n' ' ' <"$OUT/bare.txt")-> median $mb"
echo "warden (accounting)  ns/exit: $(tr '\n' ' ' <"$OUT/warden.txt")-> median $mw"
# Each round's two runs sit side by side in time: the median of the
# per-round ratios is less exposed to the host's background than the ratio
# of medians.
pr=$(paste "$OUT/warden.txt" "$OUT/bare.txt" | awk '{ print $1 / $2 }' | median)
awk -v b="$mb" -v w="$mw" -v pr="$pr" 'BEGIN {
	printf "overhead per exit (ratio of medians): %+.2f%% (%.0f ns)\n", 100 * (w - b) / b, w - b
	printf "overhead per exit (median of per-round ratios): %+.2f%%, target <= 3%%: %s\n",
		100 * (pr - 1), pr - 1 <= 0.03 ? "met" : "MISSED" }'
