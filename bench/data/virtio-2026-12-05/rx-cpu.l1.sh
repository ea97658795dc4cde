# One-off: where L1's CPU goes while L1 sends 64 MiB to the guest (tcprx).
echo 1 >/proc/sys/kernel/printk
dd if=/dev/zero of=/tmp/l1tx bs=1M count=64 2>/dev/null
G='ip link set lo up; ip addr add 10.0.2.15/24 dev eth0; ip link set eth0 up; sleep 1; echo RXREADY; nc -l -p 5004 </tmp/h4 >/dev/null; echo RXDONE; sleep 1'
G="mkfifo /tmp/h4; sleep 300 >/tmp/h4 & $G"
cpus() { awk '/^cpu[0-9]/ {print $1, $2+$3+$4+$6+$7+$8, $5}' /proc/stat; }
threads() { for t in /proc/$1/task/*; do echo "${t##*/} $(cat $t/comm | tr ' ' _) $(awk '{print $14+$15}' $t/stat)"; done; }
kthreads() { for p in /proc/[0-9]*; do c=$(cat $p/comm 2>/dev/null); case $c in vhost-*|ksoftirqd*|kworker*) echo "$c $(awk '{print $14+$15}' $p/stat 2>/dev/null)";; esac; done; }
one() {
  vmm=$1; TAP=$2
  rm -f /tmp/out
  if [ $vmm = warden ]; then
    setsid warden run --kernel /guest/vmlinuz --initrd /guest/initrd.cpio.gz --mem 512 --transport pci --net tap=$TAP \
      --cmdline "console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$G\"" </dev/null >/tmp/out 2>&1 &
  else
    setsid qemu-system-x86_64 -enable-kvm -M q35 -cpu host -m 512 -smp 1 -nodefaults -display none -serial stdio -no-reboot \
      -kernel /guest/vmlinuz -initrd /guest/initrd.cpio.gz -append "console=ttyS0 quiet panic=-1 8250.nr_uarts=1 warden.run=\"$G\"" \
      -object iothread,id=io0,poll-max-ns=32768 \
      -netdev tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=on -device virtio-net-pci,netdev=n0,romfile= </dev/null >/tmp/out 2>&1 &
  fi
  pid=$!
  while [ ! -e /sys/class/net/$TAP ]; do sleep 0.05; done
  ip addr add 10.0.2.1/24 dev $TAP; ip link set $TAP up
  while ! grep -q RXREADY /tmp/out; do sleep 0.1; done
  sleep 1
  cpus >/tmp/c0; threads $pid >/tmp/t0; kthreads >/tmp/k0
  t0=$(cut -d' ' -f1 /proc/uptime)
  time nc 10.0.2.15 5004 </tmp/l1tx 2>/tmp/nctime
  t1=$(cut -d' ' -f1 /proc/uptime)
  cpus >/tmp/c1; threads $pid >/tmp/t1; kthreads >/tmp/k1
  echo "== $vmm: $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.2f s", b-a}')"
  paste /tmp/c0 /tmp/c1 | awk '{b=$5-$2; i=$6-$3; printf "  %s busy %.0f%% (%d of %d ticks)\n", $1, 100*b/(b+i), b, b+i}'
  awk 'NR==FNR {a[$1]=$3; next} $3-a[$1]>0 {printf "  thread %s %d ticks\n", $2, $3-a[$1]}' /tmp/t0 /tmp/t1
  echo "  L1's nc: $(tr '\n' ' ' </tmp/nctime)"
  paste /tmp/k0 /tmp/k1 | awk '$4-$2>0 {printf "  kthread %s %d ticks\n", $1, $4-$2}'
  wait $pid
}
for r in 1 2; do one warden btap0; one qemu qtap0; done
