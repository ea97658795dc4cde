echo 1 >/proc/sys/kernel/printk
[ -e /dev/vhost-net ] || modprobe vhost_net 2>/dev/null
TAP=vtap0
ip tuntap add dev $TAP mode tap 2>/dev/null
dd if=/dev/zero of=/tmp/h2g bs=1M count=16 2>/dev/null
GC='ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; nc -l -p 5002 >/dev/null; echo RX-DONE; cat /sys/class/net/eth0/statistics/rx_packets; grep -i virtio /proc/interrupts'
CL="console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$GC\""
for r in 1 2; do for vmm in qemu warden-vhost warden-own; do
  case $vmm in
  warden-vhost) setsid warden run --kernel /guest/vmlinuz --initrd /guest/initrd.cpio.gz --mem 512 --cpus 1 --transport pci --verbose \
      --net tap=$TAP,vhost=on --cmdline "$CL" </dev/null >/tmp/out 2>&1 & ;;
  warden-own) setsid warden run --kernel /guest/vmlinuz --initrd /guest/initrd.cpio.gz --mem 512 --cpus 1 --transport pci --verbose \
      --net tap=$TAP --cmdline "$CL" </dev/null >/tmp/out 2>&1 & ;;
  qemu) setsid qemu-system-x86_64 -enable-kvm -M q35 -cpu host -m 512 -smp 1 \
      -nodefaults -display none -serial stdio -no-reboot -kernel /guest/vmlinuz -initrd /guest/initrd.cpio.gz \
      -append "$CL" \
      -netdev tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0,romfile= \
      </dev/null >/tmp/out 2>&1 & ;;
  esac
  pid=$!
  sleep 0.5
  ip addr add 10.0.2.1/24 dev $TAP 2>/dev/null; ip link set $TAP up
  for f in tx_packets tx_bytes rx_packets; do eval h0_$f=$(cat /sys/class/net/$TAP/statistics/$f); done
  i=0; t0=$(cut -d' ' -f1 /proc/uptime)
  until timeout 60 nc 10.0.2.15 5002 </tmp/h2g 2>/dev/null; do i=$((i+1)); [ $i -gt 150 ] && break; sleep 0.3; t0=$(cut -d' ' -f1 /proc/uptime); done
  t1=$(cut -d' ' -f1 /proc/uptime)
  for f in tx_packets tx_bytes rx_packets; do eval h1_$f=$(cat /sys/class/net/$TAP/statistics/$f); done
  k=0; while [ $k -lt 300 ] && kill -0 $pid 2>/dev/null; do sleep 0.2; k=$((k+1)); done
  kill -KILL $pid 2>/dev/null; wait $pid
  echo "RUN r=$r vmm=$vmm secs=$(awk -v a=$t0 -v b=$t1 'BEGIN{print b-a}') tap_tx_pkts=$((h1_tx_packets-h0_tx_packets)) tap_tx_bytes=$((h1_tx_bytes-h0_tx_bytes)) tap_rx_pkts=$((h1_rx_packets-h0_rx_packets))"
  grep -E "^RX-DONE|^[0-9]+$|virtio.*(input|output)|offloads|vhost-net" /tmp/out | head -8
done; done
