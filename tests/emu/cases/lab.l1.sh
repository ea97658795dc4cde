# `warden lab paging` and `warden lab tsc` inside L1 (sourced by
# l1-tests.sh), small, with what L1 says on its own: kvm_amd's npt, THP,
# and KVM's answers asked without warden (/extra/kvm-check-ext, the native
# tier's probe, when run.sh passed it).
warden lab paging --sizes 1,4 --iterations 100 --json /tmp/lab_paging.json --svg /tmp/lab_paging.svg \
	>/tmp/lab_paging.out 2>/tmp/lab_paging.err </dev/null
echo "@@CASE lab_paging rc=$?"
warden lab tsc --samples 4 --gap-us 20000 --offset 1099511627776 --json /tmp/lab_tsc.json \
	>/tmp/lab_tsc.out 2>/tmp/lab_tsc.err </dev/null
echo "@@CASE lab_tsc rc=$?"
{
	echo "npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)"
	echo "thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
	# L1's kernel on its TSC: KVM re-bases a guest's TSC offset when the
	# vCPU is scheduled in where the TSC is unstable.
	echo "tsc_unstable=$(dmesg | grep -i 'tsc.*unstable' | head -1)"
	if [ -x /extra/kvm-check-ext ]; then
		echo "tsc_kept=$(/extra/kvm-check-ext --tsc-offset 1099511627776 2>&1)"
		echo "tsc_control=$(/extra/kvm-check-ext --vm 60 2>&1)"
		echo "stats_fd=$(/extra/kvm-check-ext --stats-fd 2>&1)"
	fi
} >/tmp/lab.sys
for f in lab_paging.out lab_paging.err lab_paging.json lab_tsc.out lab_tsc.err lab_tsc.json lab.sys; do
	echo "@@BEGIN $f"
	cat "/tmp/$f"
	echo   # files need not end in a newline; markers must start a line
	echo "@@END $f"
done
