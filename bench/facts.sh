# shellcheck shell=bash
# Facts that every bench/ report starts with: what ran, where, on what.
# Sourced by the bench scripts (bash). Each line starts with "fact:" so a
# report's facts can be found with grep.
#
#   bench_facts TIER...   host, tier and guest-kernel lines for a report
#                          (TIER: native or emu; more than one is allowed)
#   bench_l1_facts_sh     POSIX sh code, for a script that runs inside L1
#                          (tests/emu/l1.sh): prints L1's own facts there
#   bench_guest_kernel    the guest kernel's version (build/kernel/version)
#
# The guest kernel is the one `make guest` fetched (scripts/fetch-kernel.sh:
# Debian's linux-image-cloud-amd64, whatever version it points to that day);
# build/kernel/version names it. In the emulated tier the same kernel is
# also L1's kernel (tests/emu/l1.sh boots build/kernel/vmlinuz as L1).

bench_guest_kernel() {
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if [ -s "$root/build/kernel/version" ]; then cat "$root/build/kernel/version"; else echo "unknown (no build/kernel/version: make guest)"; fi
}

# The Debian package version of the fetched kernel, e.g. 6.1.192-3.
bench_guest_kernel_pkg() {
    local root ver deb
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    ver=$(cat "$root/build/kernel/version" 2>/dev/null) || { echo "?"; return; }
    deb=$(ls -t "$root/build/kernel/debs/linux-image-${ver}_"*.deb 2>/dev/null | head -n 1)
    if [ -n "$deb" ]; then dpkg-deb -f "$deb" Version 2>/dev/null || echo "?"; else echo "?"; fi
}

bench_facts() {
    local root cpu kvm t commit
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)
    if [ -e /sys/module/kvm_pvm ]; then kvm="kvm_pvm (paravirtual: no VT-x/AMD-V for the guest)"
    elif [ -e /sys/module/kvm_intel ]; then kvm=kvm_intel
    elif [ -e /sys/module/kvm_amd ]; then kvm=kvm_amd
    else kvm="none loaded"; fi
    commit=$(git -C "$root" describe --always --dirty 2>/dev/null || echo "?")
    echo "fact: date $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "fact: host kernel $(uname -r), CPU \"$cpu\" x $(nproc), KVM module $kvm, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "fact: warden tree $commit"
    echo "fact: guest kernel $(bench_guest_kernel) (Debian package $(bench_guest_kernel_pkg); build/guest/vmlinuz, vmlinux)"
    for t in "$@"; do
        case $t in
        native)
            echo "fact: tier native: warden on the host's /dev/kvm ($kvm)" ;;
        emu)
            echo "fact: tier emulated AMD-V: L1 = $(qemu-system-x86_64 --version 2>/dev/null | head -n 1 | sed 's/ (.*//') TCG -cpu EPYC (tests/emu/l1.sh), L1 kernel $(bench_guest_kernel) with kvm-amd; the VMMs run in L1, their guests are L2" ;;
        esac
    done
}

# Printed inside L1 (busybox sh), as "fact: L1 ..." lines.
bench_l1_facts_sh() {
    cat <<'EOF'
echo "fact: L1 kernel $(uname -r), CPU \"$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)\" x $(grep -c ^processor /proc/cpuinfo), kvm_amd npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null || echo '?'), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo '?')"
dmesg 2>/dev/null | sed -n 's/^.*\] \(tsc: .*MHz.*\|.*[Cc]locksource.*tsc.*unstable.*\)$/fact: L1 kernel log: \1/p' | head -n 4
EOF
}
