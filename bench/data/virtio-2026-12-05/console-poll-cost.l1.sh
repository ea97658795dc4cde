# One-off: the L1 CPU that bench/virtio.sh's monitoring loop takes (its body every 50 ms).
echo 1 >/proc/sys/kernel/printk
cpus() { awk '/^cpu[0-9]/ {print $1, $2+$3+$4+$6+$7+$8, $5}' /proc/stat; }
for i in $(seq 40); do echo "some console line $i" >>/tmp/out; done
echo "BENCH-BEGIN tcptx" >>/tmp/out
sleep 1000 & pid=$!
RUN_TIMEOUT=600 PIN_VCPU1=0 t0=$EPOCHREALTIME seen=""
cpus >/tmp/c0; u0=$(cut -d' ' -f1 /proc/uptime)
end=$(( $(date +%s) + 5 ))
while [ $(date +%s) -lt $end ]; do
	now=$EPOCHREALTIME
	if awk -v a=$t0 -v b=$now 'BEGIN{exit !(b-a > '$RUN_TIMEOUT')}'; then break; fi
	for m in $(grep -oE 'BENCH-(BEGIN|END) (seqwrite|seqread|randread|nettx|netrx|tcptx|tcprx|iopoll[rw](1|32))\b' /tmp/out | tr ' ' '_'); do
		case " $seen " in *" $m "*) continue ;; esac
		seen="$seen $m"
	done
	sleep 0.05
done
cpus >/tmp/c1; u1=$(cut -d' ' -f1 /proc/uptime)
echo "== the bench's loop for $(awk -v a=$u0 -v b=$u1 'BEGIN{print b-a}') s (plus a date per round here):"
paste /tmp/c0 /tmp/c1 | awk '{b=$5-$2; i=$6-$3; printf "  %s busy %.0f%% (%d of %d ticks)\n", $1, 100*b/(b+i), b, b+i}'
cpus >/tmp/c0; sleep 5; cpus >/tmp/c1
echo "== idle for 5 s:"
paste /tmp/c0 /tmp/c1 | awk '{b=$5-$2; i=$6-$3; printf "  %s busy %.0f%% (%d of %d ticks)\n", $1, 100*b/(b+i), b, b+i}'
kill $pid
