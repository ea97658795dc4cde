#!/usr/bin/env bash
# The public kvm-unit-tests x86 suite under warden and under QEMU, both as L2
# inside ONE emulated AMD-V L1 (tests/emu/l1.sh --with-qemu; L1 has a real
# SVM /dev/kvm), entry by entry as the suite's x86/unittests.cfg lists them.
#
# Usage: KUT_DIR=/path/to/kvm-unit-tests bash bench/kvm-unit-tests.sh
#   KUT_DIR must hold an already configured and built x86_64 suite
#   (x86/unittests.cfg and x86/*.flat). This script never fetches or builds
#   it; docs/benchmarks.md says how it was obtained.
# Env:
#   ENTRIES="a b ..."   only these entries of unittests.cfg (default: all)
#   VMMS="warden qemu"  which VMMs; each entry runs under each, alternating
#                       which goes first (odd entries in this order, even
#                       entries reversed)
#   ENTRY_TIMEOUT=60    seconds before one run is killed inside L1 (TIMEOUT);
#                       the suite's own per-entry timeouts (90 s default) are
#                       for hardware, not for a nested guest under TCG, so
#                       one figure is used for all and the report names it
#   RUN_NODEFAULT=0     1: also run entries in the suite's "nodefault" group
#                       (its runner skips them unless asked)
#   WARDEN=path         warden binary for L1 (default build/warden-static)
#   L1_MEM=6144         L1's RAM in MiB (tests/emu/l1.sh --mem): the svm
#                       entries give their L2 4 GiB, and warden refuses a
#                       --mem above its host's RAM
#   DRY_RUN=1           print what would run (and what not, and why); no L1
#   REPORT_FROM=LOG     no L1: the report from the log of an earlier run
#                       (build/bench/kvm-unit-tests-<date>.log), with the
#                       same ENTRIES, VMMS and VMEXIT_VMMS
#   VMEXIT_RUNS=0       after the entries, run the suite's vmexit test this
#                       many more times under each VMM (alternating order),
#                       1 vCPU, with the cases VMEXIT_CASES (default
#                       "inl_from_qemu outl_to_kernel inl_from_kernel cpuid"):
#                       medians of the guest's cycles per iteration. Its
#                       inl_from_qemu is `inl` from port 0x1234, which no
#                       device of either VMM claims: the round trip through
#                       the VMM's user space.
#   WARDEN_EXTRA=""     more options for every warden run (e.g. "--seccomp
#                       off", to see what the vCPU thread's filter costs);
#                       named in the report's facts
#   VMEXIT_VMMS="warden qemu bare"  the VMMs of those runs: also "bare",
#                       bench/bare_mb.c, the floor: warden's set-up code
#                       and a bare KVM_RUN loop (no dispatch path, no
#                       accounting), built here as a static binary
#
# Per entry, as the suite's own runner (scripts/runtime.bash, arch-run.bash)
# would run it:
#   warden run --kernel X.flat --test-exit-port 0xf4 --test-device
#              --cpus SMP --mem M --cmdline "TEST_ARGS"
#              (M: the entry's -m, else 128, QEMU's default; --test-device:
#              pc-testdev's ports, which the suite's runner gives QEMU)
#              [--hyperv]          where QEMU_PARAMS has hv_* (hv_passthrough)
#              [--hyperv-testdev]  where QEMU_PARAMS has -device hyperv-testdev
#              [--acpi-s3]         for the s3 entry (QEMU's pc machine has S3
#                                  by default; warden's platform only when asked)
#              [--intel-iommu]     where QEMU_PARAMS has -device intel-iommu
#                                  (intremap=on,eim=off: what warden's is)
#              [--edu]             where QEMU_PARAMS has -device edu; for these
#                                  two, no --test-device (warden refuses it next
#                                  to them: its page flush and their DMA)
#   qemu-system-x86_64 -enable-kvm -machine pc,accel=kvm --no-reboot
#       -nodefaults -global kvm-pit.lost_tick_policy=discard
#       -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4
#       -display none -serial stdio -device pci-testdev
#       -kernel X.flat -smp SMP -append "TEST_ARGS" QEMU_PARAMS
# The suite's environment initrd (-initrd with errata lines) is passed to
# neither. Result, from the VMM's exit status as the suite reads it:
# 1 PASS, 77 SKIP, killed after ENTRY_TIMEOUT TIMEOUT, anything else FAIL
# (with the status); VMM-ERROR where status 1 came from the VMM itself
# (QEMU: anything but warnings on stderr, as the suite's runner reads it;
# warden: its exit table does not name the test-exit port as the end). An entry whose qemu_params ask for something warden has
# no option for (-cpu models and flags, -machine properties, devices) still
# runs under warden (its CPUID is what KVM supports, like -cpu host), and its
# row names those options in "QEMU-only options". Entries not run say why:
# arch (i386 entries are not in an x86_64 build), not built, nodefault, or a
# failed `check` (evaluated inside L1, as the suite does on its host).
# Output: facts, one line per entry (KUT-ROW) and a markdown table, also in
# build/bench/kvm-unit-tests-<date>.md (full L1 log: ...-<date>.log).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/bench/facts.sh"
OUT="$ROOT/build/bench"
VMMS=${VMMS:-warden qemu}
ENTRY_TIMEOUT=${ENTRY_TIMEOUT:-60}
RUN_NODEFAULT=${RUN_NODEFAULT:-0}
VMEXIT_RUNS=${VMEXIT_RUNS:-0}
VMEXIT_CASES=${VMEXIT_CASES:-inl_from_qemu outl_to_kernel inl_from_kernel cpuid}
VMEXIT_VMMS=${VMEXIT_VMMS:-warden qemu bare}
L1_MEM=${L1_MEM:-6144}
WARDEN_EXTRA=${WARDEN_EXTRA:-}

usage_err() { echo "bench/kvm-unit-tests.sh: $*" >&2; exit 2; }
die() { echo "bench/kvm-unit-tests.sh: error: $*" >&2; exit 1; }

[ -n "${KUT_DIR:-}" ] || usage_err "set KUT_DIR to a built kvm-unit-tests tree (x86_64)"
[ -f "$KUT_DIR/x86/unittests.cfg" ] || usage_err "no x86/unittests.cfg in KUT_DIR=$KUT_DIR"
ls "$KUT_DIR"/x86/*.flat >/dev/null 2>&1 || usage_err "no x86/*.flat in KUT_DIR=$KUT_DIR (build the suite first)"
[[ $ENTRY_TIMEOUT =~ ^[1-9][0-9]*$ ]] || usage_err "ENTRY_TIMEOUT must be a number of seconds"
[[ $RUN_NODEFAULT =~ ^[01]$ ]] || usage_err "RUN_NODEFAULT must be 0 or 1"
[[ $VMEXIT_RUNS =~ ^[0-9]+$ ]] || usage_err "VMEXIT_RUNS must be a number"
[[ $L1_MEM =~ ^[1-9][0-9]*$ ]] || usage_err "L1_MEM must be a number of MiB"
[[ $VMEXIT_CASES =~ ^[a-z0-9_\ -]+$ ]] || usage_err "VMEXIT_CASES: names of the vmexit test's cases, separated by spaces"
[[ $WARDEN_EXTRA =~ ^[a-z0-9=,\ -]*$ ]] || usage_err "WARDEN_EXTRA: warden options (letters, digits, '-', '=', ',' and spaces)"
VMMS=$(echo $VMMS)
[ -n "$VMMS" ] || usage_err "VMMS is empty"
for v in $VMMS; do case $v in warden|qemu) ;; *) usage_err "unknown VMM '$v' in VMMS (warden, qemu)" ;; esac; done
VMEXIT_VMMS=$(echo $VMEXIT_VMMS)
for v in $VMEXIT_VMMS; do case $v in warden|qemu|bare) ;; *) usage_err "unknown VMM '$v' in VMEXIT_VMMS (warden, qemu, bare)" ;; esac; done
export WARDEN=${WARDEN:-$ROOT/build/warden-static}
if [[ " $VMMS " == *" warden "* ]] && [ ! -f "$WARDEN" ]; then
    make -C "$ROOT" --no-print-directory static >/dev/null || die "make static failed"
fi

# ---- the entries: unittests.cfg as records ------------------------------------
# One line per entry, fields separated by US (0x1f; not a tab: read would
# merge empty fields): name file smp test_args qemu_params arch groups check
# timeout. (Newer trees spell qemu_params extra_params.)
parse_cfg() {
    awk '
    function flush() {
        if (name != "") printf "%s\037%s\037%s\037%s\037%s\037%s\037%s\037%s\037%s\n", name, f["file"], f["smp"], f["test_args"], f["qemu_params"], f["arch"], f["groups"], f["check"], f["timeout"]
        name = ""; delete f
    }
    /^[ \t]*#/ { next }
    /^\[.*\]/ { flush(); name = $0; gsub(/^\[|\].*$/, "", name); next }
    /^[a-z_]+[ \t]*=/ {
        k = $0; sub(/[ \t]*=.*/, "", k); v = $0; sub(/^[^=]*=[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
        if (k == "extra_params") k = "qemu_params"
        if ((v ~ /^".*"$/) || (v ~ /^\047.*\047$/)) v = substr(v, 2, length(v) - 2)
        gsub(/\t/, " ", v); f[k] = v
    }
    END { flush() }' "$KUT_DIR/x86/unittests.cfg"
}

mkdir -p "$OUT"
stamp=$(date +%Y%m%d-%H%M%S)
STAGE="$OUT/kut-$stamp"   # one per run: runs never share their files
rm -rf "$STAGE"
mkdir -p "$STAGE/flat" "$STAGE/fw"
SCRIPT="$STAGE/l1-kut.sh"
LOG="$OUT/kvm-unit-tests-$stamp.log"
REPORT="$OUT/kvm-unit-tests-$stamp.md"
if [ -n "${REPORT_FROM:-}" ]; then
    [ -f "$REPORT_FROM" ] || usage_err "REPORT_FROM: no file $REPORT_FROM"
    LOG=$REPORT_FROM
fi

ALL=$(parse_cfg)
[ -n "$ALL" ] || die "no entries parsed from $KUT_DIR/x86/unittests.cfg"
if [ -n "${ENTRIES:-}" ]; then
    for e in $ENTRIES; do
        cut -d$'\037' -f1 <<<"$ALL" | grep -qxF -- "$e" || usage_err "no entry '$e' in unittests.cfg"
    done
fi

# Decide per entry what runs; plan lines for L1 (shell-quoted by %q-free
# means: fields must not contain single quotes, checked here).
PLAN="$STAGE/plan"
: >"$PLAN"
NOTRUN="$STAGE/notrun"
: >"$NOTRUN"
mem_mib() { # QEMU -m value -> MiB
    local v=${1%%,*}
    case $v in
    *[gG]) echo $(( ${v%[gG]} * 1024 )) ;;
    *[mM]) echo "${v%[mM]}" ;;
    *) echo "$v" ;;
    esac
}
while IFS=$'\037' read -r name file smp args qparams arch groups check tmo; do
    if [ -n "${ENTRIES:-}" ] && [[ " $ENTRIES " != *" $name "* ]]; then continue; fi
    smp=${smp:-1}
    if [ -n "$arch" ] && [ "$arch" != x86_64 ]; then
        printf '%s\tnot run: arch %s only (this is an x86_64 build)\n' "$name" "$arch" >>"$NOTRUN"; continue
    fi
    if [ ! -f "$KUT_DIR/x86/$file" ]; then
        printf '%s\tnot run: x86/%s not built\n' "$name" "$file" >>"$NOTRUN"; continue
    fi
    if [[ " $groups " == *" nodefault "* ]] && [ "$RUN_NODEFAULT" = 0 ]; then
        printf '%s\tnot run: group nodefault (the suite runs it only when asked)\n' "$name" >>"$NOTRUN"; continue
    fi
    # The suite evaluates test_args and qemu_params with eval; the one
    # command substitution the x86 file uses is `date +%s`.
    case "$args$qparams" in
    *'`'*|*'$('*)
        args=$(eval "echo $args"); qparams=$(eval "echo $qparams") ;;
    esac
    case "$name$args$qparams$check" in *"'"*|*'|'*) die "entry $name: a quote or | in its fields" ;; esac
    # What warden takes from qemu_params: -m (RAM). -enable-kvm is implied.
    mem=128 wonly=""
    set -f
    # shellcheck disable=SC2086
    set -- $qparams
    set +f
    while [ $# -gt 0 ]; do
        case $1 in
        -m) mem=$(mem_mib "${2:-128}"); shift 2 || shift ;;
        -enable-kvm) shift ;;
        # warden's --hyperv (-cpu host is warden's CPUID anyway) and
        # --hyperv-testdev, given by run() below from the same qemu_params.
        -cpu) if [ "${2:-}" = host,hv_passthrough ]; then shift 2; else wonly="$wonly $1 ${2:-}"; shift 2 || shift; fi ;;
        # (and --intel-iommu, --edu: QEMU's intel-iommu with the options
        # warden's has, and edu)
        -device) case ${2:-} in hyperv-testdev|edu|intel-iommu|intel-iommu,intremap=on,eim=off) shift 2 ;;
                 *) wonly="$wonly $1 ${2:-}"; shift 2 || shift ;; esac ;;
        -*) if [ $# -ge 2 ] && [[ $2 != -* ]]; then wonly="$wonly $1 $2"; shift 2; else wonly="$wonly $1"; shift; fi ;;
        *) wonly="$wonly $1"; shift ;;
        esac
    done
    [[ $mem =~ ^[0-9]+$ ]] || die "entry $name: cannot read -m from '$qparams'"
    cp -n "$KUT_DIR/x86/$file" "$STAGE/flat/"
    printf '%s|%s|%s|%s|%s|%s|%s\n' "$name" "$file" "$smp" "$mem" "$args" "$qparams" "$check" >>"$PLAN"
    printf '%s\t%s\n' "$name" "${wonly# }" >"$STAGE/wonly.$name"
done <<<"$ALL"
NRUN=$(wc -l <"$PLAN")
if [ "$VMEXIT_RUNS" -gt 0 ]; then
    [ -f "$KUT_DIR/x86/vmexit.flat" ] || usage_err "VMEXIT_RUNS needs x86/vmexit.flat in KUT_DIR"
    cp -n "$KUT_DIR/x86/vmexit.flat" "$STAGE/flat/"
    for n in $(seq 1 "$VMEXIT_RUNS"); do
        printf 'vmexit-rt#%s|vmexit.flat|1|128|%s|||%s\n' "$n" "$VMEXIT_CASES" "$VMEXIT_VMMS" >>"$PLAN"
    done
fi
mkdir -p "$STAGE/bin"
if [ "$VMEXIT_RUNS" -gt 0 ] && [[ " $VMEXIT_VMMS " == *" bare "* ]]; then
    # Linked against the static build's own objects (make static: built
    # without the API server, with the lab's guest blobs), as an archive,
    # so it takes only the set-up code it calls.
    (cd "$ROOT" && make --no-print-directory static >/dev/null &&
        rm -f "$STAGE/libwarden-static.a" &&
        ar rcs "$STAGE/libwarden-static.a" $(find build/static/obj -name '*.o' ! -name main.o | sort) &&
        gcc -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -DWARDEN_NO_API -Isrc -Iinclude -static \
        -o "$STAGE/bin/bare_mb" bench/bare_mb.c "$STAGE/libwarden-static.a" \
        -ljson-c -luring -lseccomp -lpthread -lm 2>"$STAGE/bare_mb.log") \
        || { cat "$STAGE/bare_mb.log" >&2; die "cannot build bench/bare_mb.c"; }
fi
NNOT=$(wc -l <"$NOTRUN")
[ "$NRUN" -gt 0 ] || die "no entry to run"

if [ "${DRY_RUN:-0}" = 1 ]; then
    echo "would run ($NRUN):"; sed 's/^/  /' "$PLAN"
    echo "not run ($NNOT):"; sed 's/^/  /' "$NOTRUN"
    rm -rf "$STAGE"
    exit 0
fi

# Firmware QEMU's pc machine needs in L1 (l1.sh brings only microvm's):
# SeaBIOS, the multiboot and linuxboot option ROMs, kvmvapic.
fwdirs="/usr/share/qemu /usr/share/seabios"
for f in bios-256k.bin multiboot_dma.bin multiboot.bin linuxboot_dma.bin kvmvapic.bin; do
    for d in $fwdirs; do
        if [ -e "$d/$f" ]; then cp -L "$d/$f" "$STAGE/fw/"; break; fi
    done
done
if [[ " $VMMS " == *" qemu "* ]]; then
    [ -e "$STAGE/fw/bios-256k.bin" ] || die "no bios-256k.bin (package seabios) for QEMU's pc machine"
fi

# ---- the script that runs inside L1 (busybox sh) ------------------------------
{
    cat <<EOF
VMMS='$VMMS'
T=$ENTRY_TIMEOUT
VMEXIT_RUNS=$VMEXIT_RUNS
VMEXIT_CASES='$VMEXIT_CASES'
WARDEN_EXTRA='$WARDEN_EXTRA'
EOF
    bench_l1_facts_sh
    cat <<'EOF'
echo 1 >/proc/sys/kernel/printk
F=/extra/flat
# A warden from before --test-device (2026-12-02) runs without it.
WARDEN_DEV=
if warden --help 2>&1 | grep -q -e '--test-device'; then WARDEN_DEV=--test-device; fi
echo "KUT-WARDEN-OPTS ${WARDEN_DEV:-(none)}${WARDEN_EXTRA:+ $WARDEN_EXTRA}"
# Hyper-V (2026-12-02): --hyperv where an entry's qemu_params ask for hv_*
# enlightenments, --hyperv-testdev where they add QEMU's hyperv-testdev.
WARDEN_HV=
if warden --help 2>&1 | grep -q -e '--hyperv-testdev'; then WARDEN_HV=1; fi
hv_opts() {
	[ -n "$WARDEN_HV" ] || return 0
	case " $1 " in *hv_*) printf ' --hyperv' ;; esac
	case " $1 " in *hyperv-testdev*) printf ' --hyperv-testdev' ;; esac
}
# S3 (2026-12-02): the s3 entry suspends and resumes through the FACS and
# the PM1a blocks, which warden's platform has only with --acpi-s3.
WARDEN_S3=
if warden --help 2>&1 | grep -q -e '--acpi-s3'; then WARDEN_S3=1; fi
s3_opts() {
	[ -n "$WARDEN_S3" ] || return 0
	case $1 in s3) printf ' --acpi-s3' ;; esac
}
# VT-d (2026-12-02): --intel-iommu and --edu where an entry's qemu_params
# add QEMU's intel-iommu and edu devices (intel_iommu); warden refuses
# --test-device next to them, and the test does not use pc-testdev.
WARDEN_IOMMU=
if warden --help 2>&1 | grep -q -e '--intel-iommu'; then WARDEN_IOMMU=1; fi
iommu_opts() {
	[ -n "$WARDEN_IOMMU" ] || return 0
	case " $1 " in *" -device intel-iommu"*) printf ' --intel-iommu' ;; esac
	case " $1 " in *" -device edu "*) printf ' --edu' ;; esac
}
# run VMM NAME FILE SMP MEM ARGS QPARAMS: one run, one KUT-RUN line.
run() {
	vmm=$1 name=$2 file=$3 smp=$4 mem=$5 args=$6 qp=$7
	rm -f /tmp/out /tmp/err /tmp/killed
	t0=$EPOCHREALTIME
	case $vmm in
	warden)
		# shellcheck disable=SC2046
		io=$(iommu_opts "$qp") dev=$WARDEN_DEV
		[ -z "$io" ] || dev=
		# (the options this entry got where they are not the usual ones)
		wo="$dev$(hv_opts "$qp")$(s3_opts "$name")$io"
		[ "$wo" = "$WARDEN_DEV" ] || echo "KUT-WARDEN-ENTRY|$name|${wo# }"
		setsid warden run --kernel $F/$file --test-exit-port 0xf4 $dev $WARDEN_EXTRA $(hv_opts "$qp")$(s3_opts "$name")$io --cpus $smp \
			--mem $mem --cmdline "$args" </dev/null >/tmp/out 2>/tmp/err &
		;;
	bare)
		# shellcheck disable=SC2086
		setsid /extra/bin/bare_mb $F/$file $args </dev/null >/tmp/out 2>/tmp/err &
		;;
	qemu)
		# shellcheck disable=SC2086
		setsid qemu-system-x86_64 -L /extra/fw -enable-kvm -machine pc,accel=kvm \
			--no-reboot -nodefaults -global kvm-pit.lost_tick_policy=discard \
			-device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 \
			-display none -serial stdio -device pci-testdev \
			-kernel $F/$file -smp $smp -append "$args" $qp </dev/null >/tmp/out 2>/tmp/err &
		;;
	esac
	pid=$!
	setsid sh -c "sleep $T; touch /tmp/killed; kill -KILL -$pid $pid" </dev/null >/dev/null 2>&1 &
	wd=$!
	wait $pid
	rc=$?
	t1=$EPOCHREALTIME
	kill -KILL -$wd $wd 2>/dev/null
	wait $wd 2>/dev/null
	if [ -e /tmp/killed ]; then res=TIMEOUT
	elif [ $rc = 1 ] && ! vmm_failed $vmm; then res=PASS
	elif [ $rc = 1 ]; then res=VMM-ERROR
	elif [ $rc = 77 ]; then res=SKIP
	else res=FAIL; fi
	summ=$(tr -d '\r' </tmp/out | grep -m1 '^SUMMARY:' | tr -d "|'" )
	[ $res != VMM-ERROR ] || summ=$(tr -d '\r' </tmp/err | grep -v '^$' | grep -vi warning | head -n 1 | tr -d "|'" | cut -c1-160)
	secs=$(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.1f", b-a}')
	echo "KUT-RUN|$name|$vmm|$res|$rc|$secs|$summ"
	# What the test said where it did not pass: its failures and its end.
	if [ $res != PASS ]; then
		# (awk, not sed: a last line without its newline must not swallow
		# the next KUT-RUN line)
		tr -d '\r' </tmp/out | grep -E 'FAIL|[Ee]rror|unexpected|Unhandled|exception|SKIP' | head -n 25 | awk -v p="  $name/$vmm| " '{ print p $0 }'
		tr -d '\r' </tmp/out | tail -n 6 | awk -v p="  $name/$vmm| (tail) " '{ print p $0 }'
		tr -d '\r' </tmp/err | grep -v '^ \|^warden: [0-9]* VM exits\|^  ' | head -n 6 | awk -v p="  $name/$vmm| (stderr) " '{ print p $0 }' 
	fi
	# The vmexit test's figures, whatever the status; for warden also its
	# exit table's port-I/O row (count, mean us, p50 us, decode, emulate,
	# return us: its own handling of each exit, on L1's clock).
	case $file in vmexit.flat)
		tr -d '\r' </tmp/out | grep -E '^[a-z_0-9-]+ [0-9]+$' | sed "s/^/KUT-VMEXIT|$name|$vmm|/"
		[ $vmm != warden ] || tr -d '\r' </tmp/err | awk -v n="$name" '$1 == "io" && NF >= 12 { print "KUT-WSTATS|" n "|" $2 "|" $5 "|" $6 "|" $(NF-2) "|" $(NF-1) "|" $NF; exit }' ;;
	esac
}
# Status 1 is also how each VMM reports its own failure; told apart as the
# suite's runner does for QEMU (anything on stderr but warnings), and for
# warden by its exit table naming the test-exit port as the VM's end.
vmm_failed() {
	case $1 in
	qemu) tr -d '\r' </tmp/err | grep -v '^$' | grep -qvi warning ;;
	warden) ! grep -q 'ended by test-exit' /tmp/err ;;
	bare) grep -q '^bare_mb:' /tmp/err ;;
	esac
}
check_ok() { # the suite's check=path=value list
	for c in $1; do
		p=${c%%=*} v=${c#*=}
		if [ ! -f "$p" ] || [ "$(cat "$p")" != "$v" ]; then echo "$p not equal to $v"; return 1; fi
	done
	return 0
}
i=0
while IFS='|' read -r name file smp mem args qp check vmms; do
	i=$((i + 1))
	[ -n "$vmms" ] || vmms=$VMMS
	REVERSED=
	for v in $vmms; do REVERSED="$v $REVERSED"; done
	if [ -n "$check" ] && ! why=$(check_ok "$check"); then
		for v in $vmms; do echo "KUT-RUN|$name|$v|SKIP|-|0|check: $why"; done
		continue
	fi
	if [ $((i % 2)) = 1 ]; then order=$vmms; else order=$REVERSED; fi
	for v in $order; do run $v "$name" "$file" "$smp" "$mem" "$args" "$qp"; done
done </extra/remaining
EOF
} >"$SCRIPT"

# L1 itself can die under us (QEMU 7.2's multi-threaded TCG has aborted
# with "tcg_handle_interrupt: assertion failed" mid-entry): then a new L1
# runs the entries that have no result yet. The entry that was running
# when L1 died is tried once more; if L1 dies in it again, it is reported
# as L1-DIED and left out.
nv=$(wc -w <<<"$VMMS")
echo "bench/kvm-unit-tests.sh: $NRUN entries to run under $VMMS ($NNOT not run), timeout ${ENTRY_TIMEOUT}s each; log $LOG"
[ -n "${REPORT_FROM:-}" ] || : >"$LOG"
done_entries() { # entries of the plan with a KUT-RUN line for each of their VMMs
    tr -d '\r' <"$LOG" | awk -F'|' -v nv="$nv" '
        NR == FNR { want[$1] = ($8 == "") ? nv : split($8, x, " "); next }
        $1 == "KUT-RUN" && !(($2, $3) in s) { s[$2, $3] = 1; c[$2]++ }
        END { for (e in c) if (!(e in want) || c[e] >= want[e]) print e }' "$REMAIN" -
}
REMAIN="$STAGE/remaining"
cp "$PLAN" "$REMAIN"
[ -z "${REPORT_FROM:-}" ] || : >"$REMAIN"
declare -A died=()
attempt=0
while [ -s "$REMAIN" ]; do
    attempt=$((attempt + 1))
    [ $attempt -le 8 ] || die "L1 died 8 times, giving up (see $LOG)"
    nr=$(wc -l <"$REMAIN")
    l1_timeout=$(( nr * nv * (ENTRY_TIMEOUT + 15) + 400 ))
    [ $attempt = 1 ] || echo "bench/kvm-unit-tests.sh: L1 run $attempt, $nr entries left"
    set +e
    nice -n 10 bash "$ROOT/tests/emu/l1.sh" --with-qemu --mem "$L1_MEM" --timeout "$l1_timeout" "$SCRIPT" \
        "$STAGE/flat" "$STAGE/fw" "$STAGE/bin" "$REMAIN" 2>&1 | tee -a "$LOG"
    l1rc=${PIPESTATUS[0]}
    set -e
    done_entries >"$STAGE/done"
    # (each plan line starts with "NAME|": drop the finished ones)
    # (not NR == FNR: the list of finished entries may be empty)
    awk -F'|' -v done="$STAGE/done" 'BEGIN { while ((getline l < done) > 0) d[l] = 1 } !($1 in d)' "$REMAIN" >"$STAGE/left"
    if [ "$l1rc" = 0 ]; then
        [ ! -s "$STAGE/left" ] || die "L1 ended but entries have no result: $(cut -d'|' -f1 "$STAGE/left" | tr '\n' ' ')"
        break
    fi
    [ -s "$STAGE/left" ] || break
    cur=$(head -n 1 "$STAGE/left" | cut -d'|' -f1)
    echo "bench/kvm-unit-tests.sh: L1 died (tests/emu/l1.sh exit $l1rc) during entry $cur"
    if [ -n "${died[$cur]:-}" ]; then
        # (a VMM that did finish the entry in one of the tries keeps its result)
        vl=$(head -n 1 "$STAGE/left" | cut -d'|' -f8)
        for v in ${vl:-$VMMS}; do
            tr -d '\r' <"$LOG" | grep -q "^KUT-RUN|$cur|$v|" \
                || echo "KUT-RUN|$cur|$v|L1-DIED|-|0|L1 (QEMU TCG) died during this entry twice" >>"$LOG"
        done
        sed -i 1d "$STAGE/left"
    fi
    died[$cur]=1
    cp "$STAGE/left" "$REMAIN"
done
grep -q '^KUT-RUN|' <(tr -d '\r' <"$LOG") || die "no KUT-RUN lines in $LOG"

# ---- report ----------------------------------------------------------------------
table() {
    tr -d '\r' <"$LOG" | awk -F'|' -v vmms="$VMMS" -v stage="$STAGE" -v notrun="$NOTRUN" '
    BEGIN { nv = split(vmms, vm, " ") }
    $1 == "KUT-RUN" && $2 !~ /^vmexit-rt#/ {
        if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
        r = $4; if (r == "FAIL") r = "FAIL (" $5 ")"
        if ($7 != "" && $4 != "PASS") r = r ": " $7
        res[$2, $3] = r; base[$2, $3] = $4; secs[$2, $3] = $6
    }
    END {
        hdr = "| entry |"; sep = "|---|"
        for (v = 1; v <= nv; v++) { hdr = hdr " " vm[v] " | s |"; sep = sep "---|---|" }
        print hdr " QEMU-only options (warden ran without them) |"; print sep "---|"
        for (i = 1; i <= n; i++) {
            e = order[i]; line = "| " e " |"
            for (v = 1; v <= nv; v++) line = line " " ((e, vm[v]) in res ? res[e, vm[v]] : "missing") " | " secs[e, vm[v]] " |"
            w = ""; f = stage "/wonly." e
            if ((getline l < f) > 0) { sub(/^[^\t]*\t/, "", l); w = l }
            close(f)
            print line " " (w == "" ? "" : "`" w "`") " |"
            if (nv == 2) {
                a = base[e, vm[1]]; b = base[e, vm[2]]
                if (a == "PASS" && b == "PASS") both++
                else if (a != "PASS" && b == "PASS") { only2++; l2 = l2 " " e }
                else if (a == "PASS" && b != "PASS") { only1++; l1 = l1 " " e }
                else neither++
            }
        }
        while ((getline l < notrun) > 0) { split(l, p, "\t"); line = "| " p[1] " |"; for (v = 1; v <= nv; v++) line = line " " p[2] " | |"; print line " |"; nn++ }
        print ""
        if (nv == 2) {
            printf "Run: %d entries. Both pass: %d. %s fails where %s passes: %d%s. %s fails where %s passes: %d%s. Neither passes (fail, skip or timeout): %d. Not run: %d.\n", n, both, vm[1], vm[2], only2 + 0, l2 == "" ? "" : " (" substr(l2, 2) ")", vm[2], vm[1], only1 + 0, l1 == "" ? "" : " (" substr(l1, 2) ")", neither + 0, nn + 0
        }
    }'
}
vmexit_table() {
    tr -d '\r' <"$LOG" | awk -F'|' -v vvmms="$VMEXIT_VMMS" '
    BEGIN { n0 = split(vvmms, t, " "); for (j = 1; j <= n0; j++) want[t[j]] = 1 }
    $1 == "KUT-WSTATS" { ws++; wc = wc " " $3; wm = wm " " $4; wp = wp " " $5; wd = wd " " $6; we = we " " $7; wr = wr " " $8; next }
    $1 == "KUT-VMEXIT" && $2 ~ /^vmexit-rt#/ { split($4, p, " "); if (!(p[1] in rs)) { rs[p[1]] = 1; rcase[++rn] = p[1] }; rv[p[1], $3] = rv[p[1], $3] " " p[2]; next }
    $1 == "KUT-VMEXIT" { split($4, p, " "); k = $2 SUBSEP p[1]; if (!(k in seen)) { seen[k] = 1; rows[++n] = $2 "|" p[1] }; c[$2, p[1], $3] = p[2] }
    function median(list,    a, k, i, j, t) {
        k = split(list, a, " "); if (k == 0) return "-"
        for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
        return (k % 2) ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2
    }
    function range(list,    a, k, i, lo, hi) {
        k = split(list, a, " "); if (k == 0) return "-"
        lo = hi = a[1] + 0; for (i = 2; i <= k; i++) { if (a[i] + 0 < lo) lo = a[i] + 0; if (a[i] + 0 > hi) hi = a[i] + 0 }
        return lo "-" hi " (" k " runs)"
    }
    END {
        if (rn > 0) {
            nv = split(vvmms, vv, " ")
            print ""
            print "vmexit test, repeated runs (guest TSC cycles per iteration: median, and min-max over the runs):"
            print ""
            h = "| case |"; sp = "|---|"
            for (j = 1; j <= nv; j++) { h = h " " vv[j] " median | " vv[j] " range |"; sp = sp "---|---|" }
            if ("bare" in want) { h = h " warden / bare |"; sp = sp "---|" }
            if ("qemu" in want) { h = h " warden / qemu |"; sp = sp "---|" }
            print h; print sp
            for (i = 1; i <= rn; i++) {
                k = rcase[i]; line = "| " k " |"
                for (j = 1; j <= nv; j++) { m[vv[j]] = median(rv[k, vv[j]]); line = line " " m[vv[j]] " | " range(rv[k, vv[j]]) " |" }
                w = m["warden"] + 0
                if ("bare" in want) line = line " " ((w > 0 && m["bare"] + 0 > 0) ? sprintf("%.3f", w / m["bare"]) : "-") " |"
                if ("qemu" in want) line = line " " ((w > 0 && m["qemu"] + 0 > 0) ? sprintf("%.3f", w / m["qemu"]) : "-") " |"
                print line
            }
        }
        if (ws > 0) {
            print ""
            print "warden'"'"'s own handling of the port-I/O exits in those runs (its exit table, L1'"'"'s clock; medians over the runs; most are the inl_from_qemu reads of port 0x1234):"
            print ""
            print "| io exits | mean handling us | p50 us | decode us | emulate us | return us |"; print "|---|---|---|---|---|---|"
            printf "| %s | %s | %s | %s | %s | %s |\n", median(wc), median(wm), median(wp), median(wd), median(we), median(wr)
        }
        if (n == 0) exit
        print ""
        print "vmexit figures of the entries (guest TSC cycles per iteration, one run each):"
        print ""
        print "| entry | case | warden | qemu |"; print "|---|---|---|---|"
        for (i = 1; i <= n; i++) { split(rows[i], r, "|"); print "| " r[1] " | " r[2] " | " c[r[1], r[2], "warden"] " | " c[r[1], r[2], "qemu"] " |" }
    }'
}
{
    echo "### kvm-unit-tests ($(date -u +%Y-%m-%dT%H:%MZ), emulated AMD-V tier, per-entry timeout ${ENTRY_TIMEOUT}s)"
    echo
    echo "Command: \`KUT_DIR=... ENTRY_TIMEOUT=$ENTRY_TIMEOUT VMMS=\"$VMMS\"${ENTRIES:+ ENTRIES=\"$ENTRIES\"} bash bench/kvm-unit-tests.sh\`"
    echo
    [ -z "${REPORT_FROM:-}" ] || echo "    fact: report rebuilt from ${LOG#"$ROOT"/}: the host facts below are of the rebuild, not of the run (the run's own report has those)"
    bench_facts emu | sed 's/^/    /'
    echo "    fact: suite $(git -C "$KUT_DIR" log -1 --format='%h %cs' 2>/dev/null || echo '(not a git tree)') at KUT_DIR"
    tr -d '\r' <"$LOG" | grep -E '^fact: L1' | sort -u | sed 's/^/    /' || true
    tr -d '\r' <"$LOG" | sed -n 's/^KUT-WARDEN-OPTS /    fact: warden options besides the per-entry ones: --test-exit-port 0xf4 /p' | sort -u
    tr -d '\r' <"$LOG" | awk -F'|' '$1 == "KUT-WARDEN-ENTRY" && !s[$2]++ { l = l (l == "" ? "" : "; ") $2 ": " $3 }
        END { if (l != "") print "    fact: entries run with other warden options (besides --test-exit-port 0xf4): " l }'
    echo
    table
    vmexit_table
} >"$REPORT"
echo
cat "$REPORT"
echo "bench/kvm-unit-tests.sh: report written to ${REPORT#"$ROOT"/}"
