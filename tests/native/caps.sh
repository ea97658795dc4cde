#!/usr/bin/env bash
# `warden caps` on this host's /dev/kvm: the text and the JSON report agree
# with each other and with what KVM, /sys/module and /proc/cpuinfo say when
# asked without warden (tests/native/kvm_check_ext.c). Sourced by run.sh
# (which provides B, OUT and the tests/lib.sh helpers); also runs alone:
#   NATIVE_BUILD=build/h-caps bash tests/native/caps.sh
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	cd "$(dirname "$0")/../.."
	. tests/lib.sh
	B=${NATIVE_BUILD:-build}
	OUT=$B/tests/native
	mkdir -p "$OUT"
	CAPS_ALONE=1
fi
echo "== warden caps"
CK=$B/tests/kvm-check-ext

caps_text=$OUT/caps.out
caps_json=$OUT/caps.json
$B/warden caps >"$caps_text" 2>"$OUT/caps.err" </dev/null
expect_eq "caps: exit status" 0 "$?"
expect_eq "caps: nothing on stderr" 0 "$(wc -c <"$OUT/caps.err")"
$B/warden caps --json >"$caps_json" 2>"$OUT/caps-json.err" </dev/null
expect_eq "caps --json: exit status" 0 "$?"
if jq -e . "$caps_json" >/dev/null 2>&1; then pass "caps --json: the output parses"
else failed "caps --json: not JSON: $(head -c 200 "$caps_json")"; fi

# The host kind, from /sys/module and /proc/cpuinfo directly.
if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_amd ] && [ ! -d /sys/module/kvm_intel ]; then
	expect_match "caps: says the host's KVM is PVM" \
		'^  KVM module  kvm_pvm: paravirtual nested KVM \(PVM\): not hardware-assisted; guest kernel code is emulated$' "$caps_text"
	expect_eq "caps --json: host.pvm" true "$(json "$caps_json" .host.pvm)"
	expect_match "caps: no hardware features on PVM" '^hardware features: none: kvm_pvm uses no VT-x/AMD-V' "$caps_text"
	expect_eq "caps --json: no vendor-module rows on PVM" 0 \
		"$(json "$caps_json" '[.hardware[] | select(.module != "kvm")] | length')"
else
	expect_eq "caps --json: host.pvm" false "$(json "$caps_json" .host.pvm)"
	for m in kvm_amd kvm_intel; do
		[ -d /sys/module/$m ] && expect_match "caps: names $m" "^  KVM module  $m: hardware-assisted" "$caps_text"
	done
fi
if grep -m1 '^flags' /proc/cpuinfo | grep -qw hypervisor; then
	expect_eq "caps --json: the CPU is virtualised (cpuinfo: hypervisor)" true "$(json "$caps_json" .host.cpu_hypervisor)"
	expect_match "caps: says so" '^  host CPU    (virtualised|emulated) by ' "$caps_text"
else
	expect_eq "caps --json: bare-metal CPU" false "$(json "$caps_json" .host.cpu_hypervisor)"
fi
svm=false; grep -m1 '^flags' /proc/cpuinfo | grep -qw svm && svm=true
expect_eq "caps --json: svm flag as in /proc/cpuinfo" $svm "$(json "$caps_json" .host.cpu_svm)"

# What warden uses: ioeventfd and irqfd are there and used.
for c in ioeventfd irqfd; do
	expect_match "caps: $c available and used" "^  $c +yes +yes +" "$caps_text"
	expect_eq "caps --json: $c used_by names the source" true \
		"$(json "$caps_json" ".capabilities[] | select(.name==\"$c\") | .used_by | test(\"src/virtio/mmio.c\")")"
done
expect_eq "caps --json: split-irqchip used by --irqchip split (src/core/ioapic.c)" true \
	"$(json "$caps_json" '.capabilities[] | select(.name=="split-irqchip") | .used_by | test("src/core/ioapic.c")')"
expect_eq "caps --json: readonly-mem used by the IOAPIC's window page (src/core/ioapic.c)" true \
	"$(json "$caps_json" '.capabilities[] | select(.name=="readonly-mem") | .used_by | test("src/core/ioapic.c")')"
expect_match "caps: x2apic-api is not used (warden does not enable it)" '^  x2apic-api +[^ ]+ +no +' "$caps_text"

# The text and the JSON say the same, row by row, for a few capabilities.
# columns_after LINE WORD...: "ok" if LINE is exactly these words, separated
# by runs of spaces, and then more text.
columns_after() {
	local rest=$1 w
	shift
	for w in "$@"; do
		[[ "$rest" == "$w "* ]] || { echo "no: '$w' at '$rest'"; return; }
		rest=${rest#"$w"}
		rest=${rest#"${rest%%[! ]*}"}
	done
	[ -n "$rest" ] && echo ok || echo "no: nothing after"
}
for c in ioeventfd irqfd disable-exits dirty-log-ring x2apic-api max-vcpus; do
	v=$(json "$caps_json" ".capabilities[] | select(.name==\"$c\") | .value")
	u=$(json "$caps_json" ".capabilities[] | select(.name==\"$c\") | if .used then \"yes\" else \"no\" end")
	line=$(grep -E "^  $c " "$caps_text")
	if [ -n "$v" ] && [ "$(columns_after "$line" "  $c" "$v" "$u")" = ok ]; then
		pass "caps: text and JSON agree on $c ($v, used $u)"
	else
		failed "caps: $c: JSON value '$v' used '$u', text '$line'"
	fi
done

# Each answer equals KVM_CHECK_EXTENSION asked without warden: on the
# device and on a VM (x2apic-api differs between the two on some hosts).
if [ -x "$CK" ]; then
	for c in ioeventfd:36 irqfd:32 disable-exits:143 x2apic-api:129 dirty-log-ring:192 max-vcpus:66; do
		name=${c%%:*} nr=${c#*:}
		expect_eq "caps --json: $name on /dev/kvm = KVM_CHECK_EXTENSION $nr" "$($CK "$nr")" \
			"$(json "$caps_json" ".capabilities[] | select(.name==\"$name\") | .system")"
		expect_eq "caps --json: $name on a VM = KVM_CHECK_EXTENSION $nr" "$($CK --vm "$nr")" \
			"$(json "$caps_json" ".capabilities[] | select(.name==\"$name\") | .vm")"
		expect_eq "caps --json: $name number" "$nr" \
			"$(json "$caps_json" ".capabilities[] | select(.name==\"$name\") | .number")"
	done
	eax=$($CK --pv)
	if [ "$eax" = none ]; then
		expect_eq "caps --json: no PV feature without leaf 0x40000001" 0 \
			"$(json "$caps_json" '[.pv_features[] | select(.available)] | length')"
	else
		want=$(jq -r --argjson eax "$((eax))" \
			'[.pv_features[] | select((($eax / pow(2; .bit)) | floor) % 2 == 1) | .name] | join(",")' "$caps_json")
		expect_eq "caps --json: PV features = KVM_GET_SUPPORTED_CPUID 0x40000001 EAX ($eax)" "$want" \
			"$(json "$caps_json" '[.pv_features[] | select(.available) | .name] | join(",")')"
		[ -n "$want" ] && pass "caps: some PV features offered ($want)" || failed "caps: EAX $eax but no PV feature named"
	fi
else
	failed "caps: $CK missing (make native-test builds it)"
fi

# Module parameters are shown as the files say.
hp=$(cat /sys/module/kvm/parameters/halt_poll_ns 2>/dev/null)
if [ -n "$hp" ]; then
	expect_eq "caps --json: kvm.halt_poll_ns as in /sys/module" "$hp" \
		"$(json "$caps_json" '.hardware[] | select(.module=="kvm" and .param=="halt_poll_ns") | .value')"
	expect_match "caps: halt_poll_ns row" "^  halt_poll_ns +$hp +(auto|no) +" "$caps_text"
else
	skip "no /sys/module/kvm/parameters/halt_poll_ns: cannot compare a kvm parameter"
fi

# No KVM device: the host part is still there, one line on stderr, status 2.
$B/warden caps --kvm-device /nonexistent/kvm >"$OUT/caps-nokvm.out" 2>"$OUT/caps-nokvm.err" </dev/null
st=$?
if [ $st -eq 2 ] && [ "$(wc -l <"$OUT/caps-nokvm.err")" -eq 1 ] &&
	grep -q '^warden: no /nonexistent/kvm' "$OUT/caps-nokvm.err"; then
	pass "caps --kvm-device /nonexistent/kvm: one line, status 2"
else
	failed "caps --kvm-device /nonexistent/kvm: status $st, stderr: $(head -c 300 "$OUT/caps-nokvm.err")"
fi
expect_match "caps without KVM: host kind still shown" '^  KVM module  ' "$OUT/caps-nokvm.out"
expect_match "caps without KVM: says why the capabilities are missing" \
	'^KVM capabilities not checked: no /nonexistent/kvm' "$OUT/caps-nokvm.out"
$B/warden caps --json --kvm-device /nonexistent/kvm >"$OUT/caps-nokvm.json" 2>/dev/null </dev/null
expect_eq "caps --json without KVM: status 2" 2 "$?"
expect_eq "caps --json without KVM: not checked, no capability rows" "false 0" \
	"$(json "$OUT/caps-nokvm.json" '"\(.kvm.checked) \(.capabilities | length)"')"
expect_eq "caps --json without KVM: error given" true "$(json "$OUT/caps-nokvm.json" '.kvm.error | test("no /nonexistent/kvm")')"
$B/warden caps --kvm-device /dev/null >/dev/null 2>"$OUT/caps-null.err" </dev/null
st=$?
expect_eq "caps --kvm-device /dev/null: status 2" 2 "$st"
expect_match "caps --kvm-device /dev/null: not a KVM device" '^warden: /dev/null is not a KVM device$' "$OUT/caps-null.err"
$B/warden caps --frobnicate >/dev/null 2>"$OUT/caps-bad.err" </dev/null
st=$?
if [ $st -eq 2 ] && [ "$(wc -l <"$OUT/caps-bad.err")" -eq 1 ]; then pass "caps: unknown option, one line, status 2"
else failed "caps --frobnicate: status $st: $(cat "$OUT/caps-bad.err")"; fi
$B/warden caps --help >"$OUT/caps-help.out" 2>&1
expect_eq "caps --help: status 0" 0 "$?"
expect_match "caps --help: documents the exit status" '^Exit status: 0 everything checked' "$OUT/caps-help.out"

# The same report under AddressSanitizer + UBSan, if that build is there.
if [ -x "$B/asan/warden" ]; then
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$B/asan/warden caps --json >"$OUT/caps-asan.json" 2>"$OUT/caps-asan.err" </dev/null
	st=$?
	expect_eq "caps (asan): status 0, no report" "0 0" "$st $(wc -c <"$OUT/caps-asan.err")"
	expect_same_json "caps (asan): same JSON as the release build" "$caps_json" "$OUT/caps-asan.json"
elif [ -n "${CAPS_ALONE:-}" ]; then
	skip "caps (asan): no $B/asan/warden (make asan builds it)"
else
	failed "caps (asan): $B/asan/warden is missing (make native-test builds it)"
fi

if [ -n "${CAPS_ALONE:-}" ]; then
	finish native-caps
	exit $?
fi
