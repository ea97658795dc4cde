# The default initramfs's root disk support (sourced by guest/init, as
# /lib/warden/root.sh; busybox sh). docs/rootdisk.md describes it.
#
# root_boot_if_asked: with root= on the kernel command line, mount it on
# /newroot and switch_root to its init; without root=, return at once (the
# test guest goes on as always). Honoured: root=/dev/NAME, root=LABEL=...,
# root=UUID=... (busybox findfs), rootfstype=, rootflags=, ro / rw (the
# last one; ro by default, as the kernel), rootwait (wait up to 30 s for
# the device; rootwait=N: N s; without it 2 s), rootdelay=N, init= (default
# /sbin/init). A root that cannot be booted: one line
#   warden-guest: error: root ROOT: WHY
# on the console, then warden-fail CODE ends the VM with warden's status 8
# (1 no device, 2 mount failed, 3 no init; src/devices/guest_status.h),
# or, under a VMM without warden's guest-status port, poweroff.

# The command line's words, one a line, quotes removed (as the kernel
# splits it: spaces inside double quotes do not end a word).
cmdline_words() {
	awk '{
		w = ""; q = 0; any = 0
		for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1)
			if (c == "\"") { q = !q; any = 1; continue }
			if (!q && (c == " " || c == "\t")) {
				if (any) print w
				w = ""; any = 0; continue
			}
			w = w c; any = 1
		}
		if (any) print w
	}' /proc/cmdline
}

# Sets root, rootfstype, rootflags, rootmode, rootwait, rootdelay, rootinit.
root_parse_cmdline() {
	root= rootfstype= rootflags= rootmode=ro rootwait=2 rootdelay= rootinit=/sbin/init
	while IFS= read -r w; do
		case $w in
		--) break ;; # the rest is init's
		root=*) root=${w#root=} ;;
		rootfstype=*) rootfstype=${w#rootfstype=} ;;
		rootflags=*) rootflags=${w#rootflags=} ;;
		ro) rootmode=ro ;;
		rw) rootmode=rw ;;
		rootwait) rootwait=30 ;;
		rootwait=*) rootwait=${w#rootwait=} ;;
		rootdelay=*) rootdelay=${w#rootdelay=} ;;
		init=*) rootinit=${w#init=} ;;
		esac
	done <<EOF
$(cmdline_words)
EOF
}

# root_fail CODE WHY: the one line, then end the VM with CODE.
root_fail() {
	echo "warden-guest: error: root $root: $2"
	sync
	warden-fail "$1"
	poweroff -f # not under warden: end the VM anyway
	exit 1
}

# The device root= names, on stdout, or nothing.
root_device() {
	case $root in
	LABEL=* | UUID=*) findfs "$root" 2>/dev/null ;;
	/dev/*) [ -b "$root" ] && echo "$root" ;;
	esac
}

# Wait for the device (rootwait's seconds, in 0.1 s steps); sets rootdev.
root_wait_device() {
	case $root in
	LABEL=* | UUID=* | /dev/*) ;;
	*) root_fail 1 "unsupported form (root=/dev/NAME, LABEL=... or UUID=...)" ;;
	esac
	[ -z "$rootdelay" ] || sleep "$rootdelay"
	i=0
	while ! rootdev=$(root_device) || [ -z "$rootdev" ]; do
		[ $i -eq 10 ] && [ "$rootwait" -gt 2 ] && echo "warden-guest: waiting up to $rootwait s for root $root"
		[ $i -ge $((rootwait * 10)) ] && root_fail 1 "no such device (after $rootwait s; block devices: $(ls /sys/block | tr '\n' ' '))"
		sleep 0.1
		i=$((i + 1))
	done
}

root_mount() {
	mkdir -p /newroot
	set -- -o "$rootmode${rootflags:+,$rootflags}"
	[ -z "$rootfstype" ] || set -- "$@" -t "$rootfstype"
	err=$(mount "$@" "$rootdev" /newroot 2>&1) ||
		root_fail 2 "mount of $rootdev failed: $(echo "$err" | tail -n 1)"
}

# Is the init path (inside /newroot) an executable file? Symbolic links are
# followed inside the new root (Debian's /sbin/init -> /lib/systemd/systemd).
root_has_init() {
	p=$1 i=0
	while [ -L "/newroot$p" ] && [ $i -lt 16 ]; do
		t=$(readlink "/newroot$p")
		case $t in
		/*) p=$t ;;
		*) p=${p%/*}/$t ;;
		esac
		i=$((i + 1))
	done
	[ -f "/newroot$p" ] && [ -x "/newroot$p" ]
}

root_switch() {
	root_has_init "$rootinit" ||
		root_fail 3 "no init: $rootinit is not an executable file on $rootdev (init= names another)"
	echo "warden-guest: root $root: $rootdev mounted $rootmode, starting $rootinit"
	# The new init finds /dev, /proc and /sys mounted (systemd keeps them).
	for m in dev proc sys; do
		if [ -d "/newroot/$m" ]; then
			mount --move "/$m" "/newroot/$m"
		else
			umount -l "/$m"
		fi
	done
	exec switch_root /newroot "$rootinit"
}

root_boot_if_asked() {
	root_parse_cmdline
	[ -n "$root" ] || return 0
	root_wait_device
	root_mount
	root_switch
}
