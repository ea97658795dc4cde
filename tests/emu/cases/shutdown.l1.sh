# A clean shutdown from the host (docs/shutdown.md), sourced by l1-tests.sh:
# warden's first SIGTERM presses the guest's ACPI power button, busybox
# acpid in the default guest powers off; a guest that ignores the button is
# stopped at --shutdown-timeout; a second signal stops it at once.  Also
# --nested: SVM hidden from the guest unless given.

# sig_run NAME NSIGNALS WARDEN-ARGS...: boot, wait for the guest's "ready"
# line, send SIGTERM (twice, 1 s apart, when NSIGNALS is 2): l1-tests.sh's
# case_signal, with NAME.time (seconds from the first signal to the end).
sig_run() {
	name=$1 nsig=$2
	shift 2
	case_signal "$name" '^ready' TERM "$nsig" "$@"
}

sig_run shutdown_button 1 --cmdline "$BASE warden.run=\"grep -c -w svm /proc/cpuinfo; echo ready; sleep 600\""
sig_run shutdown_ignored 1 --shutdown-timeout 3 --cmdline "$BASE warden.run=\"killall acpid; echo ready; sleep 600\""
sig_run shutdown_twice 2 --cmdline "$BASE warden.run=\"killall acpid; echo ready; sleep 600\""
# What L1's KVM offers its guests: SVM exactly when kvm_amd's nested is on.
echo "@@BEGIN shutdown_l1nested.txt"
cat /sys/module/kvm_amd/parameters/nested 2>/dev/null || echo missing
echo "@@END shutdown_l1nested.txt"
case_run shutdown_nested --nested --cmdline "$BASE warden.run=\"grep -c -w svm /proc/cpuinfo\""
