# Direct vmlinux boot checks (sourced by tests/emu/run.sh).
if [ ! -s build/guest/vmlinux ]; then
	skip "build/guest/vmlinux missing (make guest extracts it): vmlinux cases not checked"
else
	out="$OUT/vmlinux_cpus2.out"
	expect_eq "vmlinux: default guest boots with --cpus 2 and powers off" 0 "$(rc vmlinux_cpus2)"
	expect_match "vmlinux: default guest reaches its init line" '^warden-guest: up [0-9]' "$out"
	expect_eq "vmlinux: guest sees 2 CPUs" 2 "$(grep -E '^[0-9]+$' "$out" | head -1)"
	expect_eq "vmlinux: 2 vCPUs in the stats" 2 "$(js vmlinux_cpus2 '.per_vcpu | length')"
	expect_eq "vmlinux: booted from the vmlinux (warden's 2.12 setup header)" 0x020c \
		"$(grep -E '^0x[0-9a-f]{4}$' "$out" | head -1)"
	# KASLR: 2 MiB aligned, inside the kernel's 1 GiB virtually and at or
	# above 16 MiB physically; moved in at least one of two boots (both
	# staying at the link address by chance: about 1 in 10^7).
	moved=0
	for c in vmlinux_cpus2 vmlinux_default; do
		v=$(awk '$3 == "_text" { print $1; exit }' "$OUT/$c.out")
		p=$(awk '/Kernel code/ { sub(/-.*/, "", $1); print $1; exit }' "$OUT/$c.out")
		expect_match "vmlinux: $c: _text is a 2 MiB aligned kernel address ($v)" \
			'^ffffffff[89ab][0-9a-f][02468ace]00000$' <(echo "$v")
		expect_match "vmlinux: $c: kernel code 2 MiB aligned at or above 16 MiB ($p)" \
			'^0*[1-9a-f][0-9a-f]*[02468ace]00000$' <(echo "$p")
		[ "$v" = ffffffff81000000 ] && [ "$((16#${p:-0}))" = $((16#1000000)) ] || moved=$((moved + 1))
	done
	expect_eq "vmlinux: KASLR moved the kernel (boots that left the link address)" yes \
		"$([ $moved -ge 1 ] && echo yes || echo "no: $moved")"
	out="$OUT/vmlinux_nokaslr.out"
	expect_eq "vmlinux: nokaslr boots" 0 "$(rc vmlinux_nokaslr)"
	expect_eq "vmlinux: nokaslr keeps the link address" ffffffff81000000 \
		"$(awk '$3 == "_text" { print $1; exit }' "$out")"
	expect_eq "vmlinux: nokaslr keeps the link physical address" 01000000 \
		"$(awk '/Kernel code/ { sub(/-.*/, "", $1); print $1; exit }' "$out")"
	out="$OUT/vmlinux_bz.out"
	expect_eq "vmlinux: the bzImage still boots with --kernel" 0 "$(rc vmlinux_bz)"
	expect_match "vmlinux: the bzImage reaches its init line" '^warden-guest: up [0-9]' "$out"
	expect_eq "vmlinux: the bzImage gets its own setup header (2.15)" 0x020f \
		"$(grep -E '^0x[0-9a-f]{4}$' "$out" | head -1)"
	expect_eq "vmlinux: the default guest boots" 0 "$(rc vmlinux_default)"
	expect_eq "vmlinux: the default guest is the vmlinux (2.12 setup header)" 0x020c \
		"$(grep -E '^0x[0-9a-f]{4}$' "$OUT/vmlinux_default.out" | head -1)"
	expect_eq "vmlinux: default guest without a vmlinux boots" 0 "$(rc vmlinux_default_gz)"
	expect_eq "vmlinux: without a vmlinux the default guest is the bzImage (2.15)" 0x020f \
		"$(grep -E '^0x[0-9a-f]{4}$' "$OUT/vmlinux_default_gz.out" | head -1)"
	refused "vmlinux: a cut-off vmlinux" vmlinux_cut 'vmlinux-cut: ELF section header table outside the file'
	refused "vmlinux: a bzImage cut short" vmlinuz_cut 'vmlinuz-cut: truncated bzImage: its header says [0-9]+ bytes'
fi
