echo 1 >/proc/sys/kernel/printk
[ -e /dev/vhost-net ] || modprobe vhost_net 2>/dev/null
TAP=vtap0
ip tuntap add dev $TAP mode tap 2>/dev/null
mkfifo /tmp/hold; sleep 100000 >/tmp/hold &
GC='ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; sleep 0.5; dd if=/dev/zero bs=64k count=256 2>/dev/null | nc 10.0.2.1 5001; echo TX-DONE'
CL="console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$GC\""
for r in $(seq 1 15); do for vmm in qemu warden; do
  if [ $vmm = warden ]; then
    setsid warden run --kernel /guest/vmlinuz --initrd /guest/initrd.cpio.gz --mem 512 --cpus 1 --transport pci \
      --net tap=$TAP,vhost=on --cmdline "$CL" </dev/null >/tmp/out 2>&1 &
  else
    setsid qemu-system-x86_64 -enable-kvm -M q35 -cpu host -m 512 -smp 1 \
      -nodefaults -display none -serial stdio -no-reboot -kernel /guest/vmlinuz -initrd /guest/initrd.cpio.gz \
      -append "$CL" \
      -netdev tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0,romfile= \
      </dev/null >/tmp/out 2>&1 &
  fi
  pid=$!
  sleep 0.5
  ip addr add 10.0.2.1/24 dev $TAP 2>/dev/null; ip link set $TAP up
  nc -l -p 5001 </tmp/hold >/dev/null &
  nc=$!
  k=0; while [ $k -lt 600 ] && kill -0 $pid 2>/dev/null; do sleep 0.2; k=$((k+1)); done
  kill -KILL $pid 2>/dev/null
  wait $pid; rc=$?
  kill $nc 2>/dev/null; wait $nc 2>/dev/null
  ok=0; grep -q "^TX-DONE" /tmp/out && ok=1
  df=0; grep -q "double fault" /tmp/out && df=1
  echo "RUN r=$r vmm=$vmm rc=$rc txdone=$ok doublefault=$df"
  [ $ok = 1 ] || grep -A4 "double fault\|VM ended badly\|BUG\|RIP" /tmp/out | head -10
done; done
