# --hyperv and --hyperv-testdev on the native tier (sourced by
# tests/native/run.sh, with B, G, OUT, run, rc from there).  Whether this
# host's KVM offers Hyper-V is asked directly (kvm-check-ext), never taken
# from warden's output.  Where KVM lacks a capability --hyperv needs,
# warden must refuse with status 1 naming it; where KVM has them all, the
# CPUID leaves a guest sees are checked (the long64 guest prints the
# signature leaves) and the SynIC itself is the emulated tier's
# (bench/kvm-unit-tests.sh's hyperv_* entries).
HV_CAPS="44:KVM_CAP_HYPERV 191:KVM_CAP_SYS_HYPERV_CPUID 148:KVM_CAP_HYPERV_SYNIC2"

hyperv_missing_cap() { # the first capability --hyperv needs that KVM lacks
	local c
	for c in $HV_CAPS; do
		[ "$($B/tests/kvm-check-ext ${c%%:*} 2>/dev/null)" -gt 0 ] 2>/dev/null || { echo "${c#*:}"; return; }
	done
}

hyperv_checks() { # BIN LABEL
	local bin=$1 l=$2 missing

	run "$l-hv-nohv" "$bin" --kernel $G/long64.elf --hyperv-testdev
	expect_eq "$l hyperv: --hyperv-testdev without --hyperv is a usage error" 2 "$(rc $l-hv-nohv)"
	expect_match "$l hyperv: ... named in one line" '^warden: --hyperv-testdev needs --hyperv$' "$OUT/$l-hv-nohv.err"
	run "$l-hv-noirq" "$bin" --kernel $G/long64.elf --hyperv --no-irqchip
	expect_eq "$l hyperv: --hyperv with --no-irqchip is a usage error" 2 "$(rc $l-hv-noirq)"
	missing=$(hyperv_missing_cap)
	run "$l-hv" "$bin" --kernel $G/long64.elf --hyperv --hyperv-testdev
	if [ -n "$missing" ]; then
		expect_eq "$l hyperv: KVM without $missing: host failure" 1 "$(rc $l-hv)"
		expect_match "$l hyperv: the missing capability named" "does not offer $missing\$" "$OUT/$l-hv.err"
		skip "$l hyperv: a guest with Hyper-V leaves: this host's KVM does not offer $missing"
	else
		expect_eq "$l hyperv: the guest runs with --hyperv --hyperv-testdev" 0 "$(rc $l-hv)"
	fi
}
