#!/usr/bin/env bash
# Crash consistency (issue 15 section 4): TRIALS SIGKILL trials per mode
# in one emulated AMD-V L1 (tests/emu/l1.sh), each as the emu tier's
# durability case does it (tests/emu/cases/durability.l1.sh): a Linux
# guest writes numbered 4 KiB records with fdatasync after each and prints
# an ack per record; L1 kills warden after a random 10-159 acks; every
# acknowledged record must be on the image, intact, and ext4 must be clean
# after e2fsck's journal replay.
#
# Usage: bench/durability.sh          (from the repo root)
# Env:
#   TRIALS=20                     trials per mode
#   MODES="raw ext4"              raw: records on /dev/vda; ext4: a file on
#                                 an ext4 /dev/vda; a mode may carry disk
#                                 options after a colon, e.g. "raw:,poll"
#   WARDEN=path                   static warden (default build/warden-static)
# Output: build/bench/durability-<stamp>.{log,md}.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
TRIALS=${TRIALS:-20}
MODES=${MODES:-raw ext4}
export WARDEN=${WARDEN:-$ROOT/build/warden-static}
die() { echo "bench/durability.sh: error: $*" >&2; exit 1; }
[[ $TRIALS =~ ^[1-9][0-9]*$ ]] || die "TRIALS must be a number"
for m in $MODES; do [[ $m =~ ^(raw|ext4)(:[a-z0-9,=]+)?$ ]] || die "bad mode '$m' (raw or ext4, optionally :,OPTS)"; done
[ -f "$WARDEN" ] || die "$WARDEN missing (make static)"
OUT=$ROOT/build/bench
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
SCRIPT=$OUT/l1-durability.sh LOG=$OUT/durability-$stamp.log REPORT=$OUT/durability-$stamp.md
{
    echo 'BASE="console=ttyS0 quiet panic=-1 8250.nr_uarts=1"'
    echo 'DUR_LIB_ONLY=1'
    echo 'export WARDEN_GUEST_DIR=/guest' # warden run's default guest, as l1-tests.sh sets it
    cat tests/emu/cases/durability.l1.sh
    bench_l1_facts_sh
    echo 'dur_tool || { echo "DUR-NOTOOL"; exit 1; }'
    echo "for t in \$(seq $TRIALS); do"
    for m in $MODES; do
        echo "	dur_trial ${m%%:*} \$t '$( [[ $m == *:* ]] && echo "${m#*:}")'"
        # What warden said, when it said anything (why a trial failed),
        # and the guest's last lines when it acknowledged nothing.
        echo "	sed -n '1,3s/^/DUR-ERR: /p' /tmp/dur.err"
        echo "	grep -q '^warden-rec: ack ' /tmp/dur-${m%%:*}-\$t.out || tail -n 3 /tmp/dur-${m%%:*}-\$t.out | sed 's/^/DUR-NOACK ${m%%:*} '\$t': /'"
    done
    echo "done"
} >"$SCRIPT"
set +e
bash "$(dirname "${BASH_SOURCE[0]}")/tcg-lock.sh" nice -n 10 bash tests/emu/l1.sh --timeout $((TRIALS * $(wc -w <<<"$MODES") * 240 + 300)) "$SCRIPT" >"$LOG" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || echo "bench/durability.sh: L1 ended with status $rc (the trials it finished still count), see $LOG" >&2
tr -d '\r' <"$LOG" | grep '^DUR-TRIAL ' >"$LOG.trials" || die "no trial finished, see $LOG"
{
    echo "### Crash consistency: SIGKILL trials ($(date -u +%Y-%m-%dT%H:%MZ), emulated AMD-V tier, guest kernel $(bench_guest_kernel))"
    echo
    echo "Command: \`TRIALS=$TRIALS MODES=\"$MODES\" bash bench/durability.sh\`"
    echo
    bench_facts emu | sed 's/^/    /'
    tr -d '\r' <"$LOG" | grep '^fact: L1' | sed 's/^/    /' || true
    echo
    echo "A trial counts when warden was running the guest's writes when it was killed (at least one record acknowledged, and killed by SIGKILL: status 137); a failed trial (warden ended by itself, or no record acknowledged) is listed apart and left out of the records counted."
    echo
    echo "| mode | disk options | trials counted | failed trials | records acknowledged (total) | records lost or torn | e2fsck clean after replay |"
    echo "|---|---|---|---|---|---|---|"
    awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
           k = v["mode"] " | " v["opts"]; if (!(k in n)) { order[++no] = k; n[k] = 0; bad[k] = 0 }
           if (v["acked"] < 0 || v["rc"] != 137) { bad[k]++; next }
           n[k]++; ack[k] += v["acked"] + 1
           lost[k] += (v["intact"] == "NA") ? v["acked"] + 1 : v["acked"] + 1 - v["intact"]
           if (v["mode"] == "ext4") { e4[k] = 1; if (v["fsck2"] == "0" && (v["fsck1"] == "0" || v["fsck1"] == "1")) clean[k]++ } }
         END { for (i = 1; i <= no; i++) { k = order[i]
               printf "| %s | %d | %d | %d | %d | %s |\n", k, n[k], bad[k], ack[k], lost[k], (k in e4) ? (clean[k] + 0) " of " n[k] : "-" } }' "$LOG.trials"
    echo
    echo "Per trial:"
    echo '```'
    cat "$LOG.trials"
    tr -d '\r' <"$LOG" | grep '^DUR-ERR: ' | sort | uniq -c | sort -rn | head -n 5 || true
    tr -d '\r' <"$LOG" | grep '^DUR-NOACK ' || true
    echo '```'
} >"$REPORT"
cat "$REPORT"
