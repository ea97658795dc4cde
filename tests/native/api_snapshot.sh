# Snapshots through the API (sourced by run.sh before api.sh, which calls
# api_snapshot_checks with its helpers; docs/snapshot.md, docs/api.md):
# the counting guest of snapshot.sh (guests/snapshot_counter.c) configured
# with curl, started, paused, snapshotted with PUT /snapshot/create, its
# process killed; a fresh process loads the snapshot with PUT
# /snapshot/load and the count goes on from where it stopped.  Bad bodies
# and wrong states get 400 and one fault_message; the snapshot is the
# format SIGUSR2 writes (`warden run --restore` takes it), and SIGUSR2 on
# an API-configured VM keeps the API's configuration.

# api_snap_configure: the counting guest, 16 MiB, one drive.
api_snap_configure() {
	api_expect "snapshot: PUT /boot-source" 204 PUT /boot-source "{\"kernel_image_path\": \"$G/snapshot-counter.elf\"}"
	api_expect "snapshot: PUT /machine-config" 204 PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 16}'
	api_expect "snapshot: PUT /drives/scratch" 204 PUT /drives/scratch \
		"{\"drive_id\": \"scratch\", \"path_on_host\": \"$1\", \"is_root_device\": false}"
}

# api_snap_continues LABEL SOURCE-OUT RESTORED-OUT RC: the restored run
# ended as the guest does (33) and counted on from where the source
# stopped at the snapshot, without a gap, to 200 (snap_joined_ok).
api_snap_continues() {
	if [ "$4" = 33 ] && snap_joined_ok "$2" "$3"; then
		pass "$1: the count went on where the snapshot stopped it (after $SNAP_LAST ... 200, status 33)"
	else
		failed "$1: status $4, source and restore counted ${SNAP_JOINED:0:80}..., source's last $SNAP_LAST"
	fi
}

api_snapshot_checks() { # BIN LABEL
	local bin=$1 l="api snapshot ($2)" d="$OUT/api-snap-$2" a="api-snap-$2-src" b="api-snap-$2-load" body k
	rm -rf "$d" && mkdir -p "$d" && truncate -s 1M "$d/disk.img"

	# 1. Configure, start, pause, create; the process is killed.
	api_start "$a" "$bin" --test-exit-port 0xf4
	api_fault "$l: create before start" 'before starting the microVM' PUT /snapshot/create \
		"{\"snapshot_path\": \"$d/state\", \"mem_file_path\": \"$d/memory\"}"
	api_snap_configure "$d/disk.img"
	api_expect "$l: InstanceStart" 204 PUT /actions '{"action_type": "InstanceStart"}'
	if ! snap_wait_for '^count 30$' "$OUT/$a.out"; then
		failed "$l: the guest never counted to 30: $(tail -c 300 "$OUT/$a.err")"
		kill -KILL "$API_PID"
		return
	fi
	# A PATCH on the running VM is in the snapshot: the loaded VM has it.
	api_expect "$l: PATCH /drives: a limit on the running VM" 204 PATCH /drives/scratch \
		'{"drive_id": "scratch", "rate_limiter": {"ops": {"size": 77, "refill_time": 1000}}}'
	api_fault "$l: create on a running VM" 'Cannot create a snapshot of a running microVM' PUT /snapshot/create \
		"{\"snapshot_type\": \"Full\", \"snapshot_path\": \"$d/state\", \"mem_file_path\": \"$d/memory\"}"
	api_expect "$l: PATCH /vm Paused" 204 PATCH /vm '{"state": "Paused"}'
	api_fault "$l: a Diff snapshot" 'Diff snapshots are not supported' PUT /snapshot/create \
		"{\"snapshot_type\": \"Diff\", \"snapshot_path\": \"$d/state\", \"mem_file_path\": \"$d/memory\"}"
	api_fault "$l: create without mem_file_path" "missing field 'mem_file_path'" PUT /snapshot/create \
		"{\"snapshot_path\": \"$d/state\"}"
	api_fault "$l: create into a missing directory" "$d/none" PUT /snapshot/create \
		"{\"snapshot_path\": \"$d/none/state\", \"mem_file_path\": \"$d/none/memory\"}"
	api_expect "$l: PUT /snapshot/create (Full, paused)" 204 PUT /snapshot/create \
		"{\"snapshot_type\": \"Full\", \"snapshot_path\": \"$d/state\", \"mem_file_path\": \"$d/memory\"}"
	expect_eq "$l: the memory file is the guest's RAM size" $((16 << 20)) "$(stat -c %s "$d/memory" 2>/dev/null)"
	# Paused: no count comes while the client waits.
	k=$(snap_counts "$OUT/$a.out" | awk '{ print $NF }')
	sleep 0.3
	expect_eq "$l: the paused VM does not count on" "$k" "$(snap_counts "$OUT/$a.out" | awk '{ print $NF }')"
	kill -KILL "$API_PID"
	api_wait "$a"

	# 2. A fresh process: bad loads answer 400 and change nothing, then
	# the load without resume_vm leaves the VM paused until PATCH /vm.
	api_start "$b" "$bin"
	body="\"snapshot_path\": \"$d/state\", \"mem_backend\": {\"backend_type\": \"File\", \"backend_path\": \"$d/memory\"}"
	api_fault "$l: load without a memory file" 'exactly one of mem_file_path and mem_backend' PUT /snapshot/load \
		"{\"snapshot_path\": \"$d/state\"}"
	api_fault "$l: load with a Uffd backend" 'Uffd is not supported by warden' PUT /snapshot/load \
		"{\"snapshot_path\": \"$d/state\", \"mem_backend\": {\"backend_type\": \"Uffd\", \"backend_path\": \"$d/uffd.sock\"}}"
	api_fault "$l: load with diff snapshots" 'diff snapshots .* are not supported' PUT /snapshot/load \
		"{$body, \"enable_diff_snapshots\": true}"
	api_fault "$l: load of a missing state file" "$d/nostate" PUT /snapshot/load \
		"{\"snapshot_path\": \"$d/nostate\", \"mem_file_path\": \"$d/memory\"}"
	api_fault "$l: load with a memory file of another size" 'memory file .* is [0-9]+ bytes' PUT /snapshot/load \
		"{\"snapshot_path\": \"$d/state\", \"mem_file_path\": \"$d/disk.img\"}"
	api_fault "$l: load with resume_vm not a boolean" "'resume_vm' must be a boolean" PUT /snapshot/load \
		"{$body, \"resume_vm\": 1}"
	api_fault "$l: PATCH /vm before the load" 'before starting the microVM' PATCH /vm '{"state": "Resumed"}'
	api_expect "$l: PUT /snapshot/load (File backend, resume_vm false)" 204 PUT /snapshot/load "{$body, \"resume_vm\": false}"
	api_expect "$l: GET / after the load" 200 GET /
	expect_eq "$l: loaded without resume_vm, the VM is paused" "Paused" "$(jq -r .state "$OUT/api.body")"
	sleep 0.3
	expect_eq "$l: the loaded, paused VM prints nothing" 0 "$(grep -c '^count' "$OUT/$b.out")"
	api_fault "$l: a second load" 'after starting the microVM' PUT /snapshot/load "{$body}"
	api_fault "$l: InstanceStart after the load" 'after starting the microVM' PUT /actions '{"action_type": "InstanceStart"}'
	api_expect "$l: GET /vm/config names the snapshot's drive" 200 GET /vm/config
	expect_eq "$l: the loaded VM's drive (its id, path) and memory are the snapshot's" "scratch $d/disk.img 16" \
		"$(jq -r '"\(.drives[0].drive_id) \(.drives[0].path_on_host) \(.["machine-config"].mem_size_mib)"' "$OUT/api.body")"
	expect_eq "$l: the loaded VM's drive has the limit PATCHed on the running VM" "77 1000" \
		"$(jq -r '.drives[0].rate_limiter.ops | "\(.size) \(.refill_time)"' "$OUT/api.body")"
	api_expect "$l: PATCH /vm Resumed" 204 PATCH /vm '{"state": "Resumed"}'
	api_wait "$b"
	api_snap_continues "$l: loaded through the API" "$OUT/$a.out" "$OUT/$b.out" "$(cat "$OUT/$b.rc")"

	# 3. The same snapshot with the older mem_file_path and resume_vm true,
	# and from the command line: one format whichever way it was made.
	api_start "$b-2" "$bin"
	api_expect "$l: PUT /snapshot/load (mem_file_path, resume_vm true)" 204 PUT /snapshot/load \
		"{\"snapshot_path\": \"$d/state\", \"mem_file_path\": \"$d/memory\", \"resume_vm\": true}"
	api_wait "$b-2"
	api_snap_continues "$l: loaded with resume_vm" "$OUT/$a.out" "$OUT/$b-2.out" "$(cat "$OUT/$b-2.rc")"
	snap_run "$b-cli" "$bin" --restore "$d"
	wait $SNAP_PID; echo $? >"$OUT/$b-cli.rc"
	api_snap_continues "$l: restored by warden run --restore" "$OUT/$a.out" "$OUT/$b-cli.out" "$(rc "$b-cli")"

	# 4. Firecracker's rule: no load once a boot resource was configured.
	api_start "$b-3" "$bin"
	api_expect "$l: PUT /machine-config before a load" 204 PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 16}'
	api_fault "$l: load after configuring" 'Loading a microVM snapshot not allowed after configuring boot-specific resources' \
		PUT /snapshot/load "{$body}"
	kill -TERM "$API_PID"
	api_wait "$b-3"

	# 5. SIGUSR2 on a VM the API configured: its state keeps the API's
	# configuration (the kernel, memory and drive came only from PUTs).
	rm -rf "$d-sig" && mkdir -p "$d-sig"
	api_start "$a-sig" "$bin" --test-exit-port 0xf4 --snapshot-dir "$d-sig" --snapshot-then exit
	api_snap_configure "$d/disk.img"
	api_expect "$l: InstanceStart (--snapshot-dir)" 204 PUT /actions '{"action_type": "InstanceStart"}'
	snap_wait_for '^count 20$' "$OUT/$a-sig.out" && kill -USR2 "$API_PID"
	api_wait "$a-sig"
	expect_eq "$l: SIGUSR2 on an API-configured VM: written, then warden ends (status 7)" 7 "$(cat "$OUT/$a-sig.rc")"
	snap_run "$b-sig" "$bin" --restore "$d-sig"
	wait $SNAP_PID; echo $? >"$OUT/$b-sig.rc"
	api_snap_continues "$l: SIGUSR2's snapshot of an API-configured VM restored" "$OUT/$a-sig.out" "$OUT/$b-sig.out" "$(rc "$b-sig")"

	# 6. network_overrides: a new tap for an interface at the load.
	api_snapshot_net_checks "$bin" "$2" "$d"
}

# api_snapshot_net_checks BIN LABEL DIR: Firecracker's network_overrides.
# The counting guest with an interface the API named eth0 on tap A
# (warden creates it) is snapshotted; a fresh process loads it with
# network_overrides moving eth0 to tap B.  The host is asked directly
# which taps exist (warden's taps are not persistent: each lives while a
# warden holds it); a second interface (eth1) keeps its tap.  Malformed
# overrides, an iface_id the snapshot lacks and two interfaces on one tap
# are refused (400) and the load after them works.
api_snapshot_net_checks() {
	local bin=$1 l="api snapshot network_overrides ($2)" d=$3-net a="api-snap-$2-net" b="api-snap-$2-net-load"
	local ta="wna$$${2:0:1}" tb="wnb$$${2:0:1}" tc="wnc$$${2:0:1}" body ov
	if [ ! -c /dev/net/tun ]; then
		skip "$l: no /dev/net/tun on this host: no tap to attach"
		return
	fi
	rm -rf "$d" && mkdir -p "$d" && truncate -s 1M "$d/disk.img"
	api_start "$a" "$bin" --test-exit-port 0xf4
	api_snap_configure "$d/disk.img"
	api_expect "$l: PUT /network-interfaces/eth0 on tap $ta" 204 PUT /network-interfaces/eth0 \
		"{\"iface_id\": \"eth0\", \"host_dev_name\": \"$ta\", \"guest_mac\": \"02:00:00:00:00:07\"}"
	api_expect "$l: PUT /network-interfaces/eth1 on tap $tc" 204 PUT /network-interfaces/eth1 \
		"{\"iface_id\": \"eth1\", \"host_dev_name\": \"$tc\"}"
	api_expect "$l: InstanceStart" 204 PUT /actions '{"action_type": "InstanceStart"}'
	if ! snap_wait_for '^count 30$' "$OUT/$a.out"; then
		failed "$l: the guest never counted to 30: $(tail -c 300 "$OUT/$a.err")"
		kill -KILL "$API_PID"
		return
	fi
	api_expect "$l: PATCH /vm Paused" 204 PATCH /vm '{"state": "Paused"}'
	api_expect "$l: PUT /snapshot/create" 204 PUT /snapshot/create \
		"{\"snapshot_path\": \"$d/state\", \"mem_file_path\": \"$d/memory\"}"
	kill -KILL "$API_PID"
	api_wait "$a"

	api_start "$b" "$bin"
	body="\"snapshot_path\": \"$d/state\", \"mem_file_path\": \"$d/memory\""
	api_fault "$l: an iface_id the snapshot does not have" "has no network interface 'eth9'" PUT /snapshot/load \
		"{$body, \"network_overrides\": [{\"iface_id\": \"eth9\", \"host_dev_name\": \"$tb\"}]}"
	api_fault "$l: the interface's position name when it has an id" "has no network interface 'net0'" \
		PUT /snapshot/load "{$body, \"network_overrides\": [{\"iface_id\": \"net0\", \"host_dev_name\": \"$tb\"}]}"
	api_fault "$l: not an array" "'network_overrides' must be an array" PUT /snapshot/load \
		"{$body, \"network_overrides\": {\"iface_id\": \"eth0\", \"host_dev_name\": \"$tb\"}}"
	api_fault "$l: a tap name with an option in it" "not an interface name" PUT /snapshot/load \
		"{$body, \"network_overrides\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"$tb,mac=02:00:00:00:00:01\"}]}"
	api_fault "$l: without host_dev_name" "missing field 'host_dev_name'" PUT /snapshot/load \
		"{$body, \"network_overrides\": [{\"iface_id\": \"eth0\"}]}"
	api_fault "$l: two interfaces on one tap" "would put two interfaces on tap $tc" PUT /snapshot/load \
		"{$body, \"network_overrides\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"$tc\"}]}"
	expect_eq "$l: a refused load made no tap" no "$([ -e "/sys/class/net/$tb" ] && echo yes || echo no)"
	ov="[{\"iface_id\": \"eth0\", \"host_dev_name\": \"$tb\"}]"
	api_expect "$l: PUT /snapshot/load with network_overrides (eth0 -> $tb)" 204 PUT /snapshot/load \
		"{$body, \"network_overrides\": $ov}"
	expect_eq "$l: the loaded VM holds tap $tb (the host has it), not $ta" "yes no" \
		"$([ -e "/sys/class/net/$tb" ] && echo yes || echo no) $([ -e "/sys/class/net/$ta" ] && echo yes || echo no)"
	api_expect "$l: GET /vm/config" 200 GET /vm/config
	expect_eq "$l: the interface keeps its id and MAC, on the new tap; the other stays" "eth0 $tb 02:00:00:00:00:07 eth1 $tc" \
		"$(jq -r '.["network-interfaces"] | "\(.[0].iface_id) \(.[0].host_dev_name) \(.[0].guest_mac) \(.[1].iface_id) \(.[1].host_dev_name)"' "$OUT/api.body")"
	api_expect "$l: PATCH /vm Resumed" 204 PATCH /vm '{"state": "Resumed"}'
	api_wait "$b"
	api_snap_continues "$l: loaded on the new tap" "$OUT/$a.out" "$OUT/$b.out" "$(cat "$OUT/$b.rc")"
}
