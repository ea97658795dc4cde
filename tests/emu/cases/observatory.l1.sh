# Exit observatory under real SVM (sourced by l1-tests.sh). Each case runs
# with a hist trigger on kvm:kvm_exit, the neutral count the report is
# checked against; the trigger's table comes back as CASE.hist.
T=/sys/kernel/tracing
[ -d $T/events/kvm ] || mount -t tracefs nodev $T 2>/dev/null
[ -d $T/events/kvm ] || { mount -t debugfs nodev /sys/kernel/debug 2>/dev/null; T=/sys/kernel/debug/tracing; }

# obs_case NAME KEYS FILES warden-args...: case_run under a kvm_exit hist
# keyed by KEYS; FILES: extra /tmp files to send back.
obs_case() {
	name=$1 keys=$2 files=$3
	shift 3
	echo "hist:keys=$keys:vals=hitcount:size=2048" >$T/events/kvm/kvm_exit/trigger
	case_run "$name" "$@"
	cat $T/events/kvm/kvm_exit/hist >/tmp/$name.hist 2>&1
	echo "!hist:keys=$keys:vals=hitcount:size=2048" >$T/events/kvm/kvm_exit/trigger
	echo "@@BEGIN $name.hist"
	cat /tmp/$name.hist
	echo
	echo "@@END $name.hist"
	# JSON lines can be longer than the console carries intact: send
	# them compressed in base64 lines (the host decodes NAME.FILE.b64).
	for f in $files; do
		echo "@@BEGIN $name.$f.b64"
		gzip -c /tmp/$name.$f | base64
		echo "@@END $name.$f.b64"
	done
}

# The default guest, KVM's binary stats as the in-kernel half; totals vs
# the tracepoint keyed by thread.
obs_case obs_boot common_pid.execname jsonl --stats-trace /tmp/obs_boot.jsonl --stats-interval 0.5
# Precise mode: per-reason split vs the tracepoint keyed by exit reason.
obs_case obs_trace exit_reason "" --exit-trace --cpus 2
# The counting guest under SVM: CPUIDs and HLTs now have names.
if [ -f /extra/guests/observe.elf ]; then
	# --no-coalesced-pio: every one of its 14 UART writes reaches warden.
	obs_case obs_guest exit_reason "" --exit-trace --mem 16 --no-coalesced-pio --kernel /extra/guests/observe.elf
	# By default KVM queues them (coalesced PIO) where it can: still an
	# exit each, handled in KVM. L1's KVM asked without warden.
	obs_case obs_guest_coal exit_reason "" --exit-trace --mem 16 --kernel /extra/guests/observe.elf
	{
		if [ -x /extra/kvm-check-ext ]; then
			echo "coalesced_pio=$(/extra/kvm-check-ext --vm 162 2>&1)"
			echo "coalesced_mmio=$(/extra/kvm-check-ext --vm 15 2>&1)"
		fi
	} >/tmp/obs.sys
	echo "@@BEGIN obs.sys"
	cat /tmp/obs.sys
	echo
	echo "@@END obs.sys"
fi
