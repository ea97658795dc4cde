echo 1 >/proc/sys/kernel/printk
[ -e /dev/vhost-net ] || modprobe vhost_net 2>/dev/null
TAP=vtap0
ip tuntap add dev $TAP mode tap 2>/dev/null
mkfifo /tmp/hold; sleep 100000 >/tmp/hold &
GC='ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; sleep 0.5; dd if=/dev/zero bs=64k count=256 2>/dev/null | nc 10.0.2.1 5001; echo TXDONE'
fails=0
for r in $(seq 1 ${RUNS:-12}); do
  setsid warden run --kernel /guest/vmlinuz --initrd /guest/initrd.cpio.gz --mem 512 --cpus 1 --transport pci \
    --net tap=$TAP,vhost=on --cmdline "console=ttyS0 loglevel=7 panic=-1 8250.nr_uarts=1 warden.run=\"$GC\"" </dev/null >/tmp/out 2>&1 &
  pid=$!
  k=0; while [ $k -lt 100 ] && ! ip link show $TAP >/dev/null 2>&1; do sleep 0.1; k=$((k+1)); done
  ip addr add 10.0.2.1/24 dev $TAP 2>/dev/null; ip link set $TAP up
  nc -l -p 5001 </tmp/hold >/dev/null &
  nc=$!
  timeout 200 sh -c "while kill -0 $pid 2>/dev/null; do sleep 0.2; done"
  wait $pid; rc=$?
  kill $nc 2>/dev/null
  echo "RUN r=$r rc=$rc $(grep -c TXDONE /tmp/out)"
  if [ $rc != 0 ] || ! grep -q TXDONE /tmp/out; then
    fails=$((fails+1))
    echo "@@BEGIN fail$r"
    grep -v "^\[ *[0-9.]*\] \(ACPI\|PCI\|pci\|acpi\)" /tmp/out | tail -150
    echo "@@END"
  fi
done
echo "FAILS=$fails"
