#!/usr/bin/env bash
# The fuzzing figures of docs/benchmarks.md ("Reliability: fuzzing"):
# every libFuzzer target (tests/fuzz, docs/fuzzing.md) for SECONDS each,
# one after the other at nice 15, after the facts of the run (no KVM is
# used: the targets run warden's code on fake guest memory).
#
#   bench/fuzz.sh [SECONDS]     default 600 (issue 15 asks 10 minutes each)
#
# Prints make fuzz's table: executions, corpus size, crashes, seconds per
# target; crashing inputs are in build/fuzz/crashes/<target>/.
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/facts.sh
SECONDS_EACH=${1:-600}
bench_facts
echo "fact: $(${FUZZ_CC:-clang} --version | head -n 1), libFuzzer + ASan + UBSan; $SECONDS_EACH s per target"
make --no-print-directory fuzz FUZZ_SECONDS="$SECONDS_EACH"
