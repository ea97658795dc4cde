# The crash report under real SVM (docs/observatory.md), sourced by
# l1-tests.sh: the native tier's long64-triple.elf (ud2 with an empty IDT)
# with and without --exit-trace, and the default Linux guest rebooting by
# a triple fault (reboot=t) after a last console line.  What L1 offers is
# asked of L1 directly: its tracefs's kvm_inj_exception tracepoint.
if [ -f /extra/guests/long64-triple.elf ]; then
	case_run crash_triple --exit-trace --mem 16 --kernel /extra/guests/long64-triple.elf
	case_run crash_triple_notrace --mem 16 --kernel /extra/guests/long64-triple.elf
fi
case_run crash_linux --exit-trace --cmdline "$BASE reboot=t warden.run=\"echo warden-last-words; reboot -f\""
echo "@@BEGIN crash_tracefs.txt"
for d in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	if [ -r "$d/events/kvm/kvm_inj_exception/format" ]; then
		echo "kvm_inj_exception: yes"
		cat "$d/events/kvm/kvm_inj_exception/format" "$d/events/kvm/kvm_inj_virq/format"
		break
	fi
done
echo
echo "@@END crash_tracefs.txt"
# The virtio console feeds the tail too: the guest's console is hvc0.
case_run crash_hvc --virtio-console --cmdline "console=hvc0 quiet panic=-1 8250.nr_uarts=1 reboot=t warden.run=\"echo warden-hvc-last-words; reboot -f\""
