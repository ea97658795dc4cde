# Shutdown from the host and warden's deadline (sourced by run.sh;
# docs/shutdown.md), with a guest that never powers off: a real-mode flat
# binary that halts with interrupts off (cli; hlt; jmp back), so the power
# button's interrupt never reaches it:
#   - the first SIGTERM presses the button ("asking the guest ..."), the
#     guest ignores it, warden stops it at --shutdown-timeout: status 7;
#   - a second signal stops it at once; --shutdown-timeout 0: at once,
#     no button;
#   - a vCPU thread that ignores the kick (WARDEN_TEST_STUCK_VCPU, the test
#     hook in core/vcpu.c) cannot keep warden from ending: "vCPU 0 did not
#     stop within 5 s", status 1, about 5 s after the stop;
#   - CPUID: a guest (guests/cpuid_nested.S) reports SVM/VMX through its
#     exit status: hidden without --nested, what KVM offers with it (asked
#     of KVM with kvm-check-ext; the fake-kvm-caps shim offers VMX/SVM, so
#     the hiding is seen even on a host without nested virtualization).
SPIN=$OUT/spin.bin
printf '\xfa\xf4\xeb\xfd' >"$SPIN"

# sig_run NAME BIN NSIG [ARGS...]: run the spin guest, SIGTERM after 1 s
# (NSIG 2: again 0.5 s later); NAME.rc, NAME.err, NAME.secs (seconds from
# the first signal to warden's end).  The signals go to warden itself:
# timeout(1) would forward only the first (it ignores the signal after).
sig_run() {
	local name=$1 bin=$2 nsig=$3 pid wd t0 t1
	shift 3
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	rm -f "$OUT/$name".*   # nothing from an earlier run may be checked
	"$bin" run --mem 16 --kernel "$SPIN" --kernel-format flat --stats "$OUT/$name.json" "$@" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null &
	pid=$!
	( sleep 60; kill -KILL $pid ) >/dev/null 2>&1 &
	wd=$!
	sleep 1
	t0=$(date +%s.%N)
	kill -TERM $pid
	if [ "$nsig" = 2 ]; then
		sleep 0.5
		kill -TERM $pid
	fi
	wait $pid
	echo $? >"$OUT/$name.rc"
	t1=$(date +%s.%N)
	kill $wd 2>/dev/null
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }' >"$OUT/$name.secs"
}
# secs_in NAME LO HI: NAME took at least LO and less than HI seconds.
secs_in() { awk -v t="$(cat "$OUT/$1.secs" 2>/dev/null)" -v lo="$2" -v hi="$3" 'BEGIN { exit !(t != "" && t + 0 >= lo && t + 0 < hi) }'; }
timed() { # LABEL NAME LO HI
	if secs_in "$2" "$3" "$4"; then pass "$1 ($(cat "$OUT/$2.secs") s)"; else failed "$1: $(cat "$OUT/$2.secs" 2>/dev/null) s, want $3 to $4"; fi
}

shutdown_checks() { # BIN LABEL
	local bin=$1 l=$2 n

	n=$l-shutdown-grace
	sig_run $n "$bin" 1 --shutdown-timeout 2
	expect_eq "$l shutdown: ignored power button, stopped at --shutdown-timeout (status 7)" 7 "$(rc $n)"
	expect_match "$l shutdown: the first signal asks the guest" \
		'^warden: asking the guest to shut down \(power button\); a second signal stops it at once$' "$OUT/$n.err"
	expect_match "$l shutdown: the timeout is announced" 'did not shut down within 2 s' "$OUT/$n.err"
	timed "$l shutdown: hard stop 2 s after the signal" $n 2 4
	expect_eq "$l shutdown: one press of the power button" 1 "$(json $OUT/$n.json '.device_work["power-button"].interrupts')"

	n=$l-shutdown-twice
	sig_run $n "$bin" 2
	expect_eq "$l shutdown: a second signal stops the guest (status 7)" 7 "$(rc $n)"
	expect_match "$l shutdown: asked first" 'asking the guest to shut down' "$OUT/$n.err"
	timed "$l shutdown: the second signal (0.5 s later) stops it at once" $n 0.5 2.5

	n=$l-shutdown-now
	sig_run $n "$bin" 1 --shutdown-timeout 0
	expect_eq "$l shutdown: --shutdown-timeout 0 stops at once (status 7)" 7 "$(rc $n)"
	if grep -q 'asking the guest' "$OUT/$n.err"; then
		failed "$l shutdown: --shutdown-timeout 0 still asked the guest"
	else
		pass "$l shutdown: --shutdown-timeout 0 does not ask the guest"
	fi
	timed "$l shutdown: --shutdown-timeout 0 stops within 1 s" $n 0 1

	n=$l-shutdown-stuck
	WARDEN_TEST_STUCK_VCPU=0 sig_run $n "$bin" 1 --shutdown-timeout 0
	expect_eq "$l deadline: a vCPU that ignores the stop, warden ends anyway (status 1)" 1 "$(rc $n)"
	expect_eq "$l deadline: one line names it, last" "warden: vCPU 0 did not stop within 5 s" "$(tail -n 1 "$OUT/$n.err")"
	timed "$l deadline: warden ends 5 s after the stop" $n 5 8
}

# nested_checks BIN LABEL: the guest's view of SVM/VMX.
nested_checks() {
	local bin=$1 l=$2 svm vmx want st shim=$B/tests/fake-kvm-caps.so
	local g=(run --mem 16 --kernel $G/cpuid-nested.bin --kernel-format flat --test-exit-port 0xf4)

	if ! svm=$("$CK" --cpuid 0x80000001 0 ecx 2 2>&1) || ! vmx=$("$CK" --cpuid 1 0 ecx 5 2>&1); then
		failed "$l --nested: kvm-check-ext --cpuid: $svm $vmx"
		return
	fi
	"$bin" "${g[@]}" >/dev/null 2>"$OUT/$l-nested-off.err" </dev/null
	expect_eq "$l CPUID: no SVM/VMX without --nested (status 1)" 1 $?
	want=$(( ((svm | vmx << 1) << 1) | 1 ))
	"$bin" "${g[@]}" --nested >/dev/null 2>"$OUT/$l-nested-on.err" </dev/null
	expect_eq "$l CPUID: --nested shows what KVM offers (SVM $svm, VMX $vmx)" $want $?
	if [ ! -f "$shim" ]; then
		failed "$l --nested: $shim missing (make native-test builds it)"
		return
	fi
	WARDEN_FAKE_CPUID_VIRT=1 LD_PRELOAD=$shim "$bin" "${g[@]}" >/dev/null 2>&1 </dev/null
	expect_eq "$l CPUID: KVM offering VMX/SVM (shim), hidden without --nested (status 1)" 1 $?
	WARDEN_FAKE_CPUID_VIRT=1 LD_PRELOAD=$shim "$bin" "${g[@]}" --nested >/dev/null 2>&1 </dev/null
	st=$?
	# This host's KVM may still drop the SVM bit of an Intel-like vCPU:
	# VMX (status bit 2) must show.
	if [ $st = 5 ] || [ $st = 7 ]; then
		pass "$l CPUID: KVM offering VMX/SVM (shim), --nested shows it (status $st)"
	else
		failed "$l CPUID: KVM offering VMX/SVM (shim), --nested: status $st, want 5 or 7"
	fi
}
