# Snapshots (sourced by run.sh; docs/snapshot.md): guests/snapshot_counter.c
# counts timer ticks on COM1, checks a 4 MiB RAM pattern page by page and
# that its TSC never goes back, and ends with status 33 at "count 200"
# (35: memory lost, 37: the TSC went back).  A snapshot taken while it
# counts, restored in a new process, must continue the count where it
# stopped and end the same way; bad snapshots are refused with status 2.

SNAP_GUEST=(--mem 16 --kernel "$G/snapshot-counter.elf" --test-exit-port 0xf4)

# snap_run NAME BIN ARGS...: warden in the background under timeout (its
# pid in SNAP_PID, for wait); warden's own pid, for signals, in SNAP_WPID.
snap_run() {
	local n=$1 bin=$2 i
	shift 2
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$n")
	# Emptied here, not by the child's redirection: a waiter must never
	# match a line left by an earlier run and signal a warden too early.
	: >"$OUT/$n.out"
	: >"$OUT/$n.err"
	timeout 60 "$bin" run "$@" >"$OUT/$n.out" 2>"$OUT/$n.err" </dev/null &
	SNAP_PID=$!
	SNAP_WPID=
	for ((i = 0; i < 100; i++)); do
		SNAP_WPID=$(pgrep -P $SNAP_PID) && break
		sleep 0.02
	done
}

# snap_wait_for PATTERN FILE: up to 20 s for an extended regex in FILE.
snap_wait_for() {
	local i
	for ((i = 0; i < 400; i++)); do
		grep -Eq -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# snap_counts FILE...: the count lines of the files joined, as one list.
snap_counts() { cat "$@" | grep -oE '^count [0-9]+' | awk '{ print $2 }' | tr '\n' ' '; }

# snap_consecutive FROM TO LIST: LIST is exactly FROM..TO (no gap, no repeat).
snap_consecutive() { [ "$3" = "$(seq "$1" "$2" | tr '\n' ' ')" ]; }

# snap_edit STATE PYTHON: rewrite STATE's sections with PYTHON (it gets
# `secs`, a list of [type, index, bytearray payload], and `hdr`) and
# recompute the checksum, so only the edit is wrong.
snap_edit() {
	python3 - "$1" "$2" <<'PY'
import struct, sys, zlib
path, code = sys.argv[1], sys.argv[2]
b = open(path, 'rb').read()
hdr = bytearray(b[:56])
off, secs = 56, []
while off < len(b) - 8:
    t, i, n = struct.unpack_from('<IIQ', b, off)
    secs.append([t, i, bytearray(b[off + 16:off + 16 + n])])
    off += 16 + ((n + 7) & ~7)
exec(code)
body = b''.join(struct.pack('<IIQ', t, i, len(p)) + bytes(p) + b'\0' * (-len(p) % 8) for t, i, p in secs)
struct.pack_into('<Q', hdr, 48, len(body))
struct.pack_into('<I', hdr, 12, len(secs))
out = bytes(hdr) + body
open(path, 'wb').write(out + struct.pack('<I', zlib.crc32(out)) + b'SEND')
PY
}

# snap_refused LABEL WHY-REGEX STATE-DIR [ARGS...]: --restore refuses, status 2, one line.
snap_refused() {
	local l=$1 why=$2 dir=$3 n st
	shift 3
	n=$(tr -c 'a-z0-9' '-' <<<"$l" | head -c 60)
	timeout 20 "$SNAP_BIN" run --restore "$dir" "$@" >"$OUT/snap-$n.out" 2>"$OUT/snap-$n.err" </dev/null
	st=$?
	if [ "$st" = 2 ] && [ "$(wc -l <"$OUT/snap-$n.err")" = 1 ] && grep -Eq -- "$why" "$OUT/snap-$n.err"; then
		pass "$l (status 2: $(cat "$OUT/snap-$n.err"))"
	else
		failed "$l: expected status 2 and one line /$why/, got $st: $(head -c 300 "$OUT/snap-$n.err")"
	fi
}

snapshot_checks() { # BIN LABEL
	local bin=$1 l=$2 d="$OUT/$2-snap" a b1 b2 k counts
	SNAP_BIN=$bin
	rm -rf "$d" "$d-exit" && mkdir -p "$d" "$d-exit"

	# 1. Snapshot, the VM goes on, the process is killed; two restores.
	a=$l-snap-src
	snap_run "$a" "$bin" "${SNAP_GUEST[@]}" --snapshot-dir "$d"
	local src_pid=$SNAP_WPID
	if ! snap_wait_for '^count 50$' "$OUT/$a.out"; then
		failed "$l snapshot: the counting guest never reached count 50: $(tail -c 300 "$OUT/$a.err")"
		kill -KILL $src_pid 2>/dev/null
		return
	fi
	kill -USR2 $src_pid
	snap_wait_for 'snapshot written to' "$OUT/$a.err" &&
		pass "$l snapshot: SIGUSR2 wrote it ($(grep -o 'snapshot written.*' "$OUT/$a.err"))" ||
		failed "$l snapshot: no snapshot after SIGUSR2: $(tail -c 300 "$OUT/$a.err")"
	# The paused VM resumed: it counts on (ten more ticks), then dies.
	k=$(snap_counts "$OUT/$a.out" | awk '{ print $NF }')
	if snap_wait_for "^count $((k + 10))\$" "$OUT/$a.out"; then
		pass "$l snapshot: the VM resumed after it (count $k, then $((k + 10)))"
	else
		failed "$l snapshot: the VM did not resume after the snapshot (last count $k)"
	fi
	kill -KILL $src_pid 2>/dev/null
	wait $SNAP_PID 2>/dev/null
	expect_eq "$l snapshot: the memory file is the guest's RAM size" $((16 << 20)) "$(stat -c %s "$d/memory")"
	# Two restores of the one snapshot at once: each a working VM.
	b1=$l-snap-restore1 b2=$l-snap-restore2
	snap_run "$b1" "$bin" --restore "$d" --stats "$OUT/$b1.json"
	local p1=$SNAP_PID
	snap_run "$b2" "$bin" --restore "$d"
	wait $p1; echo $? >"$OUT/$b1.rc"
	wait $SNAP_PID; echo $? >"$OUT/$b2.rc"
	for b in "$b1" "$b2"; do
		expect_eq "$l restore ($b): the guest ran on to its end: no memory lost, TSC never back (status 33)" \
			33 "$(rc "$b")"
		counts=$(snap_counts "$OUT/$b.out")
		k=${counts%% *}
		if [ -n "$k" ] && [ "$k" -gt 50 ] && grep -qx "count $((k - 1))" "$OUT/$a.out" &&
			snap_consecutive "$k" 200 "$counts"; then
			pass "$l restore ($b): the count continued where the snapshot stopped it ($((k - 1)) -> $k ... 200)"
		else
			failed "$l restore ($b): the count did not continue (restored: ${counts:0:80}...; source reached $(snap_counts "$OUT/$a.out" | awk '{ print $NF }'))"
		fi
	done
	if [ "$(cat "$OUT/$b1.out")" = "$(cat "$OUT/$b2.out")" ]; then
		pass "$l restore: both restores printed the same"
	else
		failed "$l restore: the two restores of one snapshot printed differently"
	fi

	# A restored VM snapshotted into the directory it was restored from:
	# its memory is that directory's memory file, mapped privately and
	# read lazily, so the new snapshot must not change that file under it.
	b1=$l-snap-again
	# Up to three tries: on a busy host the restored guest (0.5 s of its
	# 5 ms timer from count 100 to the end) may finish before this script
	# sees count 100 and signals it; the checks below judge the last try.
	for _ in 1 2 3; do
		snap_run "$b1" "$bin" --restore "$d" --snapshot-dir "$d"
		snap_wait_for '^count 100$' "$OUT/$b1.out" && kill -USR2 $SNAP_WPID 2>/dev/null && break
		wait $SNAP_PID
	done
	snap_wait_for 'snapshot written to' "$OUT/$b1.err" ||
		failed "$l restore, snapshot again: no snapshot: $(tail -c 300 "$OUT/$b1.err")"
	wait $SNAP_PID; echo $? >"$OUT/$b1.rc"
	expect_eq "$l restore, snapshot again into its own directory: the VM ran on to its end (status 33)" 33 "$(rc "$b1")"
	b2=$l-snap-again-restore
	snap_run "$b2" "$bin" --restore "$d"
	wait $SNAP_PID; echo $? >"$OUT/$b2.rc"
	counts=$(snap_counts "$OUT/$b2.out")
	k=${counts%% *}
	if [ "$(rc "$b2")" = 33 ] && [ -n "$k" ] && [ "$k" -gt 100 ] && snap_consecutive "$k" 200 "$counts"; then
		pass "$l restore of the second snapshot: continues from it ($k ... 200, status 33)"
	else
		failed "$l restore of the second snapshot: status $(rc "$b2"), counts ${counts:0:80}"
	fi

	# 2. --snapshot-then exit: the source stops at the snapshot (status 7);
	# its output and the restore's are one unbroken count.  Two vCPUs: the
	# second waits for a SIPI all along, and must still be waiting.
	a=$l-snap-exit
	snap_run "$a" "$bin" "${SNAP_GUEST[@]}" --cpus 2 --snapshot-dir "$d-exit" --snapshot-then exit
	snap_wait_for '^count 30$' "$OUT/$a.out" && kill -USR2 $SNAP_WPID
	wait $SNAP_PID; echo $? >"$OUT/$a.rc"
	expect_eq "$l snapshot: --snapshot-then exit ends warden after writing it (status 7)" 7 "$(rc "$a")"
	b1=$l-snap-exit-restore
	snap_run "$b1" "$bin" --restore "$d-exit"
	wait $SNAP_PID; echo $? >"$OUT/$b1.rc"
	expect_eq "$l restore after exit (2 vCPUs): the guest ran on to its end (status 33)" 33 "$(rc "$b1")"
	if snap_joined_ok "$OUT/$a.out" "$OUT/$b1.out"; then
		pass "$l restore after exit: source and restore together counted 1..200 once each"
	else
		failed "$l restore after exit: the joined count is broken: ${SNAP_JOINED:0:200}"
	fi

	# 3. A virtio-blk disk (the guest does not drive it: its state at
	# power-on is saved), restored on a copy of the same size given with
	# --disk, and refused on a disk of another size.
	truncate -s 1M "$d-a.img" "$d-b.img" && truncate -s 2M "$d-c.img"
	a=$l-snap-disk
	snap_run "$a" "$bin" "${SNAP_GUEST[@]}" --disk "$d-a.img" --snapshot-dir "$d-exit" --snapshot-then exit
	snap_wait_for '^count 20$' "$OUT/$a.out" && kill -USR2 $SNAP_WPID
	wait $SNAP_PID; echo $? >"$OUT/$a.rc"
	expect_eq "$l snapshot with a virtio-blk disk: written, then warden ends (status 7)" 7 "$(rc "$a")"
	b1=$l-snap-disk-restore
	snap_run "$b1" "$bin" --restore "$d-exit" --disk "$d-b.img"
	wait $SNAP_PID; echo $? >"$OUT/$b1.rc"
	expect_eq "$l restore with --disk on another image of the same size: the guest ran on (status 33)" 33 "$(rc "$b1")"
	SNAP_BIN=$bin snap_refused "$l restore with --disk on an image of another size: refused" \
		'the state of device virtio-blk0 is malformed: it does not match the device built here' "$d-exit" --disk "$d-c.img"

	# 4. The working set a restore records for the next (MEM.hot).
	snapshot_hot_checks "$bin" "$l" "$d-hot"

	# 5. virtio-console, -blk and -rng over virtio-mmio, then the same over
	# the PCI transport (the host bridge, each function's config space
	# and MSI-X table): snapshotted, restored, the guest runs on.
	snapshot_devices_checks "$bin" "$l" "$d"

	[ "$l" = release ] || return 0 # the refusals read files: once is enough
	snapshot_refusals "$d"
	# A device without save: the snapshot is refused, the VM goes on.
	a=$l-snap-nosave
	rm -rf "$d-nosave"
	mkdir -p "$d-nosave" # before warden starts: it checks the directory then
	snap_run "$a" "$bin" "${SNAP_GUEST[@]}" --test-device --snapshot-dir "$d-nosave"
	snap_wait_for '^count 20$' "$OUT/$a.out" && kill -USR2 $SNAP_WPID
	wait $SNAP_PID; echo $? >"$OUT/$a.rc"
	expect_match "$l snapshot: a device without save refuses it, naming the device" \
		'snapshot not taken: cannot snapshot this VM: device test-device cannot be saved yet' "$OUT/$a.err"
	expect_eq "$l snapshot: after the refusal the VM ran on to its end (status 33)" 33 "$(rc "$a")"
	[ ! -e "$d-nosave/state" ] && pass "$l snapshot: no state file left by the refusal" ||
		failed "$l snapshot: a refused snapshot left $d-nosave/state"
}

# snap_joined_ok SOURCE-OUT RESTORED-OUT: a source stopped at its
# snapshot and a restore of it printed one unbroken count, 1..200 once
# each.  The snapshot may stop the guest inside a line ("count " in the
# source, "44" from the restore), so the two outputs are joined before
# the counts are read.  SNAP_LAST: the source's last whole count.
snap_joined_ok() {
	SNAP_JOINED=$(cat "$1" "$2" | tr -d '\n' | grep -oE 'count [0-9]+' | awk '{ print $2 }' | tr '\n' ' ')
	SNAP_LAST=$(snap_counts "$1" | awk '{ print $NF }')
	[ -n "$SNAP_LAST" ] && [ "$SNAP_LAST" -lt 200 ] && snap_consecutive 1 200 "$SNAP_JOINED"
}

# snap_restored_ok LABEL NAME SOURCE-OUT: restore NAME ended as the guest
# does (33: its RAM pattern checked at every tick) and counted on from
# where the source stopped to 200, once each.
snap_restored_ok() {
	if [ "$(rc "$2")" = 33 ] && snap_joined_ok "$3" "$OUT/$2.out"; then
		pass "$1: the count went on (after $SNAP_LAST ... 200, RAM pattern intact, status 33)"
	else
		failed "$1: status $(rc "$2"), counts ${SNAP_JOINED:0:80}...; $(tail -c 200 "$OUT/$2.err")"
	fi
}

# snapshot_hot_checks BIN LABEL DIR: a restore records its guest's
# working set next to the memory file (DIR/memory.hot, taken 0.5 s after
# its start: the counting guest runs about 1 s); the next restore maps
# all those pages before its vCPUs start and its guest runs on as before
# (the guest checks its RAM pattern at every tick).  A hint that is
# corrupt or older than its memory file is not used, and a new snapshot
# removes the old hint.
snapshot_hot_checks() {
	local bin=$1 l="$2 restore working set" d=$3 a="$2-hot-src" n used
	rm -rf "$d" && mkdir -p "$d"
	snap_run "$a" "$bin" "${SNAP_GUEST[@]}" --mem 64 --snapshot-dir "$d" --snapshot-then exit
	snap_wait_for '^count 20$' "$OUT/$a.out" && kill -USR2 $SNAP_WPID
	wait $SNAP_PID; echo $? >"$OUT/$a.rc"
	expect_eq "$l: snapshot written (status 7)" 7 "$(rc "$a")"
	expect_eq "$l: no hint before the first restore" no "$([ -e "$d/memory.hot" ] && echo yes || echo no)"

	snap_run "$2-hot-1" "$bin" --restore "$d" --verbose
	wait $SNAP_PID; echo $? >"$OUT/$2-hot-1.rc"
	snap_restored_ok "$l: the first restore (no hint)" "$2-hot-1" "$OUT/$a.out"
	n=$(grep -oE 'working set recorded in [^ ]*: [0-9]+ pages' "$OUT/$2-hot-1.err" | awk '{ print $(NF - 1) }')
	if [ -s "$d/memory.hot" ] && [ -n "$n" ] && [ "$n" -gt 0 ]; then
		pass "$l: the first restore recorded its guest's working set ($n pages in $d/memory.hot)"
	else
		failed "$l: no working set recorded: $(grep 'working set' "$OUT/$2-hot-1.err")"
	fi

	snap_run "$2-hot-2" "$bin" --restore "$d" --verbose
	wait $SNAP_PID; echo $? >"$OUT/$2-hot-2.rc"
	snap_restored_ok "$l: the next restore (with the hint)" "$2-hot-2" "$OUT/$a.out"
	used=$(grep -oE 'working set from [^ ]*: [0-9]+ pages populated' "$OUT/$2-hot-2.err")
	if [ -n "$used" ] && [ "$(awk '{ print $5 }' <<<"$used")" = "$n" ]; then
		pass "$l: the next restore brought the working set in before its vCPUs ran ($used)"
	else
		failed "$l: the next restore did not use the hint: $(grep 'working set' "$OUT/$2-hot-2.err")"
	fi

	# One byte changed: the checksum no longer matches; not used, and
	# that restore, having none, records a new one.
	printf '\x5a' | dd of="$d/memory.hot" bs=1 seek=40 conv=notrunc status=none
	snap_run "$2-hot-bad" "$bin" --restore "$d" --verbose
	wait $SNAP_PID; echo $? >"$OUT/$2-hot-bad.rc"
	snap_restored_ok "$l: a restore with a corrupt hint" "$2-hot-bad" "$OUT/$a.out"
	expect_eq "$l: a corrupt hint is not used" 0 "$(grep -c 'working set from' "$OUT/$2-hot-bad.err")"
	expect_match "$l: ... and a new one is recorded" 'working set recorded in' "$OUT/$2-hot-bad.err"
	# The memory file newer than its hint (a hint taken from another file).
	touch "$d/memory"
	snap_run "$2-hot-old" "$bin" --restore "$d" --verbose
	wait $SNAP_PID; echo $? >"$OUT/$2-hot-old.rc"
	snap_restored_ok "$l: a restore with a hint older than the memory file" "$2-hot-old" "$OUT/$a.out"
	expect_match "$l: a hint that does not match its memory file is not used" 'memory.hot does not match' "$OUT/$2-hot-old.err"
	# A new snapshot into the directory: the old hint goes.
	snap_run "$2-hot-again" "$bin" --restore "$d" --snapshot-dir "$d" --snapshot-then exit
	snap_wait_for '^count 120$' "$OUT/$2-hot-again.out" && kill -USR2 $SNAP_WPID
	wait $SNAP_PID; echo $? >"$OUT/$2-hot-again.rc"
	expect_eq "$l: a new snapshot into the directory (status 7)" 7 "$(rc "$2-hot-again")"
	expect_eq "$l: ... removed the old memory's hint" no "$([ -e "$d/memory.hot" ] && echo yes || echo no)"
}

# snapshot_devices_checks BIN LABEL DIR: the counting guest with virtio
# devices on each transport (the guest does not drive them: their state
# at power-on, and the PCI bus's, is what is saved), snapshotted at count
# 20 with --snapshot-then exit; the restore counts on to 200.
# virtio-net joins when the host has /dev/net/tun (asked of the host): on
# tap A (warden creates it), restored on tap B (--net tap=B: the backend
# replaced, the MAC the snapshot's), queues=2 over PCI.
snapshot_devices_checks() {
	local bin=$1 l=$2 d=$3 t a b counts net rnet what
	for t in mmio pci; do
		a=$l-snap-dev-$t b=$l-snap-dev-$t-restore net=() rnet=() what="virtio-console, -rng and -blk (rate-limited), -vsock"
		if [ -c /dev/net/tun ]; then
			net=(--net "tap=wsa$$$t,tx-bw=10485760/100$([ $t = pci ] && echo ,queues=2)" --cpus 2)
			rnet=(--net "tap=wsb$$$t")
			what="$what, -net (rate-limited)"
		elif [ $t = mmio ]; then
			skip "$l snapshot of virtio-net: no /dev/net/tun on this host: no tap to attach"
		fi
		rm -rf "$d-dev-$t" && mkdir -p "$d-dev-$t" && truncate -s 1M "$d-dev-$t.img"
		# The rng and the disk rate-limited: their buckets travel too.
		snap_run "$a" "$bin" "${SNAP_GUEST[@]}" --transport $t --virtio-console --rng=ops=1000/1000 \
			--disk "$d-dev-$t.img,bw=1048576/1000" \
			--vsock "cid=$((RANDOM + 3)),uds=$d-dev-$t.vsock" "${net[@]}" --snapshot-dir "$d-dev-$t" --snapshot-then exit
		snap_wait_for '^count 20$' "$OUT/$a.out" && kill -USR2 $SNAP_WPID
		wait $SNAP_PID; echo $? >"$OUT/$a.rc"
		expect_eq "$l snapshot over $t with $what: written, then warden ends (status 7)" 7 "$(rc "$a")"
		snap_run "$b" "$bin" --restore "$d-dev-$t" "${rnet[@]}"
		wait $SNAP_PID; echo $? >"$OUT/$b.rc"
		if [ "$(rc "$b")" = 33 ] && snap_joined_ok "$OUT/$a.out" "$OUT/$b.out"; then
			pass "$l restore over $t with $what${rnet[*]:+ (on another tap)}: the count went on (1..200 once each, status 33)"
		else
			failed "$l restore over $t: status $(rc "$b"): $(tail -c 200 "$OUT/$b.err"); counts ${SNAP_JOINED:0:120}"
		fi
		[ $t = mmio ] || continue
		# A disk bucket's level its limit cannot have (more tokens than
		# the bucket's 1048576): one line, status 2.
		rm -rf "$d-dev-bad" && cp -r "$d-dev-$t" "$d-dev-bad"
		snap_edit "$d-dev-bad/state" '
spec = struct.pack("<QQQ", 1048576, 1000, 0)
hits = [(s, p.find(spec)) for s in secs if s[0] == 64 for p in [s[2]] if p.find(spec) >= 0]
s, at = hits[0]
struct.pack_into("<q", s[2], at + 48, 1048577)'
		# (The restored net device's line about its tap comes first.)
		timeout 20 "$bin" run --restore "$d-dev-bad" "${rnet[@]}" >"$OUT/$b-bad.out" 2>"$OUT/$b-bad.err" </dev/null
		echo $? >"$OUT/$b-bad.rc"
		if [ "$(rc "$b-bad")" = 2 ] && [ "$(grep -c 'bucket level' "$OUT/$b-bad.err")" = 1 ] &&
			tail -n 1 "$OUT/$b-bad.err" | grep -q 'the state of device virtio-blk0 is malformed: .*bucket level that its limit cannot have'; then
			pass "$l restore refuses a rate limiter level its limit cannot have (status 2: $(tail -n 1 "$OUT/$b-bad.err"))"
		else
			failed "$l restore of a bad rate limiter level: status $(rc "$b-bad"): $(head -c 300 "$OUT/$b-bad.err")"
		fi
	done
}

# Each bad snapshot is a copy of the good one with one thing wrong.
snapshot_refusals() { # GOOD-DIR
	local good=$1 x="$OUT/snap-bad"
	snap_bad() { rm -rf "$x" && cp -r "$good" "$x"; }
	snap_bad
	printf '\xff' | dd of="$x/state" bs=1 seek=2000 conv=notrunc status=none
	snap_refused "restore refuses a corrupt state file" 'corrupt \(checksum mismatch\)' "$x"
	snap_bad
	truncate -s -100 "$x/state"
	snap_refused "restore refuses a truncated state file" 'truncated' "$x"
	snap_bad
	snap_edit "$x/state" 'hdr[16:48] = b"0.0.0-other".ljust(32, b"\0")'
	snap_refused "restore refuses a snapshot from another warden version" \
		'written by warden 0.0.0-other; this is warden' "$x"
	snap_bad
	truncate -s -4096 "$x/memory"
	snap_refused "restore refuses a memory file of the wrong size" 'memory file .* is [0-9]+ bytes' "$x"
	snap_bad
	rm "$x/memory"
	snap_refused "restore refuses a missing memory file" 'memory file' "$x"
	# Leaf 7.0 EDX bits 0-1 are reserved: no KVM offers them.
	snap_bad
	snap_edit "$x/state" '
for t, i, p in secs:
    if t == 25:
        for k in range(0, len(p), 40):
            f, idx = struct.unpack_from("<II", p, k)
            if f == 7 and idx == 0:
                struct.pack_into("<I", p, k + 24, struct.unpack_from("<I", p, k + 24)[0] | 3)'
	snap_refused "restore refuses a snapshot whose CPUID this host cannot offer" \
		'cannot run snapshot .*CPUID 7.0.EDX bits 0x00000003' "$x"
	snap_bad
	snap_edit "$x/state" 'secs[:] = [s for s in secs if not (s[0] == 64 and s[1] == 1)]'
	snap_refused "restore refuses a state file missing a device's state" 'no state for device 1' "$x"
	snap_bad
	snap_edit "$x/state" '
for t, i, p in secs:
    if t == 1:
        p += b"--bogus\0"
        struct.pack_into("<I", p, 12, struct.unpack_from("<I", p, 12)[0] + 1)'
	snap_refused "restore refuses a snapshot whose machine arguments do not parse" \
		"its machine's arguments: unknown option '--bogus'" "$x"
	snap_refused "restore refuses machine options (the machine is the snapshot's)" \
		'--mem: with --restore the machine is the snapshot' "$good" --mem 32
	snap_refused "restore refuses more disks than the snapshot has" \
		'1 --disk and 0 --net given, the snapshot has 0 and 0' "$good" --disk /dev/null
	snap_refused "restore refuses a directory without a snapshot" 'snapshot state file' "$OUT"
	local st
	"$SNAP_BIN" run "${SNAP_GUEST[@]}" --snapshot-dir "$OUT/no-such-dir" >"$OUT/snap-nodir.out" 2>"$OUT/snap-nodir.err" </dev/null
	st=$?
	if [ $st = 2 ] && grep -q 'snapshot-dir .*no-such-dir: not a writable directory' "$OUT/snap-nodir.err"; then
		pass "--snapshot-dir without such a directory: refused at the start (status 2)"
	else
		failed "--snapshot-dir without such a directory: status $st: $(head -c 200 "$OUT/snap-nodir.err")"
	fi
}
