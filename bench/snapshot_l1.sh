# shellcheck shell=bash
# The emulated tier's snapshot loop (cold boot, snapshot, restores), shared
# by bench/snapshot.sh and bench/restore-phases.sh. Sourced (bash), as
# facts.sh is:
#
#   bench_snapshot_l1_sh   POSIX sh code for a script that runs inside L1
#                          (tests/emu/l1.sh): the functions below
#
# In L1 (busybox sh; times from its $EPOCHREALTIME):
#   CMD                    the guest's command: "tick N" every 20 ms
#   snap_cold MEM [ARG...] a cold boot of the default guest (MEM MiB) with
#                          --snapshot-dir $SNAP (/tmp/snap unless set;
#                          emptied first) --snapshot-then exit
#                          --verbose and ARGs, snapshotted (SIGUSR2) at
#                          tick 20; sets t0 (its start) and tup (its init
#                          line, "warden-guest: up"); leaves warden's
#                          "VM set up in" line in /tmp/setup and its
#                          "snapshot written" line in /tmp/written
#   snap_huge_mount        mounts /tmp/snaph, a tmpfs with huge=always (its
#                          files in 2 MiB pages, which a mapping maps whole
#                          where the guest only reads: docs/snapshot.md)
#   snap_hint MODE [DIR]   hot: the working set recorded in DIR (DIR.hint)
#                          put back as DIR/memory.hot; else removed (DIR:
#                          /tmp/snap; a hint names its memory file's inode,
#                          so a copy's needs its own)
#   snap_keep_hint [DIR]   keeps what a restore recorded as DIR.hint
#   snap_restore WARDEN [ARG...]
#                          starts `WARDEN run --restore $SNAP --verbose
#                          (SNAP: /tmp/snap unless set)
#                          ARG...` in the background, its output (stdout and
#                          stderr) into a new FIFO /tmp/fifo for the caller
#                          to read; sets t0 (its start) and pid; removes
#                          /tmp/setup
#   ms_between A B         (B - A) * 1000 of two $EPOCHREALTIME values, %.1f

bench_snapshot_l1_sh() {
	cat <<'L1'
export WARDEN_GUEST_DIR=/guest
CMD='i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.02; done'
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
snap_cold() {
    snap_mem=$1
    shift
    snap_d=${SNAP:-/tmp/snap}
    mkdir -p $snap_d && rm -rf $snap_d/* && rm -f /tmp/fifo && mkfifo /tmp/fifo
    t0=$EPOCHREALTIME
    warden run --mem $snap_mem --cmdline "console=ttyS0 quiet panic=-1 warden.run=\"$CMD\"" \
        --snapshot-dir $snap_d --snapshot-then exit --verbose "$@" </dev/null >/tmp/fifo 2>&1 &
    pid=$!
    ( while IFS= read -r line; do
        case $line in
        *"warden-guest: up"*) echo "UP $EPOCHREALTIME" >/tmp/up ;;
        *"tick 20"*) kill -USR2 $pid ;;
        *"snapshot written"*) echo "$line" >/tmp/written ;;
        *"VM set up in"*) echo "$line" >/tmp/setup ;;
        esac
      done </tmp/fifo )
    wait $pid
    read -r _ tup </tmp/up
}
snap_huge_mount() {
    mkdir -p /tmp/snaph
    grep -q ' /tmp/snaph ' /proc/mounts || mount -t tmpfs -o huge=always snaph /tmp/snaph
}
snap_hint() {
    snap_d=${2:-/tmp/snap}
    rm -f $snap_d/memory.hot
    [ "$1" != hot ] || cp $snap_d.hint $snap_d/memory.hot 2>/dev/null
}
snap_keep_hint() {
    snap_d=${1:-/tmp/snap}
    cp $snap_d/memory.hot $snap_d.hint 2>/dev/null || rm -f $snap_d.hint
}
snap_restore() {
    snap_w=$1
    shift
    rm -f /tmp/fifo /tmp/setup && mkfifo /tmp/fifo
    t0=$EPOCHREALTIME
    $snap_w run --restore ${SNAP:-/tmp/snap} --verbose "$@" </dev/null >/tmp/fifo 2>&1 &
    pid=$!
}
L1
}
