#!/bin/sh
for r in 1 2 3; do
  for v in plain pin; do
    if [ $v = pin ]; then export PIN_EXP=1; else unset PIN_EXP; fi
    echo "RUN $r $v"
    warden lab emulated-vs-virtio --rates 0.01,1 --seconds 1 2>&1 | sed "s/^/T $r $v| /"
  done
done
exit 0
