#!/usr/bin/env bash
# Rate limits (bw=, ops=: Firecracker's rate_limiter) on the native tier:
# how close a limited disk comes to its limit, and what waiting costs the
# host.  The native tier's test guest (tests/native/guests/virtio_blk_mq.c)
# makes 264 requests, 1,081,344 bytes, each waiting for the one before;
# under a limit the run cannot end before the limit allows: the floor,
# (requests - bucket) / rate or (bytes - bucket) / rate.  Unlimited runs
# alternate with the limited ones.  Where the floor is well above the
# unlimited run's wall time, wall / floor tells how exactly the limiter
# lets its rate through: 1 plus the boot and the last request's own time
# (about 0.1 s here), plus any timer slack.  A limit above what the guest
# does (bw=409600/100 here) should cost nothing: its wall time is the
# unlimited one's.
#
# Usage: bench/ratelimit.sh   (from the repo root; needs a usable /dev/kvm)
# Env: ROUNDS=5, BUILD=build.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/facts.sh
ROUNDS=${ROUNDS:-5}
BUILD=${BUILD:-build}
OUT=$BUILD/bench/ratelimit
GUEST=$BUILD/tests/guests/virtio-blk-mq.elf
REQUESTS=264
BYTES=1081344
# name:disk option:floor in ms ("" for none)
LIMITS="none::
ops=50/100:,ops=50/100:$(((REQUESTS - 50) * 100 / 50))
ops=10/100:,ops=10/100:$(((REQUESTS - 10) * 100 / 10))
bw=409600/100:,bw=409600/100:$(((BYTES - 409600) * 100 / 409600))
bw=102400/100:,bw=102400/100:$(((BYTES - 102400) * 100 / 102400))"
mkdir -p "$OUT"

[ -r /dev/kvm ] || { echo "ratelimit.sh: no usable /dev/kvm" >&2; exit 1; }
make --no-print-directory BUILD="$BUILD" all "$GUEST" >/dev/null

# one NAME OPTS: one run; a line "NAME wall_ms throttled cpu_us" on $OUT/runs.
one() {
	local v=$1 opts=$2 t0 t1 j=$OUT/run.json
	rm -f "$OUT/disk.img" && truncate -s 8M "$OUT/disk.img"
	t0=$(date +%s%N)
	"$BUILD/warden" run --mem 16 --cpus 4 --disk "$OUT/disk.img,queues=4$opts" --transport mmio --no-ioeventfd \
		--kernel "$GUEST" --stats "$j" >"$OUT/run.out" 2>"$OUT/run.err" </dev/null
	t1=$(date +%s%N)
	if ! grep -q '^virtio-blk: all checks passed$' "$OUT/run.out"; then
		echo "ratelimit.sh: $v: the guest failed (left out)" >&2
		return
	fi
	echo "$v $(((t1 - t0) / 1000000)) $(jq '.device_work["virtio-blk0"].throttled' "$j") $(jq '.device_work["virtio-blk0"].cpu_us' "$j")" >>"$OUT/runs"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() { awk -v v="$1" -v c="$2" '$1 == v { print $c }' "$OUT/runs"; }

bench_facts native
echo "fact: command: bench/ratelimit.sh (ROUNDS=$ROUNDS)"
: >"$OUT/runs"
for r in $(seq "$ROUNDS"); do
	while IFS=: read -r name opts floor; do
		one none ""
		[ "$name" = none ] || one "$name" "$opts"
	done <<<"$LIMITS"
done
base=$(col none 2 | median)
echo
echo "| limit | runs | wall (ms, median) | floor (ms) | wall / floor | unlimited wall (ms, median) | waits (throttled) | I/O thread CPU (ms) |"
echo "|---|---|---|---|---|---|---|---|"
while IFS=: read -r name opts floor; do
	w=$(col "$name" 2 | median)
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$(col "$name" 2 | wc -l)" "$w" "${floor:--}" \
		"$(awk -v w="$w" -v f="$floor" 'BEGIN { if (f > 0) printf "%.3f", w / f; else print "-" }')" "$base" \
		"$(col "$name" 3 | median)" "$(col "$name" 4 | median | awk '{ printf "%.1f", $1 / 1000 }')"
done <<<"$LIMITS"
