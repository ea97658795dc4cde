#!/usr/bin/env bash
# Sums the tiers' closing lines ("<tier>: N passed, M failed[, K skipped]")
# into one line for the whole of `make test`. Fails if a tier printed none.
set -uo pipefail
p=0 f=0 s=0 st=0
for log in "$@"; do
	line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "summary: no result line in $log (the tier did not finish)"
		st=1
		continue
	fi
	read -r tp tf ts < <(sed -E 's/^[a-z]+: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/' <<<"$line")
	p=$((p + tp)) f=$((f + tf)) s=$((s + ${ts:-0}))
done
[ $f -eq 0 ] || st=1
echo "total: $p passed, $f failed, $s skipped"
exit $st
