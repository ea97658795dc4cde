# Shutdown from the host checks (sourced by tests/emu/run.sh).
# secs_below NAME LIMIT: the case's signal-to-end time is under LIMIT s.
secs_below() { awk -v t="$(head -1 "$OUT/$1.time" 2>/dev/null)" -v l="$2" 'BEGIN { exit !(t != "" && t + 0 < l + 0) }'; }
secs_above() { awk -v t="$(head -1 "$OUT/$1.time" 2>/dev/null)" -v l="$2" 'BEGIN { exit !(t != "" && t + 0 >= l + 0) }'; }
t() { head -1 "$OUT/$1.time" 2>/dev/null; }

# The power button: the guest powers off by itself (status 0).
expect_eq "shutdown: SIGTERM, the guest powers off on the power button (status 0)" 0 "$(rc shutdown_button)"
expect_match "shutdown: warden says it asks the guest" 'asking the guest to shut down \(power button\); a second signal stops it at once' "$OUT/shutdown_button.err"
expect_match "shutdown: the guest's acpid got the power button" '^warden-guest: power button: powering off' "$OUT/shutdown_button.out"
secs_below shutdown_button 30 && pass "shutdown: guest off within the 30 s grace period ($(t shutdown_button) s)" ||
	failed "shutdown: guest off after $(t shutdown_button) s"
expect_eq "shutdown: end reason poweroff" poweroff "$(js shutdown_button .end_reason)"
# Without --nested the guest sees no SVM.
expect_eq "--nested absent: no svm in the guest's /proc/cpuinfo" 0 "$(grep -E '^[0-9]+$' "$OUT/shutdown_button.out" | head -1)"

# A guest that ignores the button: stopped at --shutdown-timeout (status 7).
expect_eq "shutdown: button ignored, stopped at --shutdown-timeout (status 7)" 7 "$(rc shutdown_ignored)"
expect_match "shutdown: the timeout is announced" 'did not shut down within 3 s' "$OUT/shutdown_ignored.err"
if secs_above shutdown_ignored 3 && secs_below shutdown_ignored 10; then
	pass "shutdown: hard stop after the 3 s grace ($(t shutdown_ignored) s)"
else
	failed "shutdown: hard stop after $(t shutdown_ignored) s (want 3 to 10)"
fi

# A second signal stops it at once (default grace period 30 s).
expect_eq "shutdown: a second signal stops the guest (status 7)" 7 "$(rc shutdown_twice)"
secs_below shutdown_twice 6 && pass "shutdown: the second signal stopped it at once ($(t shutdown_twice) s after the first)" ||
	failed "shutdown: second signal: $(t shutdown_twice) s after the first"

# --nested: the guest sees SVM exactly when L1's KVM offers it.
l1n=$(head -1 "$OUT/shutdown_l1nested.txt" 2>/dev/null)
n=$(grep -E '^[0-9]+$' "$OUT/shutdown_nested.out" | head -1)
case $l1n in
	1|Y|y) [ "${n:-0}" -ge 1 ] 2>/dev/null && pass "--nested: the guest sees SVM ($n CPUs), as L1's KVM offers" ||
		failed "--nested: the guest sees no SVM ($n) though kvm_amd nested=$l1n" ;;
	0|N|n) expect_eq "--nested: L1's KVM offers no SVM, the guest sees none" 0 "$n" ;;
	*) failed "--nested: cannot read L1's kvm_amd nested parameter ($l1n)" ;;
esac
