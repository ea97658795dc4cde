#!/bin/bash
# Run a command holding /tmp/tcg.lock (one QEMU TCG machine at a time on
# this 2-core host), unless an ancestor already holds it: a caller who
# wrapped the whole bench script in `flock /tmp/tcg.lock` would otherwise
# wait for ever on its own lock.
#
# Usage: bash bench/tcg-lock.sh COMMAND [ARGS...]
LOCK=${TCG_LOCK:-/tmp/tcg.lock}

# True when a process above this one is `flock LOCK ...`.
ancestor_holds_lock() {
    local pid=$PPID cmd
    while [ "$pid" -gt 1 ] 2>/dev/null; do
        cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)
        case "$cmd" in
            flock\ "$LOCK"\ *|*/flock\ "$LOCK"\ *) return 0 ;;
        esac
        pid=$(awk '{print $4}' "/proc/$pid/stat" 2>/dev/null) || return 1
    done
    return 1
}

if ancestor_holds_lock; then
    exec "$@"
fi
exec flock "$LOCK" "$@"
