echo 1 >/proc/sys/kernel/printk
T=/sys/kernel/debug/tracing
CMDLINE='console=ttyS0 quiet panic=-1 pci=off 8250.nr_uarts=1'
SPECS='kvm/kvm_exit|hist:keys=common_cpu,exit_reason:size=256
timer/hrtimer_expire_entry|hist:keys=common_cpu,function.sym:size=256
irq_vectors/local_timer_entry|hist:keys=common_cpu
irq_vectors/reschedule_entry|hist:keys=common_cpu
irq_vectors/call_function_entry|hist:keys=common_cpu
irq_vectors/call_function_single_entry|hist:keys=common_cpu
irq_vectors/irq_work_entry|hist:keys=common_cpu
sched/sched_wakeup|hist:keys=target_cpu,comm:size=256'
echo "$SPECS" | while IFS='|' read e s; do echo "$s" > $T/events/$e/trigger || echo "NO TRIGGER $e"; done
run() {
  cpu=$1 vmm=$2
  echo "$SPECS" | while IFS='|' read e s; do echo "$s:clear" >> $T/events/$e/trigger; done
  t0=$(date +%s.%N)
  if [ $vmm = qemu ]; then
    timeout 120 taskset -c $cpu qemu-system-x86_64 -enable-kvm -M microvm,rtc=on -cpu host -m 256 -smp 1 -nographic -no-reboot \
      -kernel /guest/vmlinuz -initrd /guest/initrd.cpio.gz -append "$CMDLINE" </dev/null >/tmp/out 2>&1
  else
    timeout 120 taskset -c $cpu warden run --kernel /guest/vmlinux --initrd /guest/initrd.cpio.gz --cmdline "$CMDLINE" --mem 256 --cpus 1 --irqchip split </dev/null >/tmp/out 2>&1
  fi
  rc=$?
  echo "RUN cpu=$cpu vmm=$vmm rc=$rc secs=$(awk -v a=$t0 -v b=$(date +%s.%N) 'BEGIN{print b-a}') up=$(grep -c 'warden-guest: up' /tmp/out)"
  echo "$SPECS" | while IFS='|' read e s; do echo "== $e"; grep -v '^#' $T/events/$e/hist | grep -v '^$' | tail -40; done
}
for r in 1 2; do run 0 warden; run 1 warden; run 0 qemu; run 1 qemu; done
