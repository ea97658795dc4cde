#!/usr/bin/env bash
# Resolve kernel module dependencies without modules.dep.
#
# Usage: scripts/moddeps.sh MODDIR MODULE...
#   MODDIR  a lib/modules/<ver> directory (e.g. build/kernel/modules)
#   MODULE  a module name (virtio_net, virtio-rng: '-' and '_' are equivalent)
#           or a path of a .ko file relative to MODDIR
# Prints the .ko paths (relative to MODDIR) in load order, dependencies first,
# each module once. Modules built into the kernel (modules.builtin) are skipped.
# Dependencies are read with `modinfo -F depends FILE.ko` (kmod is installed
# with apt-get if missing).
#
# Can also be sourced: it then only defines moddeps_resolve MODDIR MODULE...
set -euo pipefail

moddeps_resolve() {
    local moddir=$1; shift
    if ! command -v modinfo >/dev/null 2>&1; then
        echo "moddeps: installing kmod" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kmod >/dev/null 2>&1 \
            || { echo "moddeps: error: cannot install kmod (for modinfo)" >&2; return 1; }
    fi
    [ -d "$moddir/kernel" ] || { echo "moddeps: error: $moddir is not a lib/modules/<ver> dir" >&2; return 1; }

    local -A path=() state=() builtin=()
    local f key
    while IFS= read -r f; do
        key=${f##*/}; key=${key%%.ko*}; key=${key//-/_}
        path[$key]=$f
    done < <(cd "$moddir" && find kernel -name '*.ko' -o -name '*.ko.[xgz]z' -o -name '*.ko.zst' | sort)
    if [ -f "$moddir/modules.builtin" ]; then
        while IFS= read -r f; do
            key=${f##*/}; key=${key%%.ko*}; key=${key//-/_}
            builtin[$key]=1
        done < "$moddir/modules.builtin"
    fi

    local -a order=()
    _md_visit() { # key chain
        local k=$1 chain=$2 d deps
        case ${state[$k]:-} in
            done) return 0 ;;
            active) echo "moddeps: error: dependency cycle: $chain" >&2; return 1 ;;
        esac
        if [ -z "${path[$k]:-}" ]; then
            if [ -n "${builtin[$k]:-}" ]; then state[$k]="done"; return 0; fi
            echo "moddeps: error: module $k not found in $moddir (needed by: $chain)" >&2
            return 1
        fi
        state[$k]=active
        deps=$(modinfo -F depends "$moddir/${path[$k]}") \
            || { echo "moddeps: error: modinfo failed on ${path[$k]}" >&2; return 1; }
        for d in ${deps//,/ }; do
            _md_visit "${d//-/_}" "$chain -> ${d//-/_}" || return 1
        done
        state[$k]="done"
        order+=("${path[$k]}")
    }

    local m
    for m in "$@"; do
        m=${m##*/}; m=${m%%.ko*}; m=${m//-/_}
        _md_visit "$m" "$m" || return 1
    done
    [ ${#order[@]} -eq 0 ] || printf '%s\n' "${order[@]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    if [ $# -lt 2 ]; then
        echo "usage: $0 MODDIR MODULE..." >&2
        exit 2
    fi
    moddeps_resolve "$@"
fi
