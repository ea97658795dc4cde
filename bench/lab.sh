#!/usr/bin/env bash
# The exit lab's experiments in the emulated AMD-V tier (real SVM with
# nested paging in a QEMU TCG L1, tests/emu/l1.sh), all in one L1, at a
# size TCG gets through: each experiment's table, its JSON and status.
# The native tier needs no script: run `warden lab NAME` on the host.
#
# Usage: bench/lab.sh   (from the repo root; needs `make static`)
# Env:
#   LABS="emulated-vs-virtio batching msr-filter sensitive"   which to run
#   ARGS_emulated_vs_virtio="--seconds 1"   options per experiment (dashes
#   ARGS_batching="--reps 5"                in the name become underscores)
#   ARGS_msr_filter="--iterations 200"
#   ARGS_sensitive=""
# Output: a markdown report (build/bench/lab-<date>.md) and the JSON of
# each experiment next to it (lab-<date>-NAME.json).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
LABS=${LABS:-emulated-vs-virtio batching msr-filter sensitive}
ARGS_emulated_vs_virtio=${ARGS_emulated_vs_virtio:---seconds 1}
ARGS_batching=${ARGS_batching:---reps 5}
ARGS_msr_filter=${ARGS_msr_filter:---iterations 200}
ARGS_sensitive=${ARGS_sensitive:-}
OUT=$ROOT/build/bench/lab
die() { echo "bench/lab.sh: error: $*" >&2; exit 1; }
[ -x build/warden-static ] || die "build/warden-static missing (make static)"
for l in $LABS; do [[ $l =~ ^[a-z-]+$ ]] || die "bad experiment name '$l'"; done
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
REPORT=$ROOT/build/bench/lab-$stamp.md

args_of() { local v="ARGS_${1//-/_}"; echo "${!v-}"; }
{
    echo '#!/bin/sh'
    bench_l1_facts_sh
    for l in $LABS; do
        a=$(args_of "$l")
        cat <<L1
warden lab $l $a --json /tmp/$l.json >/tmp/$l.txt 2>/tmp/$l.err
echo "LAB-STATUS $l \$?"
echo "LAB-TABLE-BEGIN $l"; cat /tmp/$l.txt; echo "LAB-TABLE-END $l"
echo "LAB-ERR-BEGIN $l"; cat /tmp/$l.err; echo "LAB-ERR-END $l"
echo "LAB-JSON-BEGIN $l"; cat /tmp/$l.json 2>/dev/null; echo; echo "LAB-JSON-END $l"
L1
    done
} >"$OUT/l1-script.sh"
rc=0
nice -n 10 bash tests/emu/l1.sh --timeout 2400 "$OUT/l1-script.sh" >"$OUT/emu.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || die "L1 run failed (status $rc, log $OUT/emu.log)"
tr -d '\r' <"$OUT/emu.log" >"$OUT/emu.clean.log"

between() { sed -n "/^$1-BEGIN $2\$/,/^$1-END $2\$/p" "$OUT/emu.clean.log" | sed '1d;$d'; }
{
    echo "warden lab in the emulated tier, $(date -u +%F): \`LABS=\"$LABS\" bash bench/lab.sh\`"
    echo
    bench_facts emu | sed 's/^/    /'
    grep '^fact: L1' "$OUT/emu.clean.log" | sed 's/^/    /' || true
    for l in $LABS; do
        echo
        echo "## \`warden lab $l $(args_of "$l")\`: status $(sed -n "s/^LAB-STATUS $l //p" "$OUT/emu.clean.log")"
        echo
        between LAB-TABLE "$l" | sed 's/^/    /'
        if [ -n "$(between LAB-ERR "$l")" ]; then
            echo
            echo "stderr:"
            echo
            between LAB-ERR "$l" | sed 's/^/    /'
        fi
        between LAB-JSON "$l" >"${REPORT%.md}-$l.json"
        jq -e .experiment "${REPORT%.md}-$l.json" >/dev/null 2>&1 || echo "(no JSON from $l)"
    done
} >"$REPORT"
cat "$REPORT"
