# `warden caps` in L1 (sourced by tests/emu/run.sh): an emulated AMD-V host
# with kvm_amd and nested paging, whose CPU QEMU TCG emulates; not PVM.
sys() { sed -n "s/^$1=//p" "$OUT/caps.sys"; }
expect_eq "caps in L1: exit status" 0 "$(rc caps)"
expect_eq "caps --json in L1: exit status" 0 "$(rc caps_json)"
expect_eq "caps in L1: nothing on stderr" 0 "$(grep -c . "$OUT/caps.err")"
if jq -e . "$OUT/caps.json" >/dev/null 2>&1; then pass "caps --json in L1: the output parses"
else failed "caps --json in L1: not JSON: $(head -c 200 "$OUT/caps.json")"; fi

# The host kind.
expect_eq "L1 has no kvm_pvm (independent check)" 0 "$(sys pvm)"
expect_match "caps in L1: kvm_amd, hardware-assisted" \
	'^  KVM module  kvm_amd: hardware-assisted KVM \(AMD-V, SVM\)$' "$OUT/caps.out"
expect_eq "caps in L1: PVM not mentioned" 0 "$(grep -c 'PVM' "$OUT/caps.out")"
expect_eq "caps --json in L1: module, not PVM, hardware-assisted" "kvm_amd false true" \
	"$(js caps '"\(.host.kvm_module) \(.host.pvm) \(.host.hardware_assisted)"')"
expect_match "caps in L1: the host CPU is emulated by QEMU TCG" \
	'^  host CPU    emulated by QEMU TCG: every instruction runs in a software emulator \(CPUID 0x40000000 "TCGTCGTCGTCG"\)$' \
	"$OUT/caps.out"
expect_eq "caps --json in L1: CPU emulated, signature" "true TCGTCGTCGTCG" \
	"$(js caps '"\(.host.cpu_emulated) \(.host.cpu_signature)"')"
expect_eq "L1's cpuinfo has svm and hypervisor (independent check)" "1 1" "$(sys svm) $(sys hypervisor)"
expect_eq "caps --json in L1: svm as in /proc/cpuinfo" true "$(js caps .host.cpu_svm)"

# Hardware features: nested paging on, each value as the file says.
npt=$(sys npt)
case $npt in Y|1) pass "L1's kvm_amd has npt on ($npt)" ;; *) failed "L1's kvm_amd.npt is '$npt'" ;; esac
expect_match "caps in L1: hardware section from kvm_amd" '^hardware features \(/sys/module/kvm_amd/parameters\)$' "$OUT/caps.out"
expect_match "caps in L1: npt row, on, applied by KVM" "^  npt +$npt +auto +shadow paging's exits" "$OUT/caps.out"
for p in npt avic nested vgif vls lbrv; do
	expect_eq "caps --json in L1: kvm_amd.$p as in /sys/module" "$(sys $p)" \
		"$(js caps ".hardware[] | select(.module==\"kvm_amd\" and .param==\"$p\") | .value")"
done
expect_eq "caps --json in L1: npt enabled" true "$(js caps '.hardware[] | select(.name=="npt") | .enabled')"
expect_match "caps in L1: ASID always on" '^  asid +always +auto +' "$OUT/caps.out"
expect_eq "caps --json in L1: kvm.halt_poll_ns as in /sys/module" "$(sys halt_poll_ns)" \
	"$(js caps '.hardware[] | select(.param=="halt_poll_ns") | .value')"
expect_eq "caps --json in L1: no kvm_intel rows" 0 "$(js caps '[.hardware[] | select(.module=="kvm_intel")] | length')"

# KVM capabilities of Debian's 6.1 kernel, checked on a VM.
expect_eq "caps --json in L1: checked on a VM" "true true true" \
	"$(js caps '"\(.kvm.checked) \(.kvm.vm_created) \(.kvm.check_on_vm)"')"
for c in ioeventfd irqfd irqchip pit2; do
	expect_eq "caps --json in L1: $c available and used" "true true" \
		"$(js caps ".capabilities[] | select(.name==\"$c\") | \"\(.available) \(.used)\"")"
done
expect_match "caps in L1: ioeventfd row" '^  ioeventfd +yes +yes +' "$OUT/caps.out"
expect_eq "caps --json in L1: binary stats (5.14+) available" true \
	"$(js caps '.capabilities[] | select(.name=="binary-stats") | .available')"
expect_eq "caps --json in L1: x2apic-api offered, not used" "true false" \
	"$(js caps '.capabilities[] | select(.name=="x2apic-api") | "\(.available) \(.used)"')"
n=$(js caps '[.pv_features[] | select(.available)] | length')
[ "$n" -ge 5 ] 2>/dev/null && pass "caps --json in L1: $n PV features offered to guests" || failed "caps in L1: PV features $n"
