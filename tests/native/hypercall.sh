# The hypercall interface on the native tier (sourced by tests/native/run.sh,
# with B, G, OUT, run, rc from there).  The guest hypercall_test.c calls
# every opcode through both doorbells and provokes every error code; it
# prints exact counts of what it did, and warden's statistics must agree:
# one exit per port-doorbell batch (and per status read or bad access),
# none for the fast doorbell where the host offers KVM_IOEVENTFD (asked
# directly with kvm-check-ext, never from warden's output), one per ring
# where it does not or with --no-ioeventfd.
#
# Machines: rw (a read-write disk, irqchip, ioeventfd: every call works),
# ro (a read-only disk, --no-irqchip, --no-ioeventfd: E_RDONLY, E_NOTSUPP,
# trapped fast rings), nodisk (E_NODEV), eio (release only: a preloaded
# shim fails the host's reads at one offset: E_IO).
HC_SECTORS=2048                 # 1 MiB disks
HC_EIO_OFFSET=$((200 * 512))    # where the eio machine's reads fail
HC_IDLE_ROUNDS=10               # IDLE calls of the guest, each one halt
HC_F_BLOCK=1 HC_F_IDLE=2 HC_F_FAST_NOEXIT=4
KVM_CAP_IOEVENTFD=36

# The disk: sector k holds byte k & 0xff; sector 0 "WHCTEST1" and the
# offset where reads fail (little-endian u64, 0: none).
hc_disk() { # FILE EIO_OFFSET
	python3 - "$1" "$2" <<'PY'
import struct, sys
n = 2048
b = bytearray()
for k in range(n):
    b += bytes([k & 0xff]) * 512
b[0:512] = b"WHCTEST1" + struct.pack("<Q", int(sys.argv[2])) + bytes(496)
open(sys.argv[1], "wb").write(b)
PY
}

hc_count() { # FILE KEY: a number from the guest's "counts" line
	awk -v k="$2" '/^hypercall: counts / { for (i = 3; i < NF; i += 2) if ($i == k) print $(i + 1) }' "$1"
}

# The bytes of sector range [FIRST, FIRST+N) as one hex string.
hc_sectors() { # FILE FIRST N
	od -A n -v -t x1 -j $(($2 * 512)) -N $(($3 * 512)) "$1" | tr -d ' \n'
}

hc_host_ioeventfd=$($B/tests/kvm-check-ext --vm $KVM_CAP_IOEVENTFD 2>/dev/null)
[ "$hc_host_ioeventfd" -gt 0 ] 2>/dev/null && hc_host_ioeventfd=1 || hc_host_ioeventfd=0

hypercall_run() { # BIN LABEL MACHINE
	local bin=$1 l=$2 m=$3 name=$2-hc-$3 disk=$OUT/$2-hc-$3.img
	local j out err feat noexit exits want_feat acc before

	case $m in
	rw) hc_disk "$disk" 0
	    run "$name" "$bin" --hypercall --hypercall-disk "$disk" --kernel $G/hypercall-test.elf
	    want_feat=$((HC_F_BLOCK | HC_F_IDLE | (hc_host_ioeventfd ? HC_F_FAST_NOEXIT : 0)))
	    noexit=$hc_host_ioeventfd ;;
	ro) hc_disk "$disk" 0
	    before=$(md5sum <"$disk")
	    run "$name" "$bin" --hypercall --hypercall-disk "$disk,ro" --no-irqchip --no-ioeventfd \
		--kernel $G/hypercall-test.elf
	    want_feat=$HC_F_BLOCK
	    noexit=0 ;;
	nodisk) run "$name" "$bin" --hypercall --kernel $G/hypercall-test.elf
	    want_feat=$((HC_F_IDLE | (hc_host_ioeventfd ? HC_F_FAST_NOEXIT : 0)))
	    noexit=$hc_host_ioeventfd ;;
	eio) hc_disk "$disk" $HC_EIO_OFFSET
	    WARDEN_TEST_EIO_OFFSET=$HC_EIO_OFFSET LD_PRELOAD=$B/tests/fake-eio.so \
		run "$name" "$bin" --hypercall --hypercall-disk "$disk" --kernel $G/hypercall-test.elf
	    want_feat=$((HC_F_BLOCK | HC_F_IDLE | (hc_host_ioeventfd ? HC_F_FAST_NOEXIT : 0)))
	    noexit=$hc_host_ioeventfd ;;
	esac
	j=$OUT/$name.json out=$OUT/$name.out err=$OUT/$name.err
	expect_eq "$l hypercall $m: poweroff exit status" 0 "$(rc "$name")"
	expect_match "$l hypercall $m: every guest check passed" '^hypercall: all checks passed$' "$out"
	if grep -q '^hypercall: FAIL ' "$out"; then
		failed "$l hypercall $m: guest checks failed: $(grep '^hypercall: FAIL ' "$out" | head -n 5 | tr '\n' ';')"
	fi
	feat=$(sed -n 's/^hypercall: features \(0x[0-9a-f]*\)$/\1/p' "$out")
	expect_eq "$l hypercall $m: features offered (fast-noexit as KVM_CAP_IOEVENTFD says)" "$want_feat" "$((feat))"
	expect_match "$l hypercall $m: console write through the port doorbell" \
		'^hypercall: console write through the port doorbell$' "$out"
	expect_match "$l hypercall $m: console write through the fast doorbell" \
		'^hypercall: console write through the fast doorbell$' "$out"
	# Exits: one per port batch, status read and bad access; fast rings
	# only where no ioeventfd takes them.
	exits=$(( $(hc_count "$out" port_rings) + $(hc_count "$out" status_reads) + $(hc_count "$out" bad_accesses) ))
	[ "$noexit" = 1 ] || exits=$((exits + $(hc_count "$out" fast_rings)))
	expect_eq "$l hypercall $m: exits attributed to the hypercall device" "$exits" "$(json "$j" '.devices.hypercall.count')"
	expect_eq "$l hypercall $m: device work exits = exit table" "$exits" "$(json "$j" '.device_work.hypercall.exits')"
	# The fast doorbell's port: only its bad accesses exit, or every ring too.
	acc=$(hc_count "$out" fast_rings)
	[ "$acc" -ge 20 ] 2>/dev/null && pass "$l hypercall $m: $acc fast rings" || failed "$l hypercall $m: fast rings: $acc"
	[ "$noexit" = 1 ] && acc=0
	expect_eq "$l hypercall $m: exits at the fast doorbell's port ($([ "$noexit" = 1 ] && echo 'no ring reached warden' || echo 'every ring'))" \
		"$((acc + $(hc_count "$out" fast_port_bad)))" "$(json "$j" '.attribution.ports[] | select(.port=="0x544") | .count')"
	expect_eq "$l hypercall $m: doorbell rings seen (port + fast)" \
		"$(( $(hc_count "$out" port_rings) + $(hc_count "$out" fast_rings) ))" "$(json "$j" '.device_work.hypercall.notifies')"
	expect_eq "$l hypercall $m: requests answered" "$(hc_count "$out" requests)" "$(json "$j" '.device_work.hypercall.requests')"
	expect_eq "$l hypercall $m: payload bytes" "$(hc_count "$out" bytes)" "$(json "$j" '.device_work.hypercall.bytes')"
	expect_eq "$l hypercall $m: guest errors counted" "$(hc_count "$out" errors)" "$(json "$j" '.device_work.hypercall.errors')"
	acc=$(hc_count "$out" errors)
	[ "$acc" -ge 60 ] 2>/dev/null && pass "$l hypercall $m: the guest made $acc errors" || failed "$l hypercall $m: errors $acc"
	# Rate-limited: the first 5 request errors of the run, then silence.
	expect_eq "$l hypercall $m: request errors logged, rate-limited" 5 \
		"$(grep -c '^warden: guest error: hypercall: .* request [0-9]* (' "$err")"
	case $m in
	rw)
		expect_match "$l hypercall rw: idle halted the vCPU every round" '^hypercall: port: idle rounds 10 of 10,' "$out"
		# KVM counts a wake-up when the halted vCPU had to wait; a tick
		# already due when it got back into KVM_RUN (a slow exit on a
		# loaded host) ends the halt without one.  The guest's own check
		# above is the exact one.
		if [ "$(json "$j" '.kvm_stats | type')" = object ]; then
			acc=$(json "$j" '.kvm_stats.vcpus[0].halt_wakeup')
			[ "$acc" -ge 1 ] 2>/dev/null && [ "$acc" -le $HC_IDLE_ROUNDS ] &&
				pass "$l hypercall rw: KVM woke the halted vCPU at most once per IDLE, at least once ($acc)" ||
				failed "$l hypercall rw: KVM halt wake-ups $acc, not in 1..$HC_IDLE_ROUNDS"
		fi
		expect_eq "$l hypercall rw: port doorbell's block write on the disk" "$(printf 'a0%.0s' $(seq 1024))" \
			"$(hc_sectors "$disk" 100 2)"
		expect_eq "$l hypercall rw: fast doorbell's block write on the disk" "$(printf 'a1%.0s' $(seq 1024))" \
			"$(hc_sectors "$disk" 102 2)"
		expect_eq "$l hypercall rw: sector 99 untouched" "$(printf '63%.0s' $(seq 512))" "$(hc_sectors "$disk" 99 1)"
		expect_eq "$l hypercall rw: sector 105 untouched" "$(printf '69%.0s' $(seq 512))" "$(hc_sectors "$disk" 105 1)"
		expect_match "$l hypercall rw: disk size as the guest saw it" "^hypercall: disk size $((HC_SECTORS * 512)) read-write$" "$out"
		;;
	ro)
		expect_eq "$l hypercall ro: the read-only disk is unchanged" "$before" "$(md5sum <"$disk")"
		expect_match "$l hypercall ro: disk size as the guest saw it" "^hypercall: disk size $((HC_SECTORS * 512)) read-only$" "$out"
		;;
	eio)
		expect_match "$l hypercall eio: the host's failure logged" "hypercall disk: read at byte $HC_EIO_OFFSET" "$err"
		;;
	esac
	rm -f "$disk"
}

hypercall_checks() { # BIN LABEL
	local m

	for m in rw ro nodisk; do
		hypercall_run "$1" "$2" $m
	done
	# The shim is preloaded into the release build only (ASan insists on
	# coming first).
	[ "$2" = release ] && hypercall_run "$1" "$2" eio
}

hc_bad() { # NAME REGEX ARGS...
	local name=$1 re=$2 st
	shift 2
	$B/warden run --mem 16 --kernel $G/hypercall-test.elf "$@" >"$OUT/hc-bad.out" 2>"$OUT/hc-bad.err" </dev/null
	st=$?
	if [ $st -eq 2 ] && [ "$(wc -l <"$OUT/hc-bad.err")" -eq 1 ] && grep -Eq -- "$re" "$OUT/hc-bad.err"; then
		pass "hypercall bad input: $name"
	else
		failed "hypercall bad input: $name (status $st): $(head -c 300 "$OUT/hc-bad.err")"
	fi
}

hypercall_bad_input() {
	local img=$OUT/hc-bad.img

	hc_disk "$img" 0
	printf 'x%.0s' $(seq 100) >"$OUT/hc-odd.img"
	hc_bad "--hypercall-disk without --hypercall" 'needs --hypercall' --hypercall-disk "$img"
	hc_bad "--hypercall-disk with no path" 'needs a path' --hypercall --hypercall-disk ''
	hc_bad "--hypercall-disk ,ro" 'needs a path' --hypercall --hypercall-disk ,ro
	hc_bad "--hypercall-disk unknown option" "unknown option 'rw'" --hypercall --hypercall-disk "$img,rw"
	hc_bad "--hypercall-disk missing file" 'cannot open' --hypercall --hypercall-disk /nonexistent/disk.img
	hc_bad "--hypercall-disk a directory" 'not a regular file' --hypercall --hypercall-disk "$OUT"
	hc_bad "--hypercall-disk of 100 bytes" 'not a positive multiple of 512' --hypercall --hypercall-disk "$OUT/hc-odd.img"
	hc_bad "--hypercall takes no value" 'unknown option' --hypercall=on
	hc_bad "the same image for --disk and --hypercall-disk" 'in use' --disk "$img" --hypercall --hypercall-disk "$img"
	rm -f "$img" "$OUT/hc-odd.img"
}
