#!/usr/bin/env bash
# Boot benchmark: warden vs QEMU -M microvm, both as L2 inside ONE emulated L1
# machine (tests/emu/l1.sh --with-qemu; L1 has a real SVM /dev/kvm).
#
# Usage: bench/boot.sh            (from the repo root)
# Env:
#   BOOTS=3          measured boots per VMM, in rounds: each round boots every
#                    VMM once, odd rounds in the order of VMMS, even rounds in
#                    the reverse order (so no VMM always goes first)
#   WARMUP=1         unmeasured boots per VMM first (page in the VMM binaries)
#   CMDLINE=...      guest kernel command line (default below; same for both;
#                    warden puts its machine defaults, pci=off
#                    8250.nr_uarts=1 among them, before it: docs/rootdisk.md.
#                    Give them in CMDLINE to have one line for all VMMs)
#   BOOT_TIMEOUT=120 seconds before one boot is killed inside L1
#   VMMS="qemu warden qemu-vmlinux warden-bz"  which VMMs to run, from:
#                    qemu          QEMU -M microvm,rtc=on booting the bzImage (the
#                                  reference of issue 2's targets)
#                    warden        warden booting the default guest's kernel: the
#                                  uncompressed vmlinux when `make guest` extracted
#                                  one, else the bzImage
#                    qemu-vmlinux  QEMU microvm booting the same vmlinux (an ELF
#                                  with a PVH note), for a like-for-like row
#                    warden-bz     warden booting the bzImage
#                    warden-prefault  warden as "warden" with --prefault boot
#                                  (guest RAM populated on a helper thread)
#                    warden-nocoal warden as "warden" with --no-coalesced-pio
#                                  (every UART transmit and RTC index write exits)
#                    warden-split  warden as "warden" with --irqchip split (its own
#                                  IOAPIC with only the machine's pins; docs/irqchip.md)
#                    warden-split-nowin  as warden-split with --no-ioapic-window
#                                  (every IOAPIC register read exits)
#                    warden-split-prefault  as warden-split with --prefault boot
#                    warden-split-nortc  as warden-split with --no-rtc (no CMOS RTC:
#                                  the guest reads the wall clock from kvmclock)
#                    warden-split-nortc-prefault  as warden-split-nortc with
#                                  --prefault boot
#   WARDEN=path      warden binary for L1's /bin/warden (default build/warden-static)
#
# Per boot it measures, inside L1, the wall time from starting the VMM to the
# guest's "warden-guest: up" line (busybox sh $EPOCHREALTIME, microseconds),
# the time until the VMM exits, and the VM exits by reason, counted with a hist
# trigger on kvm:kvm_exit over the whole VM lifetime (boot, init, poweroff).
# A boot failed when the VMM's exit status was not 0 or the guest never
# printed its init line: it is listed, and left out of every median (time,
# phases, exits).
# Ratios: the issue's (warden's default guest, the vmlinux, against QEMU with
# the bzImage), and like for like, same kernel file under both VMMs
# (warden-bz / qemu, warden / qemu-vmlinux) when those rows ran.
# Output: host/tier/guest-kernel facts, a markdown summary and the raw
# per-boot lines, also written to build/bench/boot-<date>.md (full L1 log:
# build/bench/boot-<date>.log).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/facts.sh"
OUT="$ROOT/build/bench"
BOOTS=${BOOTS:-3}
WARMUP=${WARMUP:-1}
CMDLINE=${CMDLINE:-console=ttyS0 reboot=t panic=-1 quiet}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
VMMS=${VMMS:-qemu warden qemu-vmlinux warden-bz}

# The one table of warden rows: warden's extra flags for each (status 1 for a
# name that is no warden row). L1's script gets this function as it is.
warden_flags() {
    case $1 in
    warden|warden-bz) echo "" ;;
    warden-prefault) echo "--prefault boot" ;;
    warden-nocoal) echo "--no-coalesced-pio" ;;
    warden-split) echo "--irqchip split" ;;
    warden-split-nowin) echo "--irqchip split --no-ioapic-window" ;;
    warden-split-prefault) echo "--irqchip split --prefault boot" ;;
    warden-split-nortc) echo "--irqchip split --no-rtc" ;;
    warden-split-nortc-prefault) echo "--irqchip split --no-rtc --prefault boot" ;;
    *) return 1 ;;
    esac
}

DIED=0
die() { DIED=1; echo "bench/boot.sh: error: $*" >&2; exit 1; }
ERRAT='?'
trap 'ERRAT="line $LINENO: $BASH_COMMAND"' ERR
trap 'rc=$?; [ $rc -eq 0 ] || [ $DIED = 1 ] || echo "bench/boot.sh: error: exit $rc at $ERRAT" >&2' EXIT

[[ $BOOTS =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ && $BOOT_TIMEOUT =~ ^[1-9][0-9]*$ ]] \
    || die "BOOTS, WARMUP and BOOT_TIMEOUT must be numbers"
case $CMDLINE in *'"'*|*"'"*) die "CMDLINE must not contain quotes" ;; esac

export WARDEN=${WARDEN:-$ROOT/build/warden-static}
if [ ! -f "$WARDEN" ]; then
    # Drop every warden row (warden, warden-bz, warden-prefault, warden-nocoal), whole words.
    keep="" dropped=""
    for v in $VMMS; do case $v in warden*) dropped=1 ;; *) keep="$keep $v" ;; esac; done
    if [ -n "$dropped" ]; then
        echo "bench/boot.sh: ${WARDEN#"$ROOT"/} missing (warden not built yet): benchmarking QEMU only"
        VMMS=$keep
    fi
fi
VMMS=$(echo $VMMS)  # normalise spaces
[ -n "$VMMS" ] || die "no VMM to benchmark"
for v in $VMMS; do
    case $v in qemu|qemu-vmlinux) ;; *) warden_flags "$v" >/dev/null || die "unknown VMM '$v' in VMMS" ;; esac
done
if [[ " $VMMS " == *" qemu-vmlinux "* ]] && [ ! -s "$ROOT/build/guest/vmlinux" ]; then
    die "qemu-vmlinux needs build/guest/vmlinux (make guest)"
fi

mkdir -p "$OUT"
stamp=$(date +%Y%m%d-%H%M%S)
SCRIPT="$OUT/l1-boot-bench.sh"
LOG="$OUT/boot-$stamp.log"
REPORT="$OUT/boot-$stamp.md"

# ---- the script that runs inside L1 (busybox sh) ------------------------------
{
    cat <<EOF
BOOTS=$BOOTS
WARMUP=$WARMUP
CMDLINE='$CMDLINE'
BOOT_TIMEOUT=$BOOT_TIMEOUT
VMMS='$VMMS'
EOF
    cat <<'EOF'
# L1's own kernel messages (e.g. kvm's "Unhandled WRMSR") would interleave
# with the VMM output on the console.
echo 1 >/proc/sys/kernel/printk
EV=/sys/kernel/debug/tracing/events/kvm/kvm_exit
HIST='hist:keys=exit_reason:vals=hitcount'
[ -w $EV/trigger ] || { echo "BENCH-ERROR: no $EV/trigger"; exit 1; }
# One trigger for the whole run, emptied before each boot (":clear"). Adding
# and removing it around each boot would flip the tracepoint's jump labels
# every time: L1's kernel rewriting its own code, which under multi-threaded
# TCG now and then hangs L1 (see the VM that tests/emu/l1-init keeps open).
echo "$HIST" >$EV/trigger
# Phases of each boot, from the same trace clock: the VMM's start and the
# init line (markers written by this script), the guest's first nested page
# fault (its first instruction: no guest page is mapped yet) and its first
# write of MSR_KVM_SYSTEM_TIME_NEW (the kernel registering kvmclock, early
# in setup_arch: the decompressor and firmware are behind it).
TR=/sys/kernel/debug/tracing
echo 4096 >$TR/buffer_size_kb
echo 'write == 1 && ecx == 0x4b564d01' >$TR/events/kvm/kvm_msr/filter
echo 1 >$TR/events/kvm/kvm_msr/enable
echo 1 >$TR/events/kvm/kvm_page_fault/enable
[ -n "$EPOCHREALTIME" ] || { echo "BENCH-ERROR: sh has no \$EPOCHREALTIME"; exit 1; }

EOF
    bench_l1_facts_sh
    declare -f warden_flags
    cat <<'EOF'
# The kernel each VMM boots (warden: what its default guest would be).
kernel_of() {
	case $1 in
	qemu-vmlinux) echo /guest/vmlinux ;;
	qemu|warden-bz) echo /guest/vmlinuz ;;
	warden*) if [ -s /guest/vmlinux ]; then echo /guest/vmlinux; else echo /guest/vmlinuz; fi ;;
	esac
}
for vmm in $VMMS; do echo "BENCH-KERNEL vmm=$vmm kernel=$(kernel_of $vmm)"; done

# boot VMM N: one measured VM run; prints BENCH-BOOT and BENCH-EXIT lines
# (N=0 is a warm-up: its output is shown, its numbers are not reported).
boot() {
	vmm=$1 n=$2
	rm -f /tmp/up /tmp/fifo
	mkfifo /tmp/fifo
	echo "$HIST:clear" >>$EV/trigger  # >>: opening with O_TRUNC would drop the trigger
	case $(cat $EV/hist) in
	*"Hits: 0"*) ;;
	*) echo "BENCH-ERROR: the kvm_exit histogram did not clear"; exit 1 ;;
	esac
	echo >$TR/trace
	echo "BENCH start" >$TR/trace_marker
	t0=$EPOCHREALTIME
	# The VMM runs in its own session so that the watchdog can kill it with
	# everything it started (which could otherwise keep the console pipe open).
	kernel=$(kernel_of $vmm)
	case $vmm in
	qemu*)
		setsid qemu-system-x86_64 -enable-kvm -M microvm,rtc=on -cpu host \
			-m 256 -smp 1 -nographic -no-reboot \
			-kernel $kernel -initrd /guest/initrd.cpio.gz -append "$CMDLINE" \
			</dev/null >/tmp/fifo 2>&1 &
		;;
	warden*)
		extra=$(warden_flags $vmm)
		setsid warden run --kernel $kernel --initrd /guest/initrd.cpio.gz \
			--cmdline "$CMDLINE" --mem 256 --cpus 1 $extra </dev/null >/tmp/fifo 2>&1 &
		;;
	esac
	pid=$!
	setsid sh -c "sleep $BOOT_TIMEOUT; echo '  $vmm#$n| bench: killed after ${BOOT_TIMEOUT}s'; kill -KILL -$pid $pid" </dev/null 2>/dev/null &
	wd=$!
	while IFS= read -r line; do
		case $line in
		*"warden-guest: up "*)
			[ -e /tmp/up ] || { echo "$EPOCHREALTIME ${line##*warden-guest: up }" >/tmp/up
				echo "BENCH up" >$TR/trace_marker; } ;;
		esac
		echo "  $vmm#$n| $line"
	done </tmp/fifo
	wait $pid
	rc=$?
	t1=$EPOCHREALTIME
	cat $EV/hist >/tmp/hist.$vmm.$n
	kill -KILL -$wd $wd 2>/dev/null
	wait $wd 2>/dev/null
	if [ -e /tmp/up ]; then
		read -r tup gup </tmp/up
		init=$(awk -v a=$t0 -v b=$tup 'BEGIN{printf "%.4f", b-a}')
	else
		init=NA gup=NA
	fi
	total=$(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.4f", b-a}')
	exits=$(awk '/^ *Hits:/{print $2}' /tmp/hist.$vmm.$n)
	phases=$(awk '
		{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+[.][0-9]+:$/) { ts = substr($i, 1, length($i) - 1); break } }
		/tracing_mark_write: BENCH start/ { s = ts }
		/ kvm_page_fault: / && s != "" && f == "" { f = ts }
		/ kvm_msr: / && s != "" && k == "" { k = ts }
		/tracing_mark_write: BENCH up/ { u = ts }
		function d(a, b) { return (a == "" || b == "") ? "NA" : sprintf("%.4f", b - a) }
		END { printf "setup_s=%s early_s=%s kernel_s=%s", d(s, f), d(f, k), d(k, u) }' $TR/trace)
	[ "$n" = 0 ] && tag=BENCH-WARMUP || tag=BENCH-BOOT
	echo "$tag vmm=$vmm n=$n init_s=$init total_s=$total guest_uptime_s=$gup rc=$rc exits=${exits:-NA} $phases"
	[ "$n" = 0 ] && return 0
	# { exit_reason:        124 } hitcount:       5033
	awk -v vmm=$vmm -v n=$n '/^[{] exit_reason:/ {
		sub(/.*exit_reason: */, ""); r=$1; sub(/.*hitcount: */, ""); c=$1;
		print "BENCH-EXIT vmm=" vmm " n=" n " reason=" r " count=" c }' /tmp/hist.$vmm.$n
}

for vmm in $VMMS; do
	i=1
	while [ $i -le $WARMUP ]; do boot $vmm 0; i=$((i + 1)); done
done
# Odd rounds in the order of VMMS, even rounds reversed.
REVERSED=
for vmm in $VMMS; do REVERSED="$vmm $REVERSED"; done
i=1
while [ $i -le $BOOTS ]; do
	if [ $((i % 2)) = 1 ]; then order=$VMMS; else order=$REVERSED; fi
	echo "BENCH-ROUND n=$i order=$(echo $order | tr ' ' ,)"
	for vmm in $order; do boot $vmm $i; done
	i=$((i + 1))
done
echo "!$HIST" >$EV/trigger
echo 0 >$TR/events/kvm/kvm_msr/enable
echo 0 >$TR/events/kvm/kvm_page_fault/enable
echo 0 >$TR/events/kvm/kvm_msr/filter
echo "BENCH-RAWHIST (last boot of each VMM):"
for vmm in $VMMS; do
	sed "s/^/  $vmm-hist| /" /tmp/hist.$vmm.$BOOTS
done
EOF
} >"$SCRIPT"

nv=$(wc -w <<<"$VMMS")
l1_timeout=$(( (BOOTS + WARMUP) * nv * (BOOT_TIMEOUT + 10) + 300 ))
echo "bench/boot.sh: $VMMS, $BOOTS boots each (+$WARMUP warm-up), cmdline '$CMDLINE'; log $LOG"
bench_facts emu
set +e
bash "$ROOT/tests/emu/l1.sh" --with-qemu --timeout "$l1_timeout" "$SCRIPT" 2>&1 | tee "$LOG"
l1rc=${PIPESTATUS[0]}
set -e
[ "$l1rc" = 0 ] || die "L1 run failed (tests/emu/l1.sh exit $l1rc), see $LOG"
grep -q '^BENCH-BOOT ' "$LOG" || die "no BENCH-BOOT lines in $LOG"

# ---- summary -------------------------------------------------------------------
# SVM exit codes (arch/x86/include/uapi/asm/svm.h): L1 runs kvm-amd, and the
# hist trigger prints exit_reason as a number.
summary() {
    awk -v boots="$BOOTS" -v vmms="$VMMS" '
    BEGIN {
        nt = split("READ_CR0 0x0 READ_CR2 0x2 READ_CR3 0x3 READ_CR4 0x4 READ_CR8 0x8 WRITE_CR0 0x10 WRITE_CR2 0x12 WRITE_CR3 0x13 WRITE_CR4 0x14 WRITE_CR8 0x18 " \
              "INTR 0x60 NMI 0x61 SMI 0x62 INIT 0x63 VINTR 0x64 CR0_SEL_WRITE 0x65 IDTR_READ 0x66 GDTR_READ 0x67 LDTR_READ 0x68 TR_READ 0x69 " \
              "IDTR_WRITE 0x6a GDTR_WRITE 0x6b LDTR_WRITE 0x6c TR_WRITE 0x6d RDTSC 0x6e RDPMC 0x6f PUSHF 0x70 POPF 0x71 CPUID 0x72 RSM 0x73 " \
              "IRET 0x74 SWINT 0x75 INVD 0x76 PAUSE 0x77 HLT 0x78 INVLPG 0x79 INVLPGA 0x7a IOIO 0x7b MSR 0x7c TASK_SWITCH 0x7d FERR_FREEZE 0x7e " \
              "SHUTDOWN 0x7f VMRUN 0x80 VMMCALL 0x81 VMLOAD 0x82 VMSAVE 0x83 STGI 0x84 CLGI 0x85 SKINIT 0x86 RDTSCP 0x87 ICEBP 0x88 WBINVD 0x89 " \
              "MONITOR 0x8a MWAIT 0x8b MWAIT_COND 0x8c XSETBV 0x8d RDPRU 0x8e EFER_WRITE_TRAP 0x8f CR0_WRITE_TRAP 0x90 CR4_WRITE_TRAP 0x94 " \
              "CR8_WRITE_TRAP 0x98 INVPCID 0xa2 NPF 0x400 AVIC_INCOMPLETE_IPI 0x401 AVIC_UNACCELERATED_ACCESS 0x402 VMGEXIT 0x403", t, " ")
        for (i = 1; i < nt; i += 2) name[hex(t[i+1])] = t[i]
        for (d = 0; d < 8; d++) { name[32 + d] = "READ_DR" d; name[48 + d] = "WRITE_DR" d }
        nx = split("DE DB NMI BP OF BR UD NM DF 09 TS NP SS GP PF 15 MF AC MC XM VE CP", x, " ")
        for (i = 1; i <= 32; i++) name[63 + i] = "EXCP_" ((i <= nx) ? x[i] : i - 1)
        name[4294967295] = "ERR"; name[-1] = "ERR"
        nv = split(vmms, order, " ")
        split("setup_s early_s kernel_s", ph, " ")
    }
    function hex(s,    i, v) {
        s = tolower(s); sub(/^0x/, "", s); v = 0
        for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return v
    }
    function median(list,    a, n, i, j, tmp) {
        n = split(list, a, " ")
        if (n == 0) return "NA"
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { tmp = a[j]; a[j] = a[j-1]; a[j-1] = tmp }
        return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
    }
    function f3(x) { return x == "NA" ? x : sprintf("%.3f", x) }
    function kv(s, k,    m) { return match(s, " " k "=[^ ]*") ? substr(s, RSTART + length(k) + 2, RLENGTH - length(k) - 2) : "" }
    { sub(/\r$/, "") }
    /^BENCH-BOOT / {
        v = kv($0, "vmm"); b = kv($0, "n"); raw[v] = raw[v] $0 "\n"; nb[v]++
        # A failed boot (VMM status not 0, or no init line) enters no median.
        if (kv($0, "rc") != "0" || kv($0, "init_s") == "NA" || kv($0, "exits") == "NA") { failed[v]++; next }
        good[v, b] = 1; ok[v]++
        init[v] = init[v] " " kv($0, "init_s")
        total[v] = total[v] " " kv($0, "total_s"); ex[v] = ex[v] " " kv($0, "exits")
        if (kv($0, "guest_uptime_s") != "NA") gup[v] = gup[v] " " kv($0, "guest_uptime_s")
        for (p = 1; p <= 3; p++) if (kv($0, ph[p]) != "" && kv($0, ph[p]) != "NA") phase[v, p] = phase[v, p] " " kv($0, ph[p])
    }
    /^BENCH-KERNEL / { kern[kv($0, "vmm")] = kv($0, "kernel") }
    /^BENCH-EXIT / {
        v = kv($0, "vmm"); b = kv($0, "n"); if (!((v, b) in good)) next
        r = kv($0, "reason") + 0; cnt[v, r, b] = kv($0, "count"); seen[r] = 1
    }
    END {
        print "| VMM (kernel) | boots ok (failed, left out) | median VMM start -> init line (s) | median guest uptime at init (s) | median VMM run (s) | median VM exits | top exit reasons (median count) |"
        print "|---|---|---|---|---|---|---|"
        for (o = 1; o <= nv; o++) {
            v = order[o]; if (!(v in nb)) continue
            # per-reason medians over the boots that succeeded (a reason
            # missing from such a boot counts 0)
            delete med; nr = 0
            for (r in seen) {
                l = ""
                for (b = 1; b <= boots; b++) if ((v, b) in good) l = l " " (((v, r, b) in cnt) ? cnt[v, r, b] : 0)
                m = median(l); if (m > 0) { med[r] = m; allmed[v, r] = m }
            }
            top = ""
            for (k = 0; k < 5; k++) {
                best = ""; for (r in med) if (best == "" || med[r] > med[best]) best = r
                if (best == "") break
                top = top (top == "" ? "" : ", ") (best in name ? name[best] : "reason " best) " " med[best]
                delete med[best]
            }
            printf "| %s (%s) | %d (%d) | %s | %s | %s | %s | %s |\n", v, kern[v], ok[v], failed[v], f3(median(init[v])), median(gup[v]), f3(median(total[v])), median(ex[v]), top
        }
        print ""
        print "Where the time to the init line goes (medians, trace clock in L1): set-up = VMM start to the first guest"
        print "instruction (its first nested page fault); pre-kernel = from there to the kernel registering kvmclock"
        print "(firmware, decompressor, the first steps of the kernel); kernel + init = from there to the init line."
        print ""
        print "| VMM | set-up (s) | pre-kernel (s) | kernel + init (s) |"
        print "|---|---|---|---|"
        for (o = 1; o <= nv; o++) {
            v = order[o]; if (!(v in nb)) continue
            printf "| %s (%s) | %s | %s | %s |\n", v, kern[v], f3(median(phase[v, 1])), f3(median(phase[v, 2])), f3(median(phase[v, 3]))
        }
        print ""
        # Ratios against QEMU microvm with the bzImage, the reference of the
        # targets, then like for like (the same kernel file under both).
        if (ok["qemu"] > 0)
            for (o = 1; o <= nv; o++) {
                v = order[o]; if (v == "qemu" || !(ok[v] > 0)) continue
                printf "ratio %s (%s) / qemu (%s): start -> init line %.2fx, VM exits %.2fx%s\n", v, kern[v], kern["qemu"],
                    median(init[v]) / median(init["qemu"]), median(ex[v]) / median(ex["qemu"]),
                    (kern[v] == kern["qemu"]) ? " (same kernel)" : " (different kernel files)"
            }
        if (ok["qemu-vmlinux"] > 0)
            for (o = 1; o <= nv; o++) {
                v = order[o]; if (v !~ /^warden/ || !(ok[v] > 0) || kern[v] != kern["qemu-vmlinux"]) continue
                printf "ratio %s (%s) / qemu-vmlinux (%s): start -> init line %.2fx, VM exits %.2fx (same kernel)\n", v, kern[v], kern["qemu-vmlinux"],
                    median(init[v]) / median(init["qemu-vmlinux"]), median(ex[v]) / median(ex["qemu-vmlinux"])
            }
        print ""
        hdr = "| exit reason (code) |"; sep = "|---|"
        for (o = 1; o <= nv; o++) if (order[o] in nb) { hdr = hdr " " order[o] " (median) |"; sep = sep "---|" }
        print hdr; print sep
        # rows sorted by the first VMM column, descending
        n = 0; for (r in seen) rows[++n] = r
        for (i = 2; i <= n; i++) for (j = i; j > 1 && allmed[order[1], rows[j-1]] + 0 < allmed[order[1], rows[j]] + 0; j--) { tmp = rows[j]; rows[j] = rows[j-1]; rows[j-1] = tmp }
        for (i = 1; i <= n; i++) {
            r = rows[i]; line = sprintf("| %s (%d) |", (r in name ? name[r] : "?"), r)
            for (o = 1; o <= nv; o++) if (order[o] in nb) line = line " " (allmed[order[o], r] + 0) " |"
            print line
        }
        print ""
        print "Raw per-boot lines:"
        print "```"
        for (o = 1; o <= nv; o++) printf "%s", raw[order[o]]
        print "```"
    }' "$LOG"
}

{
    echo "### Boot benchmark ($(date -u +%Y-%m-%dT%H:%MZ), emulated AMD-V tier, guest kernel $(bench_guest_kernel), L2 256 MiB / 1 vCPU, cmdline \`$CMDLINE\`)"
    echo
    echo "Command: \`BOOTS=$BOOTS WARMUP=$WARMUP VMMS=\"$VMMS\" CMDLINE=\"$CMDLINE\" bash bench/boot.sh\`"
    echo
    bench_facts emu | sed 's/^/    /'
    tr -d '\r' <"$LOG" | grep -E '^(fact: L1|BENCH-ROUND )' | sed 's/^/    /' || true
    echo
    summary
} >"$REPORT"
echo
cat "$REPORT"
echo "bench/boot.sh: report written to ${REPORT#"$ROOT"/}"
