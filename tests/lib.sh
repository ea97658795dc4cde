# Shared helpers for warden's shell test tiers: each check prints
# "ok"/"FAIL"/"SKIP" with a name; the tier's last line is
# "<tier>: N passed, M failed, K skipped" (tests/summary.sh sums them and
# names every skip, so a skip always says "skipped: why").
PASSED=0
FAILED=0
SKIPPED=0

pass() { PASSED=$((PASSED + 1)); echo "  ok    $*"; }
failed() { FAILED=$((FAILED + 1)); echo "  FAIL  $*"; }
skip() { SKIPPED=$((SKIPPED + 1)); echo "  SKIP  skipped: $*"; }

# The names of warden's threads, as an extended regex: "vcpu<N>",
# "observatory", a virtio device's I/O thread by its device's name
# ("virtio-blk0", "virtio-rng"), and "warden" for the main thread and
# every thread that keeps the process name (prefault, parallel reads);
# with the API (docs/api.md), "fc_vcpu <N>" and libmicrohttpd's "MHD-single".
# The emulated tier does not rerun L1 when its kernel reports one of them
# stuck; the native tier checks that a running warden names no thread
# otherwise.
WARDEN_THREADS='warden|vcpu[0-9]+|observatory|fc_vcpu [0-9]+|MHD-single|virtio-[a-z]+[0-9]*'

# unusable VALUE: why VALUE cannot stand in a comparison (nothing if it
# can): empty (a command that printed nothing), null (a JSON key that is
# not there) or json()'s answer for a missing or broken file. Two sides
# that are both missing must never agree.
unusable() {
	case $1 in
	"") echo "empty" ;;
	null) echo "null" ;;
	json-error:*) echo "$1" ;;
	esac
}

# expect_eq NAME EXPECTED ACTUAL: equal, and neither side unusable (above).
# A check that wants a JSON key to be absent uses expect_absent.
expect_eq() {
	local why
	why=$(unusable "$2")
	[ -z "$why" ] || why="expected side is $why"
	[ -n "$why" ] || { why=$(unusable "$3"); [ -z "$why" ] || why="actual side is $why"; }
	if [ -n "$why" ]; then
		failed "$1: nothing to compare: $why (expected '$2', got '$3')"
	elif [ "$2" = "$3" ]; then
		pass "$1 ($3)"
	else
		failed "$1: expected '$2', got '$3'"
	fi
}

# expect_absent NAME ACTUAL: ACTUAL is json()'s "null" (not an error, not empty).
expect_absent() {
	if [ "$2" = null ]; then pass "$1 (null)"; else failed "$1: expected null, got '$2'"; fi
}

# expect_match NAME REGEX FILE
expect_match() {
	if grep -Eq -- "$2" "$3"; then pass "$1"; else failed "$1: /$2/ not in $3"; echo "----- $3"; tail -n 20 "$3"; echo "-----"; fi
}

# json_file_error FILE: why FILE is not one usable JSON document (nothing if it is).
json_file_error() {
	if [ ! -e "$1" ]; then
		echo "json-error: $1 is missing"
	elif [ ! -s "$1" ]; then
		echo "json-error: $1 is empty"
	elif ! jq -e 'true' "$1" >/dev/null 2>&1; then
		echo "json-error: $1 is not JSON"
	fi
}

# json FILE FILTER: a jq query on a stats file ("null" when the key is
# absent). A missing, empty or broken file, or a query jq refuses, answers
# "json-error: why", which no expect_* check accepts.
json() {
	local why out
	why=$(json_file_error "$1")
	if [ -n "$why" ]; then
		echo "$why"
	elif out=$(jq -r "$2" "$1" 2>/dev/null); then
		printf '%s\n' "$out"
	else
		echo "json-error: jq '$2' failed on $1"
	fi
}

# expect_same_json NAME FILE1 FILE2: both files are JSON and hold the same
# value (key order aside); a missing or empty file fails.
expect_same_json() {
	local f why a b
	for f in "$2" "$3"; do
		why=$(json_file_error "$f")
		if [ -n "$why" ]; then
			failed "$1: nothing to compare: $why"
			return
		fi
	done
	a=$(jq -S -c . "$2") b=$(jq -S -c . "$3")
	if [ "$a" = "$b" ]; then
		pass "$1 ($(printf '%s' "$a" | wc -c) bytes of JSON)"
	else
		failed "$1: $2 and $3 differ: $(diff <(jq -S . "$2") <(jq -S . "$3") | head -n 6 | tr '\n' ' ')"
	fi
}

# helper_checks: the helpers above can fail. Each line runs a helper in a
# subshell on inputs that must be refused and counts its failures.
helper_checks() {
	local none=/nonexistent/warden-stats.json empty
	empty=$(mktemp)
	_lib_refused() { # NAME COMMAND...: the command, run alone, fails exactly one check
		local n
		n=$(PASSED=0 FAILED=0; "${@:2}" >/dev/null; echo "$FAILED")
		[ "$n" = 1 ] && pass "check can fail: $1" || failed "helpers: $1 was not refused ($n failures)"
	}
	_lib_refused "two missing stats files do not agree" expect_eq "x" "$(json $none .total)" "$(json $none .total)"
	_lib_refused "two empty stats files do not agree" expect_eq "x" "$(json "$empty" .total)" "$(json "$empty" .total)"
	_lib_refused "two absent keys do not agree" expect_eq "x" null null
	_lib_refused "two empty outputs do not agree" expect_eq "x" "" ""
	_lib_refused "an empty value is not null" expect_absent "x" ""
	_lib_refused "a missing file is not null" expect_absent "x" "$(json $none .total)"
	_lib_refused "two empty JSON files are not the same JSON" expect_same_json "x" "$empty" "$empty"
	_lib_refused "two missing JSON files are not the same JSON" expect_same_json "x" $none $none
	unset -f _lib_refused
	rm -f "$empty"
}

# finish TIER [MORE]: the tier's last line; MORE (e.g. "1 rerun (why)")
# follows the counts after a comma.
finish() {
	local tier=$1
	echo "$tier: $PASSED passed, $FAILED failed, $SKIPPED skipped${2:+, $2}"
	[ "$FAILED" -eq 0 ]
}
