# `warden lab interrupts` inside L1 (sourced by l1-tests.sh): real SVM
# with nested paging, whose APIC is not virtualised unless kvm_amd's avic
# is on; and L1's own avic parameter, read on its own.
warden lab interrupts --count 50 --json /tmp/lab_ir.json >/tmp/lab_ir.out 2>/tmp/lab_ir.err </dev/null
echo "@@CASE lab_ir rc=$?"
echo "avic=$(cat /sys/module/kvm_amd/parameters/avic 2>/dev/null)" >/tmp/lab_ir.sys
for f in lab_ir.out lab_ir.err lab_ir.json lab_ir.sys; do
	echo "@@BEGIN $f"
	cat "/tmp/$f"
	echo   # files need not end in a newline; markers must start a line
	echo "@@END $f"
done
