#!/usr/bin/env bash
# The metadata service (docs/mmds.md) from a Linux guest, in the emulated
# tier (a QEMU TCG L1 with real SVM, tests/emu/l1.sh): what a metadata GET
# costs when warden answers it, against the same GET to a web server in L1
# over the same tap (busybox httpd, the path a metadata server on the host
# would take).  Each guest runs GETS busybox wget processes in a loop, each
# one GET of a 9-byte value, timed by its uptime; a third guest does no
# GET, so that its exits are the boot's and power-off's alone.
#   mmds   wget http://169.254.169.254/latest/meta-data/ami-id (warden)
#   host   wget http://10.0.2.1/ami-id (busybox httpd in L1, via the tap)
#   none   no GET
# Rounds alternate the order.  Printed per variant: ms per GET (median of
# the rounds), VM exits per GET ((exits - none's median) / GETS: KVM's own
# count, from warden's --stats kvm_stats), and of them those that reached
# warden (its total_exits: ioeventfd and irqfd keep virtio's in KVM).
#
# Usage: bench/mmds.sh   (from the repo root)
# Env:   ROUNDS=5  GETS=50
# L1 runs under the TCG lock, niced.  Output: the table, also in
# build/bench/mmds-<stamp>.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
ROUNDS=${ROUNDS:-5}
GETS=${GETS:-50}
OUT=$ROOT/build/bench/mmds
die() { echo "bench/mmds.sh: error: $*" >&2; exit 1; }

[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] && [ "$ROUNDS" -le 50 ] || die "ROUNDS must be 1 to 50"
[[ $GETS =~ ^[1-9][0-9]*$ ]] && [ "$GETS" -le 2000 ] || die "GETS must be 1 to 2000"
mkdir -p "$OUT"
stamp=$(date -u +%Y%m%d-%H%M%S)
REPORT=$ROOT/build/bench/mmds-$stamp.md
command="ROUNDS=$ROUNDS GETS=$GETS bash bench/mmds.sh"
make --no-print-directory static guest >/dev/null || die "make static guest failed"

# In L1: a tap at 10.0.2.1 with httpd on it, then the rounds.  Each run
# prints "RUN variant rc total_exits net_exits" and the guest's
# "RES ok=N t0=S t1=S" line.
{
	bench_l1_facts_sh
	cat <<EOF
export WARDEN_GUEST_DIR=/guest
GETS=$GETS
ROUNDS=$ROUNDS
EOF
	cat <<'EOF'
tunctl -t wtb0 >/dev/null && ip addr add 10.0.2.1/24 dev wtb0 && ip link set wtb0 up || echo "L1: no tap"
mkdir -p /tmp/www && printf ami-bench >/tmp/www/ami-id
httpd -p 10.0.2.1:80 -h /tmp/www || echo "L1: no httpd"
printf '{"latest":{"meta-data":{"ami-id":"ami-bench"}}}' >/tmp/md.json
up="ip addr add 10.0.2.15/24 dev eth0; ip addr add 169.254.0.2/16 dev eth0; ip link set eth0 up"
loop() { # URL: the guest's loop of GETs
	echo "$up; i=0; ok=0; t0=\$(cut -d' ' -f1 /proc/uptime); while [ \$i -lt $GETS ]; do wget -q -O /dev/null $1 && ok=\$((ok+1)); i=\$((i+1)); done; t1=\$(cut -d' ' -f1 /proc/uptime); echo RES ok=\$ok t0=\$t0 t1=\$t1"
}
one() { # VARIANT GUEST-COMMAND
	warden run --mem 256 --net tap=wtb0,mmds=on --metadata /tmp/md.json --stats /tmp/s.json \
		--cmdline "console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$2\"" >/tmp/o.txt 2>/tmp/e.txt </dev/null
	rc=$?
	echo "RUN $1 $rc"
	echo "STATS $1 $(tr -d '\n' </tmp/s.json)"
	grep '^RES ' /tmp/o.txt | tr -d '\r' | sed "s/^RES /RES $1 /"
}
r=0
while [ $r -lt $ROUNDS ]; do
	if [ $((r % 2)) -eq 0 ]; then order="mmds host none"; else order="none host mmds"; fi
	for v in $order; do
		case $v in
		mmds) one mmds "$(loop http://169.254.169.254/latest/meta-data/ami-id)" ;;
		host) one host "$(loop http://10.0.2.1/ami-id)" ;;
		none) one none "$up; echo RES ok=0 t0=0 t1=0" ;;
		esac
	done
	r=$((r + 1))
done
EOF
} >"$OUT/l1-script.sh"
rc=0
bash bench/tcg-lock.sh nice -n 10 bash tests/emu/l1.sh --timeout 2400 "$OUT/l1-script.sh" >"$OUT/emu.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || die "L1 run failed (status $rc, log $OUT/emu.log)"
tr -d '\r' <"$OUT/emu.log" >"$OUT/emu.clean.log"
grep -q '^L1: no' "$OUT/emu.clean.log" && die "L1 could not set up the tap or httpd (log $OUT/emu.log)"
{
	echo "The metadata service from a Linux guest, $(date -u +%F): \`$command\` (emulated tier)"
	echo
	{ bench_facts emu; grep '^fact: L1' "$OUT/emu.clean.log" || true; } | sed 's/^/    /'
	echo
	python3 - "$OUT/emu.clean.log" "$GETS" <<'PY'
import json, re, statistics, sys
log, gets = open(sys.argv[1]).read().splitlines(), int(sys.argv[2])
runs, res, failed, ok_run = {}, {}, [], {}
for line in log:
    m = re.match(r"^RUN (\w+) (\d+)$", line)
    if m:
        ok_run[m.group(1)] = int(m.group(2)) == 0
        if not ok_run[m.group(1)]:
            failed.append("%s (status %s)" % m.groups())
        continue
    m = re.match(r"^STATS (\w+) (.*)$", line)
    if m and ok_run.get(m.group(1)):
        try:
            st = json.loads(m.group(2))
        except ValueError:
            failed.append("%s (no statistics)" % m.group(1))
            ok_run[m.group(1)] = False
            continue
        # Every VM exit, KVM's own count (binary statistics), and those
        # that reached warden.
        kvm = sum(v.get("exits", 0) for v in st["kvm_stats"]["vcpus"])
        runs.setdefault(m.group(1), []).append((kvm, st["total_exits"]))
        continue
    m = re.match(r"^RES (\w+) ok=(\d+) t0=([\d.]+) t1=([\d.]+)$", line)
    if m and m.group(1) != "none" and ok_run.get(m.group(1)):
        if int(m.group(2)) != gets:
            failed.append("%s (%s of %d GETs)" % (m.group(1), m.group(2), gets))
            runs[m.group(1)].pop()
            continue
        res.setdefault(m.group(1), []).append((float(m.group(4)) - float(m.group(3))) * 1000 / gets)
if "none" not in runs:
    sys.exit("bench/mmds.sh: no baseline run succeeded")
base = statistics.median(k for k, _ in runs["none"])
base_w = statistics.median(w for _, w in runs["none"])
print("| variant | runs | ms per GET (median) | VM exits per GET | of them to warden | VM exits (median) |")
print("|---|---|---|---|---|---|")
print("| none (boot and power-off) | %d | - | - | - | %d |" % (len(runs["none"]), base))
for v, name in (("mmds", "mmds: warden answers"), ("host", "host: httpd in L1, via the tap")):
    if not runs.get(v) or v not in res:
        print("| %s | 0 | - | - | - | - |" % name)
        continue
    kvm = statistics.median(k for k, _ in runs[v])
    w = statistics.median(x for _, x in runs[v])
    print("| %s | %d | %.1f | %.1f | %.2f | %d |" % (name, len(res[v]), statistics.median(res[v]),
          (kvm - base) / gets, (w - base_w) / gets, kvm))
if failed:
    print("\nLeft out: " + ", ".join(failed))
PY
} >"$REPORT"
cat "$REPORT"
echo "(report: ${REPORT#"$ROOT"/}, log: ${OUT#"$ROOT"/}/emu.log)"
