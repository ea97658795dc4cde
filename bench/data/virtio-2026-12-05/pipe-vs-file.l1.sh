# One-off: does the bench's `dd | nc` source make the TCP transfer slow?
echo 1 >/proc/sys/kernel/printk
TAP=btap0
dd if=/dev/zero of=/tmp/l1tx bs=1M count=16 2>/dev/null
mkfifo /tmp/hold; sleep 100000 >/tmp/hold &
G='ip link set lo up; ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; sleep 1; dd if=/dev/zero of=/tmp/tx bs=1M count=16 2>/dev/null;'
for r in 1 2; do
G="$G T=\$EPOCHREALTIME; dd if=/dev/zero bs=64k count=256 2>/dev/null | nc 10.0.2.1 5001; echo PIPE-TX \$T \$EPOCHREALTIME; sleep 1;"
G="$G T=\$EPOCHREALTIME; nc 10.0.2.1 5001 </tmp/tx; echo FILE-TX \$T \$EPOCHREALTIME; sleep 1;"
done
G="$G sleep 1"
pk() { echo $(( $(cat /sys/class/net/$TAP/statistics/rx_packets) + $(cat /sys/class/net/$TAP/statistics/tx_packets) )); }
for cfg in pci; do
  warden run --kernel /guest/vmlinuz --initrd /guest/initrd.cpio.gz --mem 512 --transport $cfg \
    --disk /tmp/l1tx --net tap=$TAP --cmdline "console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$G\"" </dev/null >/tmp/out 2>&1 &
  pid=$!
  while [ ! -e /sys/class/net/$TAP ]; do sleep 0.05; done
  ip addr add 10.0.2.1/24 dev $TAP; ip link set $TAP up
  last=0
  while kill -0 $pid 2>/dev/null; do
    nc -l -p 5001 </tmp/hold >/dev/null &
    n=$!
    while kill -0 $n 2>/dev/null && kill -0 $pid 2>/dev/null; do sleep 0.2; done
    echo "pkts-now $(pk)"
  done
  wait $pid
  grep -E 'PIPE|FILE' /tmp/out | awk '{printf "%s %.3f s %.2f MiB/s\n", $1, $3-$2, 16/($3-$2)}'
done
