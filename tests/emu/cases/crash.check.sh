# Crash report checks (sourced by tests/emu/run.sh): under SVM, KVM resets
# the vCPU before warden sees the triple fault, so the report must name
# the exception chain from the trace: KVM injected #UD at the guest's ud2
# (its address from the ELF's symbols), then the hardware SHUTDOWN exit.
UD2=$(nm build/tests/guests/long64-triple.elf 2>/dev/null | awk '$3 == "triple_ud2" { print "0x" $1 }' | sed 's/0x0*/0x/')
if [ ! -s "$OUT/crash_triple.json" ] && [ ! -f build/tests/guests/long64-triple.elf ]; then
	skip "crash report (emulated): no long64-triple.elf (make native-guests)"
else
	expect_eq "crash (SVM): long64-triple ends by a triple fault (status 4)" 4 "$(rc crash_triple)"
	expect_match "crash (SVM): the explanation line" '^  vCPU 0 triple-faulted: ' "$OUT/crash_triple.err"
	expect_eq "crash (SVM): console tail ends with the guest's last line" "cpuid ok" \
		"$(js crash_triple '.crash.console_tail[-1]')"
	expect_eq "crash (SVM): the last exit reaching warden is the shutdown" shutdown \
		"$(js crash_triple '.crash.last_exits[0].exits[-1].reason')"
	if grep -q '^kvm_inj_exception: yes' "$OUT/crash_tracefs.txt" 2>/dev/null; then
		# An exception injected again with no exit between (KVM's entry
		# was cancelled, seen once in L1) is one injection.
		expect_eq "crash (SVM): KVM's last injections, from the trace: #UD" "#UD" \
			"$(js crash_triple '.crash.kvm_delivered[0].events as $e | [range(0; $e | length) | . as $i |
				select($e[$i].type == "exception") |
				select(([$e[0:$i][] | select(.type == "exit" or .type == "exception")] | last) as $p |
					$p == null or $p.type != "exception" or $p.name != $e[$i].name) | $e[$i].name] | join(" -> ")')"
		expect_eq "crash (SVM): the exit before the #UD was at the guest's ud2" "$UD2" \
			"$(js crash_triple '.crash.kvm_delivered[0].events as $e | [range(0; $e | length) | select($e[.].type == "exception")][0] as $i | if $i == null then "no exception" else [$e[0:$i][] | select(.type == "exit")][-1].rip end')"
		expect_eq "crash (SVM): the trace ends with the hardware SHUTDOWN exit" SHUTDOWN \
			"$(js crash_triple '.crash.kvm_delivered[0].events[-1].reason')"
		expect_match "crash (SVM): the explanation names the chain" \
			"triple-faulted: KVM injected #UD at rip $UD2 -> hardware exit SHUTDOWN at rip $UD2" "$OUT/crash_triple.err"
		# SVM's EXITINTINFO at the SHUTDOWN: the exception whose delivery
		# through the empty IDT failed for good.
		expect_match "crash (SVM): the SHUTDOWN exit says what it was delivering" \
			"hardware exit SHUTDOWN at rip $UD2 while delivering #" "$OUT/crash_triple.err"
	else
		skip "crash (SVM): L1's tracefs has no kvm:kvm_inj_exception tracepoint"
	fi
	expect_eq "crash (SVM, no --exit-trace): the chain is said to be unknown" "needs --exit-trace" \
		"$(js crash_triple_notrace '.crash.kvm_delivered_missing')"
	expect_match "crash (SVM): KVM reset the vCPU before the exit, and the report says so" \
		'registers at that exit: rip 0xfff0 .*the power-on state' "$OUT/crash_triple_notrace.err"
fi
expect_eq "crash (Linux, reboot=t): ends by a triple fault (status 4)" 4 "$(rc crash_linux)"
expect_match "crash (Linux): the console tail holds the guest's last line" '^    \| warden-last-words' "$OUT/crash_linux.err"
expect_eq "crash (Linux): console tail at most 20 lines" true "$(js crash_linux '.crash.console_tail | length <= 20 and length > 0')"
# Linux's reboot=t loads an empty IDT and raises int3: the hardware
# escalates it without KVM, so the chain is the SHUTDOWN exit at the
# kernel's RIP (from kvm_exit, taken before KVM reset the vCPU).
if grep -q '^kvm_inj_exception: yes' "$OUT/crash_tracefs.txt" 2>/dev/null; then
	expect_match "crash (Linux): the chain ends at the SHUTDOWN exit at a kernel RIP" \
		'triple-faulted: .* -> hardware exit SHUTDOWN at rip 0xffffffff[0-9a-f]{8}( while delivering [^;]*)?; ' "$OUT/crash_linux.err"
else
	skip "crash (Linux): L1's tracefs has no kvm:kvm_inj_exception tracepoint"
fi
# console=hvc0: the last lines came through the virtio console.
expect_eq "crash (Linux, console=hvc0): ends by a triple fault (status 4)" 4 "$(rc crash_hvc)"
expect_eq "crash (Linux, console=hvc0): the virtio console's output is in the tail" true \
	"$(js crash_hvc '[.crash.console_tail[] | select(test("^warden-hvc-last-words"))] | length == 1')"
