#!/bin/sh
T=/sys/kernel/debug/tracing
mount -t debugfs none /sys/kernel/debug 2>/dev/null
run() {
  warden run --kernel /guest/vmlinux --initrd /guest/initrd.cpio.gz --cmdline "console=ttyS0 quiet panic=-1 pci=off 8250.nr_uarts=1" --mem 256 --cpus 1 --irqchip split --no-rtc $1 </dev/null >/dev/null 2>&1
}
run "" # warm-up
for r in 1 2 3; do
for cfg in none boot; do
  if [ $cfg = boot ]; then a="--prefault boot"; else a=""; fi
  echo 'hist:keys=common_cpu,function.sym:vals=hitcount' > $T/events/timer/hrtimer_expire_entry/trigger
  for e in reschedule_entry call_function_single_entry call_function_entry local_timer_entry; do echo 'hist:keys=common_cpu:vals=hitcount' > $T/events/irq_vectors/$e/trigger; done
  echo 'hist:keys=exit_reason:vals=hitcount' > $T/events/kvm/kvm_exit/trigger
  echo 'hist:keys=common_cpu:vals=hitcount' > $T/events/tlb/tlb_flush/trigger 2>/dev/null
  echo "CFG $r $cfg"
  run "$a"
  for e in timer/hrtimer_expire_entry irq_vectors/reschedule_entry irq_vectors/call_function_single_entry irq_vectors/call_function_entry irq_vectors/local_timer_entry kvm/kvm_exit tlb/tlb_flush; do
    echo "== $e"; grep -v '^#' $T/events/$e/hist 2>/dev/null | grep hitcount | sed 's/  */ /g'
  done
  echo '!hist:keys=common_cpu,function.sym:vals=hitcount' > $T/events/timer/hrtimer_expire_entry/trigger
  for e in reschedule_entry call_function_single_entry call_function_entry local_timer_entry; do echo '!hist:keys=common_cpu:vals=hitcount' > $T/events/irq_vectors/$e/trigger; done
  echo '!hist:keys=exit_reason:vals=hitcount' > $T/events/kvm/kvm_exit/trigger
  echo '!hist:keys=common_cpu:vals=hitcount' > $T/events/tlb/tlb_flush/trigger 2>/dev/null
done
done
exit 0
