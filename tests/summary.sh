#!/usr/bin/env bash
# The last line of `make test`: sums the tiers' result lines
# ("<tier>: N passed, M failed, K skipped[, more]") and names every skip
# with its reason (the tiers print each as "  SKIP  skipped: why"), and
# any rerun a tier reported ("..., R reruns (why)").
#
#   tests/summary.sh TIER_LOG...
# Fails if a tier printed no result line or no skip count, if its skip count
# differs from the skips it explained, or if any test failed. Skips alone
# do not fail it: a capability the host truly lacks is not an error.
set -uo pipefail
p=0 f=0 s=0 st=0

# The refusals below can fail: a tier line without a skip count, and a
# skip that does not say why, each fail a run of this script (checked
# here on planted logs, every time; SUMMARY_SELFCHECK=0 inside).
if [ "${SUMMARY_SELFCHECK:-1}" = 1 ]; then
	d=$(mktemp -d)
	printf 'x: 1 passed, 0 failed\n' >"$d/no-skip-count.log"
	printf 'y: 1 passed, 0 failed, 1 skipped\n' >"$d/silent-skip.log"
	printf '  SKIP  skipped: why\nz: 1 passed, 0 failed, 1 skipped\n' >"$d/good.log"
	for t in no-skip-count silent-skip; do
		if SUMMARY_SELFCHECK=0 bash "$0" "$d/good.log" "$d/$t.log" >/dev/null; then
			echo "summary: self-check: a tier log with $t was accepted"
			st=1
		fi
	done
	SUMMARY_SELFCHECK=0 bash "$0" "$d/good.log" >/dev/null ||
		{ echo "summary: self-check: a good tier log was refused"; st=1; }
	rm -rf "$d"
fi
skips=() more=()
for log in "$@"; do
	line=$(grep -E '^[a-z][a-z-]*: [0-9]+ passed, [0-9]+ failed' "$log" 2>/dev/null | tail -n 1)
	if [ -z "$line" ]; then
		echo "summary: no result line in $log (the tier did not finish)"
		st=1
		continue
	fi
	re='^([a-z][a-z-]*): ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped(, (.*))?$'
	if ! [[ $line =~ $re ]]; then
		echo "summary: $log: '$line' has no skip count"
		st=1
		continue
	fi
	tier=${BASH_REMATCH[1]} tp=${BASH_REMATCH[2]} tf=${BASH_REMATCH[3]} ts=${BASH_REMATCH[4]}
	# More after the counts (e.g. "1 rerun (why)") is named when not "0 ...".
	[[ -z ${BASH_REMATCH[6]} || ${BASH_REMATCH[6]} == "0 "* ]] || more+=("$tier: ${BASH_REMATCH[6]}")
	p=$((p + tp)) f=$((f + tf)) s=$((s + ts))
	mapfile -t why < <(sed -n 's/^  SKIP  skipped: //p' "$log")
	if [ "${#why[@]}" -ne "$ts" ]; then
		echo "summary: $tier reports $ts skipped but says why for ${#why[@]} (each skip must print \"skipped: why\")"
		st=1
	fi
	for w in "${why[@]}"; do
		[[ $w == "$tier "* || $w == "$tier:"* ]] || w="$tier: $w"
		skips+=("$w")
	done
done
[ $f -eq 0 ] || st=1
# Skipped unit tests of one binary, and fuzz targets, with one reason are
# named once.
named=$(printf '%s\n' "${skips[@]}" | awk '
	NF == 0 { next }
	match($0, /^(unit|fuzz-test) [^\/ ]+\/[^: ]+: /) {
		head = substr($0, 1, RLENGTH - 2); why = substr($0, RLENGTH + 1)
		split(head, a, "/"); key = a[1] ": " why
		if (!(key in n)) order[++k] = key
		n[key]++; next
	}
	{ if (!($0 in n)) order[++k] = $0; n[$0]++ }
	END {
		for (i = 1; i <= k; i++) {
			key = order[i]
			if (n[key] > 1) {
				c = index(key, ": ")
				key = substr(key, 1, c - 1) " (" n[key] " tests)" substr(key, c)
			}
			printf "%s%s", (i > 1 ? "; " : ""), key
		}
	}')
if [ ${#skips[@]} -gt 0 ]; then
	echo "skipped:"
	printf '  %s\n' "${skips[@]}"
fi
last="total: $p passed, $f failed, $s skipped"
[ -z "$named" ] || last="$last ($named)"
for m in "${more[@]}"; do
	last="$last; $m"
done
echo "$last"
exit $st
