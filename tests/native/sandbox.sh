# seccomp filters per thread and the jail (sourced by run.sh after
# shutdown.sh, whose spin guest it reuses; docs/security.md).
#   - each kind of thread that `warden run` starts installs its own
#     filter: the test build's trigger (WARDEN_TEST_SECCOMP=KIND, honoured
#     only by the sanitized build) makes that thread announce its tid, wait
#     a second and call personality(); the kernel is asked whether the
#     thread is filtered (/proc/PID/task/TID/status: Seccomp 2 and the
#     number of filters its creators' chain gives it), and warden must end
#     with status 9 and one line naming the thread and the call;
#   - the release build ignores the trigger; --seccomp off leaves threads
#     unfiltered; --seccomp log runs on and lists the refused call;
#   - the jail (root only): bad set-ups are one line and status 2; a test
#     guest boots inside it as uid 65534, the jailed process has no
#     capabilities, no_new_privs, its own PID and network namespaces and
#     sees only the jail's files; its cgroup v2 limits where the host has
#     cgroup v2.

# sandbox_bg NAME BIN ARGS...: warden in the background (env from the
# caller); PID in SB_PID, output in OUT/NAME.{out,err}; a watchdog kills
# it after 60 s.
sandbox_bg() {
	local name=$1 bin=$2
	shift 2
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	rm -f "$OUT/$name".*
	"$bin" run --mem 16 --stats "$OUT/$name.json" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null &
	SB_PID=$!
	( sleep 60; kill -KILL $SB_PID ) >/dev/null 2>&1 &
	SB_WD=$!
}
sandbox_wait() { # NAME: its status into OUT/NAME.rc
	{ wait $SB_PID; } 2>/dev/null # no "Killed" notice from bash
	echo $? >"$OUT/$1.rc"
	kill $SB_WD 2>/dev/null
}
# status_field PID TID FIELD: the kernel's word on one thread.
status_field() { awk -v f="$3:" '$1 == f { print $2 }' "/proc/$1/task/$2/status" 2>/dev/null; }

# seccomp_kind_check KIND FILTERS ARGS...: the trigger in KIND's thread.
# FILTERS: how many filters the thread has (its own, and those of the
# threads that created it after they installed theirs: main -> vCPU ->
# I/O worker and RTC; main -> prefault; docs/security.md).
seccomp_kind_check() {
	local kind=$1 want=$2 name=sb-trigger-$1 tid i
	shift 2
	WARDEN_TEST_SECCOMP=$kind sandbox_bg "$name" "$ASAN" "$@"
	for i in $(seq 100); do
		tid=$(sed -nE "s/^warden: test: the $kind thread \(tid ([0-9]+)\) makes a refused system call in 1 s$/\1/p" \
			"$OUT/$name.err" | head -n 1)
		[ -n "$tid" ] && break
		sleep 0.1
	done
	expect_eq "seccomp $kind thread: the kernel says its filters are in (mode 2, $want filters)" "2 $want" \
		"$(status_field $SB_PID "$tid" Seccomp) $(status_field $SB_PID "$tid" Seccomp_filters)"
	sandbox_wait "$name"
	expect_eq "seccomp $kind thread: a refused call ends warden with status 9" 9 "$(rc $name)"
	expect_eq "seccomp $kind thread: one line naming the thread and the call" 1 \
		"$(grep -c "^warden: seccomp: the $kind thread made a system call its list does not allow: personality (135); the VM ends (status 9)$" "$OUT/$name.err")"
}

seccomp_checks() {
	local n tasks bad t missing

	if [ ! -x "$ASAN" ]; then
		failed "seccomp: $ASAN is missing (make native-test builds it)"
		return
	fi
	seccomp_kind_check main 1 --kernel "$SPIN" --kernel-format flat
	seccomp_kind_check vcpu 2 --kernel "$SPIN" --kernel-format flat
	seccomp_kind_check shutdown 1 --kernel "$SPIN" --kernel-format flat
	seccomp_kind_check sampler 1 --kernel "$SPIN" --kernel-format flat --stats-interval 1
	seccomp_kind_check prefault 2 --kernel "$SPIN" --kernel-format flat --prefault all
	seccomp_kind_check io-worker 3 --rng --transport mmio --kernel $G/virtio-hostile.elf
	seccomp_kind_check rtc 3 --kernel $G/rtc-uie.bin --kernel-format flat --test-exit-port 0xf4
	seccomp_kind_check hypercall 1 --hypercall --kernel $G/hypercall-test.elf
	missing=$(hyperv_missing_cap) # hyperv.sh: asks KVM
	if [ -n "$missing" ]; then
		skip "seccomp hv-testdev thread: this host's KVM does not offer $missing (--hyperv)"
	else
		seccomp_kind_check hv-testdev 1 --hyperv --hyperv-testdev --kernel $G/long64.elf
	fi
	# The API's thread (libmicrohttpd's) loads its filter at its first
	# connection: one request, then the trigger.
	if command -v curl >/dev/null; then
		local sock=$OUT/sb-api.sock
		rm -f "$sock"
		WARDEN_TEST_SECCOMP=api sandbox_bg sb-trigger-api "$ASAN" --api-sock "$sock"
		for i in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
		# In the background: the trigger holds the connection for its second.
		curl -s -m 5 --unix-socket "$sock" http://localhost/ -o /dev/null &
		for i in $(seq 50); do
			t=$(sed -nE 's/^warden: test: the api thread \(tid ([0-9]+)\) .*/\1/p' "$OUT/sb-trigger-api.err" | head -n 1)
			[ -n "$t" ] && break
			sleep 0.1
		done
		expect_eq "seccomp api thread: the kernel says its filter is in (mode 2, 1 filter)" "2 1" \
			"$(status_field $SB_PID "$t" Seccomp) $(status_field $SB_PID "$t" Seccomp_filters)"
		sandbox_wait sb-trigger-api
		expect_eq "seccomp api thread: a refused call: status 9, one line" "9 1" \
			"$(rc sb-trigger-api) $(grep -c '^warden: seccomp: the api thread made a system call its list does not allow: personality (135)' "$OUT/sb-trigger-api.err")"
	else
		skip "seccomp api thread: no curl on this host (make deps installs it)"
	fi
	# The register page's scanner runs only in `warden lab
	# emulated-vs-virtio`, which installs no filters (docs/security.md).

	# The release build has no trigger: the same request changes nothing.
	n=sb-release-trigger
	WARDEN_TEST_SECCOMP=vcpu run $n $B/warden --kernel $G/long64.elf
	expect_eq "seccomp: the release build ignores the test trigger (poweroff, no test line)" "0 0" \
		"$(rc $n) $(grep -c 'warden: test:' "$OUT/$n.err")"
	# --seccomp log: the refused call is made, the VM runs to its end, the
	# list at the end names it.
	n=sb-log
	WARDEN_TEST_SECCOMP=vcpu run $n "$ASAN" --seccomp log --kernel $G/long64.elf
	expect_eq "seccomp log: the VM runs on to its poweroff" 0 "$(rc $n)"
	expect_match "seccomp log: the list names the thread and the call" \
		'^warden: seccomp log: the vcpu thread made calls its list does not allow: personality$' "$OUT/$n.err"

	# Every thread of a running warden (release build) is filtered by
	# default, and none with --seccomp off.
	for mode in on off; do
		n=sb-threads-$mode
		sandbox_bg $n $B/warden --kernel "$SPIN" --kernel-format flat --stats-interval 1 --seccomp $mode
		sleep 1.5
		tasks=0 bad=
		for t in /proc/$SB_PID/task/*; do
			tasks=$((tasks + 1))
			[ "$(status_field $SB_PID "${t##*/}" Seccomp)" = "$([ $mode = on ] && echo 2 || echo 0)" ] ||
				bad="$bad ${t##*/}"
		done
		kill -KILL $SB_PID
		sandbox_wait $n
		if [ "$tasks" -ge 4 ] && [ -z "$bad" ]; then
			pass "seccomp $mode: all $tasks threads of a running warden $([ $mode = on ] && echo filtered || echo unfiltered)"
		else
			failed "seccomp $mode: $tasks threads, wrong mode in:$bad"
		fi
	done
	bad "--seccomp takes on, log or off" "--seccomp takes on, log or off, not 'maybe'" run --seccomp maybe \
		--kernel $G/long64.elf
}

# The jail: what the jailed process is, asked of the kernel.
jail_checks() {
	local d=$OUT/jail-root n cpid root_list want_list cg disk p

	if [ "$(id -u)" != 0 ]; then
		skip "jail: needs root (namespaces, pivot_root, a uid to drop to)"
		return
	fi
	rm -rf "$d" && mkdir -p "$d"
	if command -v setpriv >/dev/null; then
		setpriv --reuid=65534 --regid=65534 --clear-groups $B/warden run --jail "$d" --jail-uid 65534 \
			--kernel $G/long64.elf >"$OUT/bad.out" 2>"$OUT/bad.err" </dev/null
		expect_eq "jail: needs root, says so (status 2, one line)" "2 1" \
			"$? $(grep -c '^warden: --jail needs root' "$OUT/bad.err")"
	fi
	bad "jail: a missing directory" "--jail $OUT/no-such-dir: No such file or directory" \
		run --jail "$OUT/no-such-dir" --jail-uid 65534 --kernel $G/long64.elf
	bad "jail: uid 0 with the drop" "--jail-uid 0: the jail drops root's privileges" \
		run --jail "$d" --jail-uid 0 --kernel $G/long64.elf
	bad "jail: --jail-* without --jail" "--jail-\* options need --jail DIR" \
		run --jail-uid 65534 --kernel $G/long64.elf
	if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
		bad "jail: --jail-mem without cgroup v2" "--jail-mem needs cgroup v2, and this host has none" \
			run --jail "$d" --jail-uid 65534 --jail-mem 64 --kernel $G/long64.elf
	fi

	# A test guest boots in the jail as uid 65534 (the kernel is read
	# before the jail closes; the stats file is created for that uid).
	cp $G/long64.elf "$OUT/jail-long64.elf" && chmod 600 "$OUT/jail-long64.elf"
	n=sb-jail-boot
	run $n $B/warden --jail "$d" --jail-uid 65534 --kernel "$OUT/jail-long64.elf"
	expect_eq "jail: a test guest boots as uid 65534 and powers off" 0 "$(rc $n)"
	expect_match "jail: its console output" '^long64: hello' "$OUT/$n.out"
	expect_eq "jail: the statistics written from inside" poweroff "$(json $OUT/$n.json .end_reason)"

	# The sanitized build too: its runtime's leak check works in the jail
	# (a /proc of the jail's PID namespace, ASan builds only).
	n=sb-jail-boot-asan
	run $n "$ASAN" --jail "$d" --jail-uid 65534 --kernel "$OUT/jail-long64.elf"
	expect_eq "jail (asan): the test guest powers off, no sanitizer error" "0 0" \
		"$(rc $n) $(grep -c 'Sanitizer' "$OUT/$n.err")"

	# A running jail, asked of the kernel.
	cg=
	[ -f /sys/fs/cgroup/cgroup.controllers ] && cg="--jail-mem 256 --jail-cpus 0.5"
	n=sb-jail-spin
	disk=$OUT/jail-disk.img
	rm -f "$disk" && truncate -s 1M "$disk" && chmod 644 "$disk"
	# shellcheck disable=SC2086
	sandbox_bg $n $B/warden --kernel "$SPIN" --kernel-format flat --jail "$d" --jail-uid 65534 \
		--jail-gid 65534 --jail-netns --jail-nofile 200 --disk "$disk,ro" $cg
	sleep 1.5
	cpid=$(cat /proc/$SB_PID/task/$SB_PID/children 2>/dev/null | awk '{ print $1 }')
	expect_eq "jail: the jailed process's uid and gid" "65534 65534" \
		"$(awk '$1 == "Uid:" { u = $2 } $1 == "Gid:" { g = $2 } END { print u, g }' /proc/$cpid/status 2>/dev/null)"
	expect_eq "jail: no capabilities, no_new_privs, filtered" "0000000000000000 0000000000000000 0000000000000000 1 2" \
		"$(awk '$1 ~ /^Cap(Eff|Prm|Bnd):$/ { c[$1] = $2 } $1 == "NoNewPrivs:" { n = $2 } $1 == "Seccomp:" { s = $2 } END { print c["CapEff:"], c["CapPrm:"], c["CapBnd:"], n, s }' /proc/$cpid/status 2>/dev/null)"
	expect_eq "jail: process 1 of its own PID namespace" 1 "$(awk '$1 == "NSpid:" { print $NF }' /proc/$cpid/status 2>/dev/null)"
	expect_eq "jail: its own network namespace" different \
		"$([ -n "$cpid" ] && [ "$(readlink /proc/$cpid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && echo different || echo same)"
	expect_eq "jail: its open-files limit" 200 "$(awk '/^Max open files/ { print $4 }' /proc/$cpid/limits 2>/dev/null)"
	# It sees only the jail: /dev/kvm, the disk and the stats file at
	# their own paths; the disk read-only.
	root_list=$(cd /proc/$cpid/root 2>/dev/null && find . -mindepth 1 | sort | tr '\n' ' ')
	want_list=$({ echo ./dev; echo ./dev/kvm
		for p in "$(realpath "$OUT/$n.json")" "$(realpath "$disk")"; do
			while [ "$p" != / ]; do echo ".$p"; p=$(dirname "$p"); done
		done; } | sort -u | tr '\n' ' ')
	expect_eq "jail: the jailed process sees only its files" "$want_list" "$root_list"
	expect_eq "jail: a ,ro disk is mounted read-only" ro \
		"$(awk -v p="$(realpath "$disk")" '$5 == p { split($6, o, ","); print o[1] }' /proc/$cpid/mountinfo 2>/dev/null)"
	if [ -n "$cg" ]; then
		expect_eq "jail: its cgroup v2 limits (memory.max, cpu.max)" "268435456 50000 100000" \
			"$(cat /sys/fs/cgroup/warden-$SB_PID/memory.max /sys/fs/cgroup/warden-$SB_PID/cpu.max 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
		expect_eq "jail: the jailed process is in that group" "0::/warden-$SB_PID" "$(cat /proc/$cpid/cgroup 2>/dev/null)"
	else
		skip "jail: cgroup limits: this host has no cgroup v2 (no /sys/fs/cgroup/cgroup.controllers)"
	fi
	kill -TERM $SB_PID
	sleep 0.5
	kill -TERM $SB_PID
	sandbox_wait $n
	expect_eq "jail: SIGTERM reaches the jailed warden; its status is passed on (7)" 7 "$(rc $n)"
	[ -n "$cg" ] && expect_eq "jail: the cgroup is removed at the end" gone \
		"$([ -d /sys/fs/cgroup/warden-$SB_PID ] && echo present || echo gone)"

	# A jailed process that cannot end (stopped here; a hang, in life) is
	# its PID namespace's init, which SIGTERM cannot end: the starting
	# process kills it 5 s after the second SIGTERM (without that, only
	# sandbox_bg's watchdog would end it, at 60 s).
	n=sb-jail-stuck
	sandbox_bg $n $B/warden --kernel "$SPIN" --kernel-format flat --jail "$d" --jail-uid 65534
	sleep 1.5
	cpid=$(cat /proc/$SB_PID/task/$SB_PID/children 2>/dev/null | awk '{ print $1 }')
	[ -n "$cpid" ] && kill -STOP "$cpid"
	t=$(date +%s)
	kill -TERM $SB_PID
	sleep 0.5
	kill -TERM $SB_PID
	sandbox_wait $n
	t=$(($(date +%s) - t))
	expect_eq "jail: a jailed process that hangs is killed after the second SIGTERM's grace (status 137, in 4-15 s)" \
		"137 yes" "$(rc $n) $([ "$t" -ge 4 ] && [ "$t" -le 15 ] && echo yes || echo "no: $t s")"
}

# `warden jailer`: Firecracker's jailer command line, started as Kata
# starts it: a binary named `jailer` with `--exec-file` a binary named
# `firecracker` (both symbolic links to warden: src/cli/fc_names.c).  The
# jail's root is <base>/firecracker/<id>/root as the orchestrator fills it;
# the API socket is its /run/firecracker.socket; a kernel copied in after
# the start is booted by its path inside the jail, by a process of uid
# 65534 that sees only that directory.
jailer_checks() {
	local base=$OUT/jailer-base n=sb-jailer root cpid s i want bin=$OUT/kata-bin
	if [ "$(id -u)" != 0 ]; then
		skip "jailer: needs root (namespaces, pivot_root, a uid to drop to)"
		return
	fi
	bad "jailer: an id with a slash" "jailer: --id may hold only letters, digits and '-'" \
		jailer --id a/b --exec-file $B/warden --uid 65534 --gid 65534 --chroot-base-dir "$base"
	bad "jailer: no --uid" "jailer: --id, --exec-file, --uid and --gid are required" \
		jailer --id a --exec-file $B/warden --gid 65534 --chroot-base-dir "$base"
	bad "jailer: a NUMA node it does not know" "jailer: --node 1: only node 0 is supported" \
		jailer --id a --node 1 --exec-file $B/warden --uid 65534 --gid 65534 --chroot-base-dir "$base"
	bad "jailer: a Firecracker option warden lacks" "jailer: unknown or incomplete option '--cgroup-version'" \
		jailer --id a --cgroup-version 2 --exec-file $B/warden --uid 65534 --gid 65534
	rm -rf "$base" "$bin"
	mkdir -p "$bin"
	ln -s "$(realpath "$B/warden")" "$bin/jailer"
	ln -s "$(realpath "$B/warden")" "$bin/firecracker"
	"$bin/firecracker" --version 2>&1 | head -n 1 >"$OUT/fc-version.out"
	expect_match "jailer: warden as \`firecracker --version\`: Firecracker's line format, which Kata parses" \
		'^Firecracker v[1-9][0-9]*\.[0-9]+\.[0-9]+$' "$OUT/fc-version.out"
	root=$base/firecracker/$n/root
	s=$root/run/firecracker.socket
	"$bin/jailer" --id $n --node 0 --exec-file "$bin/firecracker" --uid 65534 --gid 65534 --chroot-base-dir "$base" \
		-- --mem 16 --stats /run/stats.json >"$OUT/$n.out" 2>"$OUT/$n.err" </dev/null &
	SB_PID=$!
	( sleep 60; kill -KILL $SB_PID ) >/dev/null 2>&1 &
	SB_WD=$!
	for i in $(seq 200); do [ -S "$s" ] && break; sleep 0.05; done
	expect_eq "jailer: the API socket is <base>/firecracker/<id>/root/run/firecracker.socket" yes "$([ -S "$s" ] && echo yes || echo no)"
	cpid=$(cat /proc/$SB_PID/task/$SB_PID/children 2>/dev/null | awk '{ print $1 }')
	expect_eq "jailer: the jailed process's uid and gid" "65534 65534" \
		"$(awk '$1 == "Uid:" { u = $2 } $1 == "Gid:" { g = $2 } END { print u, g }' /proc/$cpid/status 2>/dev/null)"
	expect_eq "jailer: GET / reports the jailer's --id" $n \
		"$(curl -s --unix-socket "$s" http://localhost/ | jq -r .id 2>/dev/null)"
	cp $G/long64.elf "$root/long64.elf"
	want="./dev ./dev/kvm"
	[ -c /dev/net/tun ] && want="$want ./dev/net ./dev/net/tun"
	expect_eq "jailer: the jailed process's root is the jail's directory" \
		"$want ./long64.elf ./run ./run/firecracker.socket" \
		"$(cd /proc/$cpid/root 2>/dev/null && find . -mindepth 1 | sort | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "jailer: PUT /boot-source with the kernel's path inside the jail" 204 \
		"$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$s" -X PUT http://localhost/boot-source \
			-H 'Content-Type: application/json' -d '{"kernel_image_path": "/long64.elf"}')"
	expect_eq "jailer: InstanceStart" 204 \
		"$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$s" -X PUT http://localhost/actions \
			-H 'Content-Type: application/json' -d '{"action_type": "InstanceStart"}')"
	sandbox_wait $n
	expect_eq "jailer: the guest powers off, status 0" 0 "$(rc $n)"
	expect_match "jailer: its console output" '^long64: hello' "$OUT/$n.out"
	expect_eq "jailer: the statistics written inside the jail" poweroff "$(json "$root/run/stats.json" .end_reason)"
}

ASAN=$B/asan/warden
seccomp_checks
jail_checks
jailer_checks
