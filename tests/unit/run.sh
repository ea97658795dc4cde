#!/usr/bin/env bash
# Unit tier runner (tests/unit/unit.mk): runs each cmocka test binary given,
# its full output in <binary>.log, and counts per test:
#   passed   cmocka's "[       OK ]" lines;
#   skipped  the tests cmocka names in "[  SKIPPED ]" lines that also said
#            why ("skipped: <test>: <why>", printed by u_skip in unit.h);
#            a skip that did not say why counts as failed;
#   failed   the rest of the tests the binary announced, so a test cut short
#            by a crash (sanitizer abort, signal) counts as failed, and so do
#            the tests it never reached.
# A binary that dies before announcing its tests, or exits non-zero after
# all of them passed or were skipped (e.g. LeakSanitizer at exit), counts as
# one failure. Each skip is printed as "  SKIP  skipped: unit <binary>/<test>:
# <why>" for tests/summary.sh. The last line is
# "unit: N passed, M failed, K skipped".
#
#   tests/unit/run.sh [--selftest SELFTEST_BINARY] TEST_BINARY...
# --selftest first runs these counting rules on a binary with one passing,
# one failing, one skipped and one silently skipped test, and counts a
# check that the result was "1 passed, 2 failed, 1 skipped".
# Env: UNIT_VERBOSE=1 also shows cmocka's per-test RUN/OK lines;
#      UNIT_TIER names the tier in the last line (default unit).
set -uo pipefail

tier=${UNIT_TIER:-unit}
selftest=
if [ "${1:-}" = --selftest ]; then
	selftest=$2
	shift 2
fi
passed=0 failed=0 skipped=0 broken=""

if [ -n "$selftest" ]; then
	want="selftest: 1 passed, 2 failed, 1 skipped"
	got=$(UNIT_TIER=selftest UNIT_VERBOSE= bash "$0" "$selftest" 2>&1 | tail -n 1)
	echo "== unit: the runner's counting rules ($selftest)"
	if [ "$got" = "$want" ]; then
		echo "  ok    check can fail: a failing test and a skip without a reason count as failed ($got)"
		passed=$((passed + 1))
	else
		echo "  FAIL  the runner counted '$got' for the self-test binary, not '$want'"
		failed=$((failed + 1))
		broken="$broken runner-selftest"
	fi
fi

for t in "$@"; do
	name=${t##*/}
	log=$t.log
	CMOCKA_MESSAGE_OUTPUT=stdout UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
		"$t" >"$log" 2>&1
	rc=$?
	echo "== unit: $name"
	if [ -n "${UNIT_VERBOSE:-}" ]; then
		cat "$log"
	else
		grep -v -e '^\[ RUN      \] ' -e '^\[       OK \] ' -e '^skipped: ' "$log"
	fi
	total=$(sed -n 's/^\[==========\] Running \([0-9][0-9]*\) test(s)\.$/\1/p' "$log" | head -n 1)
	ok=$(grep -c '^\[       OK \] ' "$log")
	# cmocka names a skipped test twice: as it runs, and in its closing list.
	mapfile -t sk < <(sed -n 's/^\[  SKIPPED \] //p' "$log" | grep -v ' test(s), listed below:$' | sort -u)
	nsk=0
	for s in "${sk[@]}"; do
		why=$(awk -v p="skipped: $s: " 'index($0, p) == 1 { print substr($0, length(p) + 1); exit }' "$log")
		if [ -n "$why" ]; then
			echo "  SKIP  skipped: unit $name/$s: $why"
			nsk=$((nsk + 1))
		else
			echo "!! $name: $s was skipped without saying why (u_skip in unit.h): counted as failed"
		fi
	done
	if [ -z "$total" ]; then
		echo "!! $name exited with status $rc before running any test"
		bad=1 ok=0 nsk=0
	else
		bad=$((total - ok - nsk))
		if [ $rc -ne 0 ] && [ $bad -eq 0 ]; then
			echo "!! $name exited with status $rc after its tests passed or were skipped (see above)"
			bad=1
		elif [ $rc -ne 0 ] && ! grep -q '^\[==========\] [0-9][0-9]* test(s) run\.$' "$log"; then
			echo "!! $name died (status $rc) in $(sed -n 's/^\[ RUN      \] //p' "$log" | tail -n 1)" \
				"after $ok of $total tests passed; the rest count as failed"
		fi
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	skipped=$((skipped + nsk))
	[ $bad -eq 0 ] || broken="$broken $name"
done
[ -z "$broken" ] || echo "failing:$broken (full logs: <test binary>.log next to each binary)"
echo "$tier: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
