# --prefault checks (sourced by tests/emu/run.sh).
mib() { sed -n 's/.*prefault: \([0-9]*\) MiB populated.*/\1/p' "$OUT/$1.err" | head -1; }
expect_eq "prefault: the default guest boots with --prefault boot" 0 "$(rc prefault_boot)"
expect_match "prefault: boot reaches the init line" '^warden-guest: up [0-9]' "$OUT/prefault_boot.out"
# boot: [16, 144) MiB of the 256 MiB guest, unless the VM ended first.
n=$(mib prefault_boot)
expect_eq "prefault: boot populated 1 to 128 MiB ($n)" yes "$([ "${n:-0}" -ge 1 ] && [ "${n:-0}" -le 128 ] && echo yes || echo no)"
expect_eq "prefault: all boots" 0 "$(rc prefault_all)"
n=$(mib prefault_all)
expect_eq "prefault: all populated 1 to 192 MiB ($n)" yes "$([ "${n:-0}" -ge 1 ] && [ "${n:-0}" -le 192 ] && echo yes || echo no)"
expect_eq "prefault: default boots" 0 "$(rc prefault_default)"
expect_eq "prefault: off by default (no helper)" 0 "$(grep -c 'prefault:' "$OUT/prefault_default.err")"
