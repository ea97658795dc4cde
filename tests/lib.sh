# Shared helpers for warden's shell test tiers: each check prints
# "ok"/"FAIL" with a name; the tier ends with "<tier>: N passed, M failed".
PASSED=0
FAILED=0
SKIPPED=0

pass() { PASSED=$((PASSED + 1)); echo "  ok    $*"; }
failed() { FAILED=$((FAILED + 1)); echo "  FAIL  $*"; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "  SKIP  skipped: $*"; }

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1 ($3)"; else failed "$1: expected '$2', got '$3'"; fi
}

# expect_match NAME REGEX FILE
expect_match() {
	if grep -Eq -- "$2" "$3"; then pass "$1"; else failed "$1: /$2/ not in $3"; echo "----- $3"; tail -n 20 "$3"; echo "-----"; fi
}

# json FILE FILTER: a jq query on a stats file ("null" when absent)
json() { jq -r "$2" "$1" 2>/dev/null || echo "invalid-json"; }

finish() {
	local tier=$1
	echo "$tier: $PASSED passed, $FAILED failed, $SKIPPED skipped"
	[ "$FAILED" -eq 0 ]
}
