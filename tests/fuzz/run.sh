#!/usr/bin/env bash
# Runs warden's libFuzzer targets (tests/fuzz/fuzz_*.c; docs/fuzzing.md).
#
#   run.sh fuzz SECONDS BIN...   `make fuzz`: each target for SECONDS,
#       from its corpus (tests/fuzz/corpus/<target>, read only) and what
#       earlier runs found ($FUZZ_DIR/corpus/<target>); one line per
#       target: executions, corpus size, crashes, seconds.  A crash leaves
#       its input in $FUZZ_DIR/crashes/<target>/ and fails the run.
#   run.sh test SECONDS BIN...   the fuzz-test tier of `make test`: each
#       target replays its corpus, then fuzzes for SECONDS from it; passed
#       or failed per target, all skipped (saying why) without clang or
#       its libFuzzer.  Builds the targets itself ($MAKE fuzz-build).
#
# Fuzzers run at nice 15, one at a time: the machine is shared.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
mode=$1 secs=$2
shift 2
FUZZ_DIR=${FUZZ_DIR:-build/fuzz}
CORPUS=tests/fuzz/corpus
mkdir -p "$FUZZ_DIR/logs"

name() { local b=${1##*/}; echo "${b#fuzz_}"; }

# fuzz_one BIN SECONDS WORKDIR SEEDDIR: libFuzzer on BIN; sets RC, EXECS,
# CORP, CRASHES (inputs left in the crash directory by this run), SECS.
fuzz_one() {
	local bin=$1 t crashdir log dict=() start
	t=$(name "$bin")
	crashdir=$FUZZ_DIR/crashes/$t
	log=$FUZZ_DIR/logs/$t.log
	mkdir -p "$3" "$crashdir"
	[ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
	local before
	before=$(find "$crashdir" -type f | wc -l)
	start=$(date +%s)
	# -close_fd_mask=1: the guest's console output would bury the log.
	nice -n 15 "$bin" -max_total_time="$2" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-close_fd_mask=1 -artifact_prefix="$crashdir/" "${dict[@]}" "$3" "$4" >"$log" 2>&1
	RC=$?
	SECS=$(($(date +%s) - start))
	EXECS=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	# -a: a log may hold bytes that make grep call it binary (a guest's
	# output, or a hole where another run truncated it) and print no match.
	CORP=$(grep -a -o 'corp: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	CRASHES=$(($(find "$crashdir" -type f | wc -l) - before))
	LOG=$log
}

# A target's failure: what it found, and how to reproduce it.
explain() {
	local bin=$1 t
	t=$(name "$bin")
	echo "        log: $LOG"
	grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|runtime error:' "$LOG" |
		sed 's/^/        /'
	# A corpus input (replay) or what the fuzzer found (crash directory).
	sed -n 's/^Running: //p' "$LOG" | tail -n 1 | while read -r c; do echo "        reproduce: $bin $c"; done
	find "$FUZZ_DIR/crashes/$t" -type f -newer "$FUZZ_DIR/logs/$t.log.start" 2>/dev/null | head -n 3 |
		while read -r c; do echo "        reproduce: $bin $c"; done
}

run_fuzz() {
	local st=0 bin
	printf '%-16s %12s %8s %8s %8s\n' target executions corpus crashes seconds
	for bin in "$@"; do
		touch "$FUZZ_DIR/logs/$(name "$bin").log.start"
		fuzz_one "$bin" "$secs" "$FUZZ_DIR/corpus/$(name "$bin")" "$CORPUS/$(name "$bin")"
		printf '%-16s %12s %8s %8s %8s\n' "$(name "$bin")" "${EXECS:-?}" "${CORP:-?}" "$CRASHES" "$SECS"
		if [ "$RC" -ne 0 ] || [ "$CRASHES" -ne 0 ]; then
			explain "$bin"
			st=1
		fi
	done
	return $st
}

# --- the tier ------------------------------------------------------------

# test_one BIN CORPUS: replay every input of CORPUS, then fuzz from it.
test_one() {
	local bin=$1 corpus=$2 tmp files
	touch "$FUZZ_DIR/logs/$(name "$bin").log.start"
	mapfile -t files < <(find "$corpus" -type f | sort)
	if [ ${#files[@]} -gt 0 ] &&
		! nice -n 15 "$bin" -close_fd_mask=1 "${files[@]}" >"$FUZZ_DIR/logs/$(name "$bin").replay.log" 2>&1; then
		LOG=$FUZZ_DIR/logs/$(name "$bin").replay.log
		WHY="a corpus input fails"
		return 1
	fi
	tmp=$(mktemp -d)
	fuzz_one "$bin" "$secs" "$tmp" "$corpus"
	rm -rf "$tmp"
	WHY="crashed while fuzzing"
	DONE="${#files[@]} corpus inputs, then ${EXECS:-?} executions in ${SECS} s"
	[ "$RC" -eq 0 ] && [ "$CRASHES" -eq 0 ]
}

# Why the tier cannot run here, or nothing.
cannot_run() {
	local cc=${FUZZ_CC:-clang} d
	command -v "$cc" >/dev/null || { echo "no $cc (apt-get install clang; scripts/deps.sh)"; return; }
	d=$(mktemp -d)
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }\n' >"$d/t.c"
	"$cc" -fsanitize=fuzzer,address,undefined -o "$d/t" "$d/t.c" >/dev/null 2>&1 ||
		echo "$cc cannot build a libFuzzer target with ASan and UBSan (no libclang_rt.fuzzer?)"
	rm -rf "$d"
}

# The runner fails a target whose corpus crashes it, and one whose fuzzing
# finds a crash: shown on the planted target before the real ones run.
selfcheck() {
	local bin=$FUZZ_DIR/selfcheck d
	d=$(mktemp -d)
	mkdir -p "$d/crashing" "$d/near"
	printf 'crash!' >"$d/crashing/input"
	printf 'crasX' >"$d/near/input"
	if test_one "$bin" "$d/crashing"; then
		failed "check can fail: a corpus input that crashes was not counted"
	else
		pass "check can fail: a corpus input that crashes fails its target"
	fi
	if test_one "$bin" "$d/near"; then
		failed "check can fail: a crash found while fuzzing was not counted"
	else
		pass "check can fail: a crash found while fuzzing fails its target ($CRASHES input kept)"
	fi
	rm -rf "$d" "$FUZZ_DIR/crashes/selfcheck"
}

run_test() {
	local why bin
	why=$(cannot_run)
	if [ -n "$why" ]; then
		for bin in "$@"; do skip "fuzz-test targets/$(name "$bin"): $why"; done
		finish fuzz-test
		return
	fi
	if ! ${MAKE:-make} --no-print-directory fuzz-build >"$FUZZ_DIR/logs/build.log" 2>&1; then
		tail -n 20 "$FUZZ_DIR/logs/build.log"
		for bin in "$@"; do failed "fuzz $(name "$bin"): the targets do not build ($FUZZ_DIR/logs/build.log)"; done
		finish fuzz-test
		return
	fi
	selfcheck
	for bin in "$@"; do
		if test_one "$bin" "$CORPUS/$(name "$bin")"; then
			pass "fuzz $(name "$bin"): $DONE"
		else
			failed "fuzz $(name "$bin"): $WHY"
			explain "$bin"
		fi
	done
	finish fuzz-test
}

case $mode in
fuzz) run_fuzz "$@" ;;
test) run_test "$@" ;;
*) echo "usage: $0 fuzz|test SECONDS BIN..." >&2; exit 2 ;;
esac
