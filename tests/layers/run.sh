#!/usr/bin/env bash
# The layers tier: the checker first proves it can fail (a tiny tree with
# an #include cycle, a call cycle and an upward call must be refused),
# then checks src/ against the objects of `make`.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

# The bad tree: core includes devices (a cycle with devices -> core), and
# core/a.c calls devices/b.c, which calls back.
mkdir -p "$T/src/core" "$T/src/devices" "$T/obj/core" "$T/obj/devices"
printf '#include "devices/b.h"\nvoid b(void);\nvoid a(void) { b(); }\nvoid a2(void) {}\n' >"$T/src/core/a.c"
printf '#include "core/a.h"\nvoid a2(void);\nvoid b(void) { a2(); }\n' >"$T/src/devices/b.c"
printf '#include "core/a.h"\n' >"$T/src/devices/b.h"
printf '\n' >"$T/src/core/a.h"
gcc -c -o "$T/obj/core/a.o" "$T/src/core/a.c" -I"$T/src" 2>/dev/null &&
	gcc -c -o "$T/obj/devices/b.o" "$T/src/devices/b.c" -I"$T/src" 2>/dev/null ||
	{ echo "  FAIL  layers: cannot build the checker's bad tree"; fail=1; }
bad=$(python3 tests/layers/check.py "$T/src" "$T/obj")
for want in "no #include cycle between folders" "no call cycle between files" \
	"folders include only folders below them" "files call only into folders below theirs"; do
	if grep -q "^  FAIL  layers: $want" <<<"$bad"; then
		echo "  ok    layers: the checker catches a broken rule: $want"
	else
		echo "  FAIL  layers: the checker missed a broken rule: $want"
		fail=$((fail + 1))
	fi
done

out=$(python3 tests/layers/check.py src "$BUILD/obj")
echo "$out" | grep -v '^layers: [0-9]* passed'
read -r p f < <(sed -nE 's/^layers: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' <<<"$out")
echo "layers: $((${p:-0} + 4 - fail)) passed, $((${f:-1} + fail)) failed, 0 skipped"
[ "${f:-1}" -eq 0 ] && [ $fail -eq 0 ]
