# --intel-iommu and --edu (sourced by run.sh): guests/edu_iommu.c finds
# edu on bus 0 (its device id also read the way the kvm-unit-tests library
# reads it), runs DMA straight and through the VT-d unit's tables, makes
# one DMA fault and one interrupt-remapping fault on purpose, and receives
# a remapped MSI and INTx through a remappable IOAPIC entry with the
# IRTE's vector (read in the LAPIC's IRR).  warden must count the errors
# the guest made; without --intel-iommu the guest's VT-d checks fail.
edu_iommu_checks() { # BIN LABEL
	local bin=$1 l=$2 n="$2-edu-iommu" j out
	run "$n" "$bin" --intel-iommu --edu --kernel $G/edu-iommu.elf
	j=$OUT/$n.json
	out=$OUT/$n.out
	expect_eq "$l edu-iommu: poweroff exit status" 0 "$(rc $n)"
	expect_match "$l edu-iommu: every guest check passed" '^edu-iommu: all checks passed$' "$out"
	grep -q '^edu-iommu: FAIL ' "$out" && failed "$l edu-iommu: $(grep '^edu-iommu: FAIL ' "$out" | head -n 5 | tr '\n' ';')"
	expect_match "$l edu-iommu: DMA through the IOMMU" '^edu-iommu: ok DMA through the IOMMU' "$out"
	expect_match "$l edu-iommu: remapped MSI" "^edu-iommu: ok remapped MSI arrived with the IRTE's vector" "$out"
	expect_match "$l edu-iommu: INTx through a remappable IOAPIC entry" "^edu-iommu: ok INTx through a remappable IOAPIC entry: the IRTE's vector" "$out"
	expect_eq "$l edu-iommu: warden counted edu's errors" \
		"$(awk '/^edu-iommu: counts/ { print $4 }' "$out")" "$(json $j '.device_work["edu"].errors')"
	expect_eq "$l edu-iommu: warden counted the IOMMU's faults" \
		"$(awk '/^edu-iommu: counts/ { print $6 }' "$out")" "$(json $j '.device_work["intel-iommu"].errors')"
	# The same guest without the unit: edu alone, so no IOVA is
	# translated and no interrupt remapped (an unclaimed register page
	# reads all ones: its status bits look set), and the checks above can
	# fail.
	run "$n-none" "$bin" --edu --kernel $G/edu-iommu.elf
	expect_match "$l edu-iommu: without --intel-iommu, no translated DMA" \
		'^edu-iommu: FAIL DMA through the IOMMU' "$OUT/$n-none.out"
	expect_match "$l edu-iommu: without --intel-iommu, no remapped MSI" \
		"^edu-iommu: FAIL remapped MSI" "$OUT/$n-none.out"
}
