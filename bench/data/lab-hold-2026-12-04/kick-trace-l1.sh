#!/bin/sh
T=/sys/kernel/debug/tracing
mount -t debugfs none /sys/kernel/debug 2>/dev/null
cat /proc/sys/kernel/timer_migration
for scan in 1000 100000; do
  for e in timer/hrtimer_expire_entry; do echo 'hist:keys=common_cpu,function.sym:vals=hitcount' > $T/events/$e/trigger; done
  echo 'hist:keys=common_cpu:vals=hitcount' > $T/events/irq_vectors/reschedule_entry/trigger
  echo 'hist:keys=common_cpu:vals=hitcount' > $T/events/irq_vectors/call_function_single_entry/trigger
  echo 'hist:keys=common_cpu:vals=hitcount' > $T/events/irq_vectors/call_function_entry/trigger
  echo 'hist:keys=common_cpu:vals=hitcount' > $T/events/irq_vectors/local_timer_entry/trigger
  echo 'hist:keys=exit_reason:vals=hitcount' > $T/events/kvm/kvm_exit/trigger
  echo "SCAN $scan"
  PIN_EXP=1 warden lab emulated-vs-virtio --rates 1 --seconds 3 --scan-us $scan 2>&1 | grep "(c')\|(c)"
  for e in timer/hrtimer_expire_entry irq_vectors/reschedule_entry irq_vectors/call_function_single_entry irq_vectors/call_function_entry irq_vectors/local_timer_entry kvm/kvm_exit; do
    echo "== $e"; grep -v '^#' $T/events/$e/hist | grep . | sort -t: -k3 | tail -25
  done
  for e in timer/hrtimer_expire_entry; do echo '!hist:keys=common_cpu,function.sym:vals=hitcount' > $T/events/$e/trigger; done
  for e in reschedule_entry call_function_single_entry call_function_entry local_timer_entry; do echo '!hist:keys=common_cpu:vals=hitcount' > $T/events/irq_vectors/$e/trigger; done
  echo '!hist:keys=exit_reason:vals=hitcount' > $T/events/kvm/kvm_exit/trigger
done
exit 0
