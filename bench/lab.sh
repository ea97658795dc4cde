#!/usr/bin/env bash
# The exit lab's experiments in the emulated AMD-V tier (real SVM with
# nested paging in a QEMU TCG L1, tests/emu/l1.sh), in one L1, with the
# static warden: each experiment's table, JSON and SVG come back through
# L1's console. Keep sizes small: an exit there costs tens of
# microseconds. The native tier needs no script: `warden lab NAME`.
#
# Usage: bench/lab.sh                         the default set, below
#        bench/lab.sh EXPERIMENT [OPTIONS...] one experiment, e.g.
#                                             bench/lab.sh interrupts --count 200
# Env (the default set):
#   LABS="emulated-vs-virtio batching msr-filter sensitive"
#   ARGS_emulated_vs_virtio="--seconds 1"     options per experiment (dashes
#   ARGS_batching="--reps 5"                  in the name become underscores)
#   ARGS_msr_filter="--iterations 200"
#   ARGS_sensitive=""
#   WARDEN=path   static warden for L1 (default build/warden-static)
# The L1 run waits for other users of the machine's TCG (flock
# /tmp/tcg.lock) and runs niced.
# Output: a markdown report build/bench/lab-<date>.md, and next to it
# lab-<date>-NAME.{json,svg} per experiment; the L1 log lab-<date>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
export WARDEN=${WARDEN:-$ROOT/build/warden-static}
OUT=$ROOT/build/bench
die() { echo "bench/lab.sh: error: $*" >&2; exit 1; }
[ -f "$WARDEN" ] || die "$WARDEN missing (make static)"

declare -A ARGS
if [ $# -ge 1 ]; then
    [[ $1 =~ ^[a-z-]+$ ]] || die "bad experiment name '$1'"
    for a in "${@:2}"; do [[ $a =~ ^[A-Za-z0-9.,=_-]+$ ]] || die "option '$a': letters, digits and .,=_- only"; done
    LABS=$1
    ARGS[$1]="${*:2}"
else
    LABS=${LABS:-emulated-vs-virtio batching msr-filter sensitive}
    for l in $LABS; do
        [[ $l =~ ^[a-z-]+$ ]] || die "bad experiment name '$l'"
        v="ARGS_${l//-/_}"
        case $l in
        emulated-vs-virtio) ARGS[$l]=${!v---seconds 1} ;;
        batching) ARGS[$l]=${!v---reps 5} ;;
        msr-filter) ARGS[$l]=${!v---iterations 200} ;;
        *) ARGS[$l]=${!v-} ;;
        esac
    done
fi
mkdir -p "$OUT"
base=$OUT/lab-$(date -u +%Y%m%d-%H%M%S)
SCRIPT=$OUT/l1-lab.sh
{
    echo '#!/bin/sh'
    bench_l1_facts_sh
    for l in $LABS; do
        echo "warden lab $l ${ARGS[$l]} --json /tmp/$l.json --svg /tmp/$l.svg >/tmp/$l.txt 2>&1"
        echo "echo \"LAB-RC $l \$?\""
        echo "sed 's/^/LABTXT $l| /' /tmp/$l.txt"
        echo "[ -s /tmp/$l.json ] && sed 's/^/LABJSON $l| /' /tmp/$l.json"
        echo "[ -s /tmp/$l.svg ] && sed 's/^/LABSVG $l| /' /tmp/$l.svg"
    done
    echo "exit 0"
} >"$SCRIPT"
set +e
bash "$(dirname "${BASH_SOURCE[0]}")/tcg-lock.sh" nice -n 10 bash tests/emu/l1.sh --timeout 2400 "$SCRIPT" >"$base.log" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || die "L1 run failed (tests/emu/l1.sh exit $rc), see $base.log"
tr -d '\r' <"$base.log" >"$base.clean.log"
{
    if [ $# -ge 1 ]; then cmd="bash bench/lab.sh $*"; else cmd="LABS=\"$LABS\" bash bench/lab.sh"; fi
    echo "warden lab in the emulated AMD-V tier, $(date -u +%Y-%m-%dT%H:%MZ): \`$cmd\`"
    echo
    bench_facts emu | sed 's/^/    /'
    grep '^fact: L1' "$base.clean.log" | sed 's/^/    /' || true
    for l in $LABS; do
        sed -n "s/^LABJSON $l| //p" "$base.clean.log" >"$base-$l.json"
        sed -n "s/^LABSVG $l| //p" "$base.clean.log" >"$base-$l.svg"
        echo
        echo "## \`warden lab $l ${ARGS[$l]}\`: status $(sed -n "s/^LAB-RC $l //p" "$base.clean.log")"
        echo
        sed -n "s/^LABTXT $l| //p" "$base.clean.log" | sed 's/^/    /'
        jq -e .experiment "$base-$l.json" >/dev/null 2>&1 || echo "(no JSON from $l)"
    done
} >"$base.md"
cat "$base.md"
echo "bench/lab.sh: $base.md, $base-NAME.{json,svg}"
