echo 1 >/proc/sys/kernel/printk
[ -e /dev/vhost-net ] || modprobe vhost_net 2>/dev/null
ls -la /dev/vhost-net
TAP=vtap0
ip tuntap add dev $TAP mode tap 2>/dev/null
mkfifo /tmp/hold; sleep 100000 >/tmp/hold &
GC='ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; sleep 0.5; for f in tx_packets tx_bytes rx_packets rx_bytes; do echo g0_$f=$(cat /sys/class/net/eth0/statistics/$f); done; read t0 x </proc/uptime; dd if=/dev/zero bs=64k count=128 2>/dev/null | nc 10.0.2.1 5001; read t1 x </proc/uptime; echo gt=$t0,$t1; for f in tx_packets tx_bytes rx_packets rx_bytes; do echo g1_$f=$(cat /sys/class/net/eth0/statistics/$f); done; cat /proc/interrupts | grep -i virtio'
for r in 1 2; do for v in off on; do
  setsid warden run --kernel /guest/vmlinux --initrd /guest/initrd.cpio.gz --mem 512 --cpus 1 --transport pci --verbose \
    --net tap=$TAP,vhost=$v --cmdline "console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$GC\"" </dev/null >/tmp/out 2>&1 &
  pid=$!
  k=0; while [ $k -lt 100 ] && ! ip link show $TAP >/dev/null 2>&1; do sleep 0.1; k=$((k+1)); done
  ip addr add 10.0.2.1/24 dev $TAP 2>/dev/null; ip link set $TAP up
  nc -l -p 5001 </tmp/hold >/dev/null &
  nc=$!
  for f in tx_packets tx_bytes rx_packets rx_bytes; do eval h0_$f=$(cat /sys/class/net/$TAP/statistics/$f); done
  timeout 200 sh -c "while kill -0 $pid 2>/dev/null; do sleep 0.2; done"
  for f in tx_packets tx_bytes rx_packets rx_bytes; do eval h1_$f=$(cat /sys/class/net/$TAP/statistics/$f); done
  kill $nc 2>/dev/null
  echo "RUN r=$r vhost=$v tap_rx_pkts=$((h1_rx_packets-h0_rx_packets)) tap_rx_bytes=$((h1_rx_bytes-h0_rx_bytes)) tap_tx_pkts=$((h1_tx_packets-h0_tx_packets)) tap_tx_bytes=$((h1_tx_bytes-h0_tx_bytes))"
  grep -E "^g[01t]|virtio|vhost|offload|features" /tmp/out | head -30
done; done
