#!/usr/bin/env bash
# Polling mode (issue 14 section 4) on the native tier: what `poll=US`
# saves (notifications, each an exit here) and what it costs (wall time,
# the I/O thread's polling and CPU time), with the native tier's test
# guest (tests/native/guests/virtio_blk_mq.c: a disk's 4 queues, then a
# stream of 4 KiB requests one at a time, notifying only when avail_event
# asks), alternating runs without polling, with a fixed window and with
# a window that adapts (poll=50,poll-max=POLL_US).
#
# Usage: bench/poll.sh   (from the repo root; needs a usable /dev/kvm)
# Env: ROUNDS=3 (each runs both variants), POLL_US=200000, BUILD=build.
# --no-ioeventfd makes every notification an exit to warden, so the
# notification count is also the exit count warden's accounting sees.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/facts.sh
ROUNDS=${ROUNDS:-3}
POLL_US=${POLL_US:-200000}
BUILD=${BUILD:-build}
OUT=$BUILD/bench/poll
GUEST=$BUILD/tests/guests/virtio-blk-mq.elf
mkdir -p "$OUT"

[ -r /dev/kvm ] || { echo "poll.sh: no usable /dev/kvm" >&2; exit 1; }
make --no-print-directory BUILD="$BUILD" all "$GUEST" >/dev/null

# one VARIANT DISK-OPTS: prints a table row.
one() {
	local v=$1 opts=$2 t0 t1 j=$OUT/$1.json
	rm -f "$OUT/disk.img" && truncate -s 8M "$OUT/disk.img"
	t0=$(date +%s%N)
	"$BUILD/warden" run --mem 16 --cpus 4 --disk "$OUT/disk.img,queues=4$opts" --transport mmio --no-ioeventfd \
		--kernel "$GUEST" --stats "$j" >"$OUT/$v.out" 2>"$OUT/$v.err" </dev/null
	t1=$(date +%s%N)
	grep -q '^virtio-blk: all checks passed$' "$OUT/$v.out" || { echo "poll.sh: $v: the guest failed" >&2; exit 1; }
	printf '| %s | %s of %s | %s | %.2f s | %s | %s | %s |\n' "$v" \
		"$(awk '/^virtio-blk: counts/ { for (i = 3; i < NF; i += 2) if ($i == "stream_kicks") print $(i + 1) }' "$OUT/$v.out")" \
		"$(awk '/^virtio-blk: counts/ { for (i = 3; i < NF; i += 2) if ($i == "stream_requests") print $(i + 1) }' "$OUT/$v.out")" \
		"$(jq '.device_work["virtio-blk0"].exits' "$j")" "$(echo "($t1 - $t0) / 1000000000" | bc -l)" \
		"$(jq '.device_work["virtio-blk0"].poll_us' "$j")" "$(jq '.device_work["virtio-blk0"].cpu_us' "$j")" \
		"$(jq '.device_work["virtio-blk0"].poll_window_us' "$j")"
}

bench_facts native
echo "fact: command: bench/poll.sh (ROUNDS=$ROUNDS POLL_US=$POLL_US)"
echo
echo "| variant | stream notifications (exits) | disk exits | wall | poll_us | cpu_us | poll_window_us at the end |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
	one notify ""
	one "poll=$POLL_US" ",poll=$POLL_US"
	one "poll=50,poll-max=$POLL_US" ",poll=50,poll-max=$POLL_US"
done
