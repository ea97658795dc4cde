# `warden lab paging` and `warden lab tsc` in L1 (sourced by
# tests/emu/run.sh): the native tier's checks (tests/native/lab_paging.sh,
# lab_tsc.sh) on L1's results, with L1's own answers: the MMU from
# kvm_amd's npt (nested, or shadow when L1_KVM_AMD_ARGS=npt=0), THP, and
# kvm-check-ext run inside L1 (the TSC offset KVM keeps, TSC scaling,
# binary statistics).  And what only a hardware KVM gives: the exits by
# hardware reason (kvm:kvm_exit), a first touch's faults named NPF (nested)
# or EXCP_14 (shadow).
. tests/native/lab_paging.sh
. tests/native/lab_tsc.sh
lsys() { sed -n "s/^$1=//p" "$OUT/lab.sys"; }
expect_eq "lab paging in L1: exit status" 0 "$(rc lab_paging)"
expect_eq "lab tsc in L1: exit status" 0 "$(rc lab_tsc)"
case $(lsys npt) in Y|1) lab_mmu=nested ;; N|0) lab_mmu=shadow ;; *) lab_mmu= ;; esac
grep -q '\[never\]' <<<"$(lsys thp)" && lab_thp=0 || lab_thp=1
if [ -z "$lab_mmu" ]; then
	failed "lab paging in L1: L1's kvm_amd npt is '$(lsys npt)'"
elif [ "$(lsys stats_fd)" != yes ]; then
	failed "lab paging in L1: no binary statistics in L1 (kvm-check-ext --stats-fd: '$(lsys stats_fd)')"
else
	pg_json_checks "$OUT/lab_paging.json" "lab paging in L1 ($lab_mmu paging)" $lab_mmu $lab_thp
	[ $lab_mmu = nested ] && lab_pf=NPF || lab_pf=EXCP_14
	expect_eq "lab paging in L1: hardware exit reasons read in every run" 4 \
		"$(js lab_paging '[.measured[] | select(.hw_exit_reasons)] | length')"
	expect_eq "lab paging in L1: host 4K runs' first touches are $lab_pf exits, one a page" true \
		"$(js lab_paging "[.measured[] | select(.backing == \"4K\") | .windows[] | select(.kind == \"first\") |
			(.hw_exits.$lab_pf // 0) == .units] | all")"
fi
lab_kept=$(lsys tsc_kept)
lab_ctl=$(lsys tsc_control)
if ! [[ $lab_kept =~ ^-?[0-9]+$ ]] || ! [[ $lab_ctl =~ ^[0-9]+$ ]]; then
	failed "lab tsc in L1: kvm-check-ext in L1 could not say ('$lab_kept', '$lab_ctl')"
else
	lab_unstable=$(lsys tsc_unstable)
	[ -n "$lab_unstable" ] && lab_unstable="L1 kernel: ${lab_unstable#*] }"
	ts_json_checks "$OUT/lab_tsc.json" "lab tsc in L1" "$lab_kept" "$([ "$lab_ctl" -gt 0 ] && echo 1 || echo 0)" \
		KVM_VCPU_TSC_OFFSET "$lab_unstable"
fi
