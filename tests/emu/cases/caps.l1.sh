# `warden caps` inside L1 (sourced by l1-tests.sh): the text and the JSON
# report, and what L1's /sys/module and /proc/cpuinfo say on their own.
warden caps >/tmp/caps.out 2>/tmp/caps.err </dev/null
echo "@@CASE caps rc=$?"
warden caps --json >/tmp/caps.json 2>/tmp/caps_json.err </dev/null
echo "@@CASE caps_json rc=$?"
{
	for p in npt avic nested vgif vls lbrv; do
		echo "$p=$(cat /sys/module/kvm_amd/parameters/$p 2>/dev/null)"
	done
	echo "halt_poll_ns=$(cat /sys/module/kvm/parameters/halt_poll_ns 2>/dev/null)"
	echo "svm=$(grep -m1 '^flags' /proc/cpuinfo | grep -cw svm)"
	echo "hypervisor=$(grep -m1 '^flags' /proc/cpuinfo | grep -cw hypervisor)"
	echo "pvm=$(test -d /sys/module/kvm_pvm && echo 1 || echo 0)"
} >/tmp/caps.sys
for f in caps.out caps.err caps.json caps_json.err caps.sys; do
	echo "@@BEGIN $f"
	cat "/tmp/$f"
	echo   # files need not end in a newline; markers must start a line
	echo "@@END $f"
done
