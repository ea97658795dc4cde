# The benchmark's guest tools, built for the host and run on a file
# (sourced by run.sh): guest/tools/randread's latency percentiles and
# guest/tools/uringio's --random order.  A file on the build tree's file
# system takes O_DIRECT as the guest's disk does.
guest_tools_checks() {
	local d=$OUT/guest-tools img p50 p99 n
	mkdir -p "$d"
	img=$d/disk.img
	if ! gcc -O2 -Wall -Wextra -Werror -o "$d/randread" guest/tools/randread.c ||
		! gcc -O2 -Wall -Wextra -Werror -o "$d/uringio" guest/tools/uringio.c; then
		failed "guest tools: randread.c or uringio.c does not build for the host"
		return
	fi
	dd if=/dev/zero of="$img" bs=1M count=2 2>/dev/null
	if ! "$d/uringio" read "$img" --size 4K --bs 4K >/dev/null 2>&1; then
		skip "guest tools: O_DIRECT io_uring reads on $img fail on this host ($(stat -f -c %T "$img"))"
		return
	fi

	# randread: the rate and the 50th/99th percentiles of 300 reads, in us.
	"$d/randread" "$img" 300 >"$d/randread.out" 2>&1
	expect_eq "guest tools: randread of a file ends with status 0" 0 "$?"
	expect_match "guest tools: randread prints the rate and the latency percentiles" \
		'^randread: 300 reads of 4096 bytes in [0-9.]+ s: [0-9]+ IOPS, [0-9.]+ MiB/s, latency p50 [0-9]+ us, p99 [0-9]+ us$' \
		"$d/randread.out"
	p50=$(sed -n 's/.*latency p50 \([0-9]*\) us, p99 \([0-9]*\) us$/\1/p' "$d/randread.out")
	p99=$(sed -n 's/.*latency p50 \([0-9]*\) us, p99 \([0-9]*\) us$/\2/p' "$d/randread.out")
	expect_eq "guest tools: randread's p50 is at most its p99 ($p50 and $p99 us)" yes \
		"$([ -n "$p50" ] && [ -n "$p99" ] && [ "$p50" -le "$p99" ] && echo yes || echo no)"

	# uringio --random: a random write of the file's size misses blocks
	# (about 1/e of them), which a sequential read with --verify finds;
	# a random read with --verify visits exactly what it wrote.
	"$d/uringio" write "$img" --size 2M --bs 4K --qd 8 --random --verify >"$d/uw.out" 2>&1
	expect_eq "guest tools: uringio random write ends with status 0" 0 "$?"
	expect_match "guest tools: ... says its order" 'verify pattern, order random$' "$d/uw.out"
	"$d/uringio" read "$img" --size 2M --bs 4K --qd 8 --random --verify >"$d/ur.out" 2>&1
	expect_eq "guest tools: uringio random read-back with --verify ends with status 0" 0 "$?"
	expect_match "guest tools: ... and finds the pattern" 'verify ok, order random$' "$d/ur.out"
	"$d/uringio" read "$img" --size 2M --bs 4K --qd 8 --verify >"$d/us.out" 2>&1
	expect_eq "guest tools: a sequential read-back finds blocks the random write skipped (status 1)" 1 "$?"
	expect_match "guest tools: ... some, not all" '^uringio: [1-9][0-9]* blocks read back did not hold the pattern$' \
		"$d/us.out"
	n=$(sed -n 's/^uringio: \([0-9]*\) blocks read back.*/\1/p' "$d/us.out")
	expect_eq "guest tools: ... between a sixth and two thirds of the 512 (${n:-none})" yes \
		"$([ -n "$n" ] && [ "$n" -gt 85 ] && [ "$n" -lt 341 ] && echo yes || echo no)"
	"$d/uringio" read "$img" --size 4K --bs 4K --random --bogus >"$d/ubad.out" 2>&1
	expect_eq "guest tools: uringio refuses an unknown option (status 2)" 2 "$?"
	rm -f "$img"
}
