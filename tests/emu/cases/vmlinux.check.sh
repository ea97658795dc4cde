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
	expect_eq "vmlinux: kernel runs at its link address (no decompressor, no KASLR)" ffffffff81000000 \
		"$(awk '$3 == "_text" { print $1; exit }' "$out")"
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
	refused "vmlinux: a cut-off vmlinux" vmlinux_cut 'vmlinux-cut: ELF segment outside the file'
fi
