# The Firecracker-compatible API (sourced by run.sh; docs/api.md), driven
# with curl over its Unix socket as Firecracker's getting-started guide
# does, with the project's test guests as the kernel (Linux cannot boot on
# this host's KVM):
#   - the getting-started sequence (logger, boot-source, a drive,
#     machine-config, metrics, InstanceStart) boots long64.elf with the
#     same console output and exit status as the command line; the same
#     resources in a --config-file, and GET /vm/config's answer as one, too;
#   - Kata's shape: --api-sock with --config-file, logger and metrics on
#     named pipes (one never read), Firecracker 0.x fields;
#   - every endpoint with bad bodies (unknown fields, wrong types, values
#     out of range, calls in the wrong state, a body over the limit, a
#     client that hangs up mid-request): status 400 and one JSON
#     fault_message each, on the sanitized build, with a running guest
#     that is still running (GET /, GET /exits, GET /stats, its threads'
#     names) afterwards;
#   - metrics: one JSON line per flush and per period with every group,
#     counters reset at each line, the exits of all lines add up to
#     --stats' total, a device's group is its work as --stats counts it;
#   - a kernel warden cannot load: InstanceStart answers 400 with why,
#     warden ends as the command line would;
#   - Kata's placeholder drives: an empty file is a disk of no sectors and
#     PATCH /drives on the running VM gives the guest a new file
#     (guests/virtio_blk_swap.c sees the interrupt, capacity and data);
#   - PATCH /drives' rate_limiter on the running VM: a guest waiting on
#     its disk's limit is let go at once;
#   - a SIGTERM before InstanceStart ends warden and removes its socket;
#     --no-api, a socket path in use, a bad --config-file: status 2
#     (api_bad_input, with run.sh's other bad-input checks).
API_DIR=$(mktemp -d /tmp/warden-api.XXXXXX)
API_GUEST=$G/long64.elf
API_SPIN=$OUT/api-spin.bin
# Three port writes (three exits to warden), then cli; hlt; jmp back to the
# hlt: no more exits, it runs until stopped.
printf '\xb0\x41\xe6\x80\xe6\x80\xe6\x80\xfa\xf4\xeb\xfd' >"$API_SPIN"

# api_start NAME BIN ARGS...: warden serving $API_DIR/NAME.sock in the
# background (API_PID), once the socket is there.
api_start() {
	local name=$1 bin=$2
	shift 2
	API_SOCK=$API_DIR/$name.sock
	[[ $bin == */asan/* ]] && ASAN_RUNS+=("$name")
	local sub=(run)
	# Under Firecracker's name the command line has no subcommand (Kata's).
	[ "${bin##*/}" = firecracker ] && sub=()
	"$bin" "${sub[@]}" --mem 16 --stats "$OUT/$name.json" --api-sock "$API_SOCK" "$@" \
		>"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null &
	API_PID=$!
	for _ in $(seq 200); do
		[ -S "$API_SOCK" ] && return 0
		sleep 0.05
	done
	failed "api $name: no socket at $API_SOCK after 10 s"
}
# api_wait NAME: its exit status in NAME.rc (a stuck warden is killed at 30 s).
api_wait() {
	local wd
	( sleep 30; kill -KILL "$API_PID" ) >/dev/null 2>&1 &
	wd=$!
	wait "$API_PID"
	echo $? >"$OUT/$1.rc"
	kill $wd 2>/dev/null
	wait $wd 2>/dev/null
}
# api METHOD PATH [BODY]: the status; the answer's body in $OUT/api.body.
api() {
	local args=(-s --max-time 10 -o "$OUT/api.body" -w '%{http_code}' --unix-socket "$API_SOCK" -X "$1"
		    "http://localhost$2")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}"
}
# api_expect NAME STATUS METHOD PATH [BODY]
api_expect() {
	local name=$1 want=$2
	shift 2
	expect_eq "api: $name" "$want" "$(api "$@")"
}
# api_fault NAME REGEX METHOD PATH [BODY]: 400 and one fault_message matching REGEX.
api_fault() {
	local name=$1 re=$2 st keys msg
	shift 2
	st=$(api "$@")
	keys=$(jq -r 'keys | join(",")' "$OUT/api.body" 2>/dev/null)
	msg=$(jq -r .fault_message "$OUT/api.body" 2>/dev/null)
	if [ "$st" = 400 ] && [ "$keys" = fault_message ] && grep -Eq -- "$re" <<<"$msg"; then
		pass "api fault: $name ($msg)"
	else
		failed "api fault: $name: status $st, body $(head -c 300 "$OUT/api.body"), wanted 400 /$re/"
	fi
}

# Firecracker's getting-started order; the drive cannot be the root
# device here (the test guest is not Linux: no root=).
api_getting_started() {
	local disk=$OUT/api-disk.img n=api-gs
	truncate -s 1M "$disk"
	rm -f "$OUT/$n.log" "$OUT/$n.metrics"
	api_start $n "$B/warden"
	api_expect "GET / answers before start" 200 GET /
	expect_eq "api: the state before start" "Not started" "$(jq -r .state "$OUT/api.body")"
	api_expect "GET /version" 200 GET /version
	expect_eq "api: the version is warden's --version" "$($B/warden --version | cut -d' ' -f2)" \
		"$(jq -r .firecracker_version "$OUT/api.body")"
	api_expect "PUT /boot-source" 204 PUT /boot-source \
		"{\"kernel_image_path\": \"$API_GUEST\", \"boot_args\": \"console=ttyS0 reboot=k panic=1 pci=off\"}"
	api_expect "PUT /drives/rootfs" 204 PUT /drives/rootfs \
		"{\"drive_id\": \"rootfs\", \"path_on_host\": \"$disk\", \"is_root_device\": false, \"is_read_only\": false}"
	api_expect "PUT /machine-config" 204 PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 32}'
	api_expect "GET /machine-config" 200 GET /machine-config
	expect_eq "api: GET /machine-config has the PUT's size" 32 "$(jq -r .mem_size_mib "$OUT/api.body")"
	api_expect "GET /vm/config" 200 GET /vm/config
	cp "$OUT/api.body" "$OUT/$n-vmconfig.json"
	api_expect "PUT /logger" 204 PUT /logger "{\"log_path\": \"$OUT/$n.log\", \"level\": \"Info\"}"
	api_expect "PUT /metrics" 204 PUT /metrics "{\"metrics_path\": \"$OUT/$n.metrics\"}"
	api_expect "InstanceStart" 204 PUT /actions '{"action_type": "InstanceStart"}'
	api_wait $n
	[ -S "$API_SOCK" ] && failed "api: the socket is left after warden ended" || pass "api: the socket is removed at the end"

	# (--transport mmio: what an API-configured VM gets, as Firecracker's.)
	run $n-cli "$B/warden" --kernel "$API_GUEST" --mem 32 --disk "$disk" --transport mmio \
		--cmdline "console=ttyS0 reboot=k panic=1 pci=off"
	expect_eq "api: getting-started boot ends as the command line's" "$(rc $n-cli)" "$(cat "$OUT/$n.rc")"
	expect_eq "api: the same console output as the command line's" "$(cat "$OUT/$n-cli.out")" "$(cat "$OUT/$n.out")"
	expect_match "api: the guest's first output" '^long64: hello' "$OUT/$n.out"
	expect_match "api: PUT /logger: warden's diagnostics go to log_path" 'top ports' "$OUT/$n.log"
	expect_eq "api: as many exits as the command line's run" \
		"$(json "$OUT/$n-cli.json" .total_exits)" "$(json "$OUT/$n.json" .total_exits)"

	# The same resources from a file, and GET /vm/config's answer as a file.
	jq -n --arg k "$API_GUEST" --arg d "$disk" '{"boot-source": {kernel_image_path: $k,
		boot_args: "console=ttyS0 reboot=k panic=1 pci=off"}, "machine-config": {vcpu_count: 1, mem_size_mib: 32},
		drives: [{drive_id: "rootfs", path_on_host: $d, is_root_device: false, is_read_only: false}]}' >"$OUT/$n-file.cfg"
	run $n-file "$B/warden" --config-file "$OUT/$n-file.cfg" --no-api
	expect_eq "api: --config-file boot ends as the command line's" "$(rc $n-cli)" "$(rc $n-file)"
	expect_eq "api: --config-file: the same console output" "$(cat "$OUT/$n-cli.out")" "$(cat "$OUT/$n-file.out")"
	run $n-vmconfig "$B/warden" --config-file "$OUT/$n-vmconfig.json"
	expect_eq "api: GET /vm/config's answer boots as a --config-file" "$(cat "$OUT/$n-cli.out")" "$(cat "$OUT/$n-vmconfig.out")"
	api_metrics_checks $n
}

# The metrics file of the getting-started run: the final flush's line.
api_metrics_checks() {
	local n=$1 m=$OUT/$1.metrics lines
	lines=$(grep -c . "$m" 2>/dev/null)
	expect_eq "api metrics: one line per flush (the last at the end)" 1 "$lines"
	expect_eq "api metrics: every group in the line" "api_server block entropy get_api_requests mmds net patch_api_requests put_api_requests utc_timestamp_ms vsock warden_exits" \
		"$(jq -r 'keys | join(" ")' "$m" 2>/dev/null)"
	expect_eq "api metrics: the mmds group has Firecracker's 9 keys" 9 "$(jq -r '.mmds | length' "$m" 2>/dev/null)"
	expect_eq "api metrics: the exits of the lines add up to --stats' total" \
		"$(json "$OUT/$n.json" .total_exits)" "$(jq -s 'map(.warden_exits.total) | add' "$m" 2>/dev/null)"
	expect_eq "api metrics: PUTs counted (boot-source, drive, machine-config, logger, metrics)" "1 1 1 1 1" \
		"$(jq -r '.put_api_requests | "\(.boot_source_count) \(.drive_count) \(.machine_cfg_count) \(.logger_count) \(.metrics_count)"' "$m" 2>/dev/null)"
}

# A device's counters in the metrics: virtio-hostile.elf drives the
# entropy device (PUT /entropy, from a --config-file, on the sanitized
# build); the last line's entropy group is what --stats counts as its work.
api_metrics_devices() {
	local n=api-rng
	rm -f "$OUT/$n.metrics"
	jq -n --arg k "$G/virtio-hostile.elf" --arg m "$OUT/$n.metrics" '{"boot-source": {kernel_image_path: $k},
		entropy: {}, metrics: {metrics_path: $m}}' >"$OUT/$n.cfg"
	run $n "$B/asan/warden" --config-file "$OUT/$n.cfg"
	expect_eq "api metrics: the entropy group is the device's work (--stats device_work)" \
		"$(json "$OUT/$n.json" '.device_work["virtio-rng"] | "\(.requests) \(.bytes) \(.notifies) \(.interrupts) \(.errors)"')" \
		"$(jq -s -r 'map(.entropy) | "\(map(.requests) | add) \(map(.bytes) | add) \(map(.notifies) | add) \(map(.interrupts) | add) \(map(.errors) | add)"' "$OUT/$n.metrics" 2>/dev/null)"
	expect_eq "api metrics: a device the VM lacks is there, with zeros" "0 0" \
		"$(jq -s -r 'map(.block) | "\(map(.requests) | add) \(map(.errors) | add)"' "$OUT/$n.metrics" 2>/dev/null)"
}

# The shape of Kata's configuration: --api-sock and --config-file together,
# logger and metrics on named pipes (one read as Kata reads it, one that
# nobody reads, which must not hold warden up), Firecracker 0.x fields and
# rate limiters that limit nothing.
api_kata_shape() {
	local n=api-kata d=$API_DIR/kata reader
	mkdir -p "$d"
	mkfifo "$d/logs.fifo" "$d/metrics.fifo"
	cat "$d/metrics.fifo" >"$OUT/$n.metrics-read" &
	reader=$!
	jq -n --arg k "$API_SPIN" --arg d "$d" '{"boot-source": {kernel_image_path: $k, boot_args: "reboot=k panic=1 pci=off"},
		"machine-config": {vcpu_count: 1, mem_size_mib: 32, ht_enabled: false},
		drives: [{drive_id: "rootfs", path_on_host: ($d + "/rootfs"), is_root_device: false, is_read_only: true,
			  rate_limiter: {}}],
		logger: {level: "Error", log_path: ($d + "/logs.fifo")}, metrics: {metrics_path: ($d + "/metrics.fifo")}}' \
		>"$d/fcConfig.json"
	truncate -s 1M "$d/rootfs"
	# Kata runs `firecracker --api-sock S --config-file F`: warden through a
	# link of that name (src/cli/fc_names.c).
	ln -sf "$(realpath "$B/warden")" "$d/firecracker"
	api_start $n "$d/firecracker" --config-file "$d/fcConfig.json" --kernel-format flat --shutdown-timeout 0
	# Kata polls GET / until the VM has started (the file boots it at once).
	for _ in $(seq 100); do
		[ "$(api GET /)" = 200 ] && [ "$(jq -r .started "$OUT/api.body")" = true ] && break
		sleep 0.05
	done
	expect_eq "api: Kata's shape: the file's VM runs, the socket answers" "Running true" \
		"$(jq -r '"\(.state) \(.started)"' "$OUT/api.body")"
	kill -TERM "$API_PID"
	api_wait $n
	wait $reader
	expect_eq "api: Kata's shape: a log pipe nobody reads does not hold warden up (status 7 at SIGTERM)" 7 \
		"$(cat "$OUT/$n.rc")"
	expect_eq "api: the metrics pipe got the line (its exits as --stats counts them)" \
		"$(json "$OUT/$n.json" .total_exits)" "$(jq -s 'map(.warden_exits.total) | add' "$OUT/$n.metrics-read" 2>/dev/null)"
}

# Bad requests before the VM starts (the sanitized build).
api_bad_before() {
	api_fault "unknown path" 'Invalid request method and/or path: GET /nope' GET /nope
	api_fault "wrong method" 'Invalid request method and/or path: DELETE /vm' DELETE /vm
	api_fault "no body" 'needs a JSON body' PUT /boot-source
	api_fault "not JSON" 'not valid JSON' PUT /boot-source '{"kernel_image_path": '
	api_fault "not an object" 'must be a JSON object' PUT /machine-config '[1, 2]'
	api_fault "boot-source: unknown field" "unknown field 'kernel'" PUT /boot-source '{"kernel": "x"}'
	api_fault "boot-source: wrong type" "'kernel_image_path' must be a string" PUT /boot-source '{"kernel_image_path": 5}'
	api_fault "boot-source: missing kernel" 'kernel_image_path /nonexistent' PUT /boot-source '{"kernel_image_path": "/nonexistent"}'
	api_fault "machine-config: vcpu_count out of range" "'vcpu_count' is 0" PUT /machine-config '{"vcpu_count": 0, "mem_size_mib": 32}'
	api_fault "machine-config: negative size" "'mem_size_mib' must be a non-negative integer" PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": -5}'
	api_fault "machine-config: more than the host's RAM" "'mem_size_mib' is 1099511627776" PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 1099511627776}'
	api_fault "machine-config: smt" 'smt is not supported' PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 32, "smt": true}'
	api_fault "drives: id mismatch" 'does not match the id from the body' PUT /drives/a '{"drive_id": "b", "path_on_host": "/dev/null", "is_root_device": false}'
	api_fault "drives: bad id" 'is not 1 to 64 letters' PUT /drives/a.b '{"drive_id": "a.b", "path_on_host": "/dev/null", "is_root_device": false}'
	api_fault "drives: no such file" 'path_on_host /nonexistent' PUT /drives/a '{"drive_id": "a", "path_on_host": "/nonexistent", "is_root_device": false}'
	api_fault "drives: wrong type" "'is_root_device' must be a boolean" PUT /drives/a '{"drive_id": "a", "path_on_host": "/dev/null", "is_root_device": "yes"}'
	api_fault "network: bad MAC" 'not a unicast MAC' PUT /network-interfaces/n '{"iface_id": "n", "host_dev_name": "tap9", "guest_mac": "zz"}'
	api_fault "network: a rate limiter's bucket without refill_time" "rx_rate_limiter.bandwidth: missing field 'refill_time'" PUT /network-interfaces/n '{"iface_id": "n", "host_dev_name": "tap9", "rx_rate_limiter": {"bandwidth": {"size": 1000}}}'
	api_fault "network: a rate limiter's size out of range" "tx_rate_limiter.ops: field 'size' is 18446744073709551615" PUT /network-interfaces/n '{"iface_id": "n", "host_dev_name": "tap9", "tx_rate_limiter": {"ops": {"size": 18446744073709551615, "refill_time": 100}}}'
	api_fault "vsock: CID out of range" "'guest_cid' is 2" PUT /vsock '{"guest_cid": 2, "uds_path": "/tmp/v.sock"}'
	# The vsock hook (warden's --vsock) is reached: its own limit answers.
	api_fault "vsock: uds_path too long for its _<port> paths" 'longer than 96 characters' PUT /vsock \
		"{\"guest_cid\": 3, \"uds_path\": \"/tmp/$(printf 'v%.0s' $(seq 100))\"}"
	api_fault "entropy: unknown field" "unknown field 'x'" PUT /entropy '{"x": 1}'
	api_fault "logger: bad level" 'level must be' PUT /logger '{"level": "Loud"}'
	api_fault "metrics: missing path" "missing field 'metrics_path'" PUT /metrics '{}'
	api_fault "actions: unknown action" "unknown action_type 'Reboot'" PUT /actions '{"action_type": "Reboot"}'
	api_fault "actions: InstanceStart without a kernel" 'without a boot source' PUT /actions '{"action_type": "InstanceStart"}'
	api_fault "actions: SendCtrlAltDel before start" 'before starting the microVM' PUT /actions '{"action_type": "SendCtrlAltDel"}'
	api_fault "actions: FlushMetrics without metrics" 'metrics are not configured' PUT /actions '{"action_type": "FlushMetrics"}'
	api_fault "GET /stats before start" 'before starting the microVM' GET /stats
	api_fault "vm: bad state" 'must be Paused or Resumed' PATCH /vm '{"state": "Frozen"}'
	api_fault "vm: pause before start" 'before starting the microVM' PATCH /vm '{"state": "Paused"}'
	api_fault "snapshot/create before start" 'before starting the microVM' PUT /snapshot/create '{"snapshot_path": "s", "mem_file_path": "m"}'
	api_fault "snapshot/create: bad type" 'must be Full or Diff' PUT /snapshot/create '{"snapshot_type": "Half", "snapshot_path": "s", "mem_file_path": "m"}'
	api_fault "snapshot/load: two memory sources" 'exactly one of' PUT /snapshot/load '{"snapshot_path": "s", "mem_file_path": "m", "mem_backend": {"backend_type": "File", "backend_path": "m"}}'
	api_fault "snapshot/load: bad backend" 'backend_type must be File or Uffd' PUT /snapshot/load '{"snapshot_path": "s", "mem_backend": {"backend_type": "Disk", "backend_path": "m"}}'
	head -c 60000 /dev/zero | tr '\0' ' ' >"$OUT/api-big.json"
	api_fault "a body over the 51200-byte limit" 'larger than the limit of 51200' PUT /machine-config @"$OUT/api-big.json"
	# A client that hangs up in the middle of its body.
	python3 - "$API_SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"PUT /machine-config HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
          b"Content-Length: 100\r\n\r\n{\"vcpu_count\": 2, ")
s.close()
PY
	api_expect "answers after a client hung up mid-request" 200 GET /machine-config
	expect_eq "api: the cut request changed nothing" 1 "$(jq -r .vcpu_count "$OUT/api.body")"
}

# Bad requests while the VM runs, then the VM is checked.
api_bad_after() {
	# Before anything pauses the VM: its three port exits, though the vCPU
	# has idled in KVM since (no exit to warden to hand the run loop's
	# notes of them over): a live read has them handed to the accounting
	# first (vm_sync_observer).
	local io=
	for _ in $(seq 40); do
		api GET /exits >/dev/null
		io=$(jq -r '.reasons.io // 0' "$OUT/api.body" 2>/dev/null)
		[ "$io" = 3 ] && break
		sleep 0.05
	done
	expect_eq "api: GET /exits counts the idle guest's 3 port exits" 3 "$io"
	api_fault "boot-source after start" 'after starting the microVM' PUT /boot-source "{\"kernel_image_path\": \"$API_SPIN\"}"
	api_fault "machine-config after start" 'after starting the microVM' PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 32}'
	api_fault "a second InstanceStart" 'after starting the microVM' PUT /actions '{"action_type": "InstanceStart"}'
	api_expect "pause: PATCH /vm Paused" 204 PATCH /vm '{"state": "Paused"}'
	api_fault "snapshot/create: a path warden cannot write" "$OUT/api-nodir/" \
		PUT /snapshot/create "{\"snapshot_type\": \"Full\", \"snapshot_path\": \"$OUT/api-nodir/s\", \"mem_file_path\": \"$OUT/api-nodir/m\"}"
	api_expect "resume: PATCH /vm Resumed" 204 PATCH /vm '{"state": "Resumed"}'
	api_fault "snapshot of a running VM" 'running microVM' PUT /snapshot/create '{"snapshot_type": "Full", "snapshot_path": "s", "mem_file_path": "m"}'
	api_fault "snapshot/load after start" 'after starting the microVM' PUT /snapshot/load '{"snapshot_path": "s", "mem_file_path": "m"}'
	api_fault "PATCH /drives on a running VM: a file that is no disk" 'not a regular file or block device' PATCH /drives/d '{"drive_id": "d", "path_on_host": "/dev/null"}'
	api_fault "PATCH /drives: no such drive" "there is no drive 'x'" PATCH /drives/x '{"drive_id": "x"}'
	# New rate limits for the running disk (its limiter's own checks are
	# the unit test's and virtio_poll.sh's): taken, and what the VM's
	# configuration says from then on.
	api_expect "PATCH /drives on a running VM: a rate limiter" 204 PATCH /drives/d \
		'{"drive_id": "d", "rate_limiter": {"ops": {"size": 50, "refill_time": 1000, "one_time_burst": 7}}}'
	api_expect "GET /vm/config after the PATCH" 200 GET /vm/config
	expect_eq "api: GET /vm/config has the running disk's new limits" "50 1000 7 null" \
		"$(jq -r '.drives[0].rate_limiter | "\(.ops.size) \(.ops.refill_time) \(.ops.one_time_burst) \(.bandwidth)"' "$OUT/api.body")"
	api_fault "PATCH /drives on a running VM: a bad bucket" "rate_limiter.bandwidth: unknown field 'rate'" PATCH /drives/d \
		'{"drive_id": "d", "rate_limiter": {"bandwidth": {"rate": 5}}}'
	api_fault "PATCH /network-interfaces: no such interface" "there is no interface 'x'" PATCH /network-interfaces/x '{"iface_id": "x"}'
	expect_eq "api: vCPU threads named as Firecracker's (Kata finds them so)" "fc_vcpu 0" \
		"$(cat /proc/"$API_PID"/task/*/comm 2>/dev/null | grep -x 'fc_vcpu [0-9]*' | tr '\n' ' ' | sed 's/ $//')"
	# (KVM's own kernel threads, kvm-*, live in the process too.)
	expect_eq "api: threads named outside WARDEN_THREADS (tests/lib.sh)" 0 \
		"$(cat /proc/"$API_PID"/task/*/comm 2>/dev/null | grep -v '^kvm-' | grep -Evxc "$WARDEN_THREADS")"
	api_expect "SendCtrlAltDel presses the power button" 204 PUT /actions '{"action_type": "SendCtrlAltDel"}'
	api_expect "GET / after the bad requests" 200 GET /
	expect_eq "api: the VM still runs" "Running true" "$(jq -r '"\(.state) \(.started)"' "$OUT/api.body")"
	api_expect "GET /exits" 200 GET /exits
	expect_eq "api: GET /exits has the live table" true "$(jq -r '(.total > 0) and (.vcpus | length == 1)' "$OUT/api.body")"
	cp "$OUT/api.body" "$OUT/api-bad-exits.json"
	# The spin guest halts with interrupts off after its port writes: no
	# exit between the two answers.
	api_expect "GET /stats" 200 GET /stats
	expect_eq "api: GET /stats is the --stats JSON of the running VM" "warden-stats/2 running" \
		"$(jq -r '"\(.schema) \(.end_reason)"' "$OUT/api.body")"
	expect_eq "api: GET /stats and GET /exits count the same exits" \
		"$(json "$OUT/api-bad-exits.json" .total)" "$(json "$OUT/api.body" .total_exits)"
	api_expect "FlushMetrics" 204 PUT /actions '{"action_type": "FlushMetrics"}'
	api_expect "FlushMetrics again" 204 PUT /actions '{"action_type": "FlushMetrics"}'
}

api_bad_requests() {
	local n=api-bad
	rm -f "$OUT/$n.metrics"
	WARDEN_TEST_METRICS_PERIOD_MS=200 api_start $n "$B/asan/warden" --kernel-format flat --shutdown-timeout 0
	api_bad_before
	api_expect "PUT /metrics (asan)" 204 PUT /metrics "{\"metrics_path\": \"$OUT/$n.metrics\"}"
	api_expect "PUT /drives/d (asan)" 204 PUT /drives/d '{"drive_id": "d", "path_on_host": "/dev/null", "is_root_device": false, "is_read_only": true}'
	api_expect "PATCH /drives before start: a new path" 204 PATCH /drives/d "{\"drive_id\": \"d\", \"path_on_host\": \"$OUT/api-disk.img\"}"
	api_expect "PUT /boot-source (asan)" 204 PUT /boot-source "{\"kernel_image_path\": \"$API_SPIN\"}"
	api_expect "InstanceStart (asan)" 204 PUT /actions '{"action_type": "InstanceStart"}'
	api_bad_after
	# Lines on the period (the test hook's 200 ms): at least 4 in a second.
	local before
	before=$(grep -c . "$OUT/$n.metrics")
	sleep 1
	expect_eq "api metrics: a line every period (at least 4 in a second)" yes \
		"$([ $(($(grep -c . "$OUT/$n.metrics") - before)) -ge 4 ] && echo yes || echo "no: $before, then $(grep -c . "$OUT/$n.metrics")")"
	kill -TERM "$API_PID"
	api_wait $n
	expect_eq "api: the VM stops on SIGTERM as without the API (status 7)" 7 "$(cat "$OUT/$n.rc")"
	# The 9 /actions requests of this run (5 refused), each in exactly one
	# line: counters reset at each line (without, the lines would add up
	# to far more).
	expect_eq "api metrics: each /actions request in one line (counters reset per line)" "9 5" \
		"$(jq -s -r '"\(map(.put_api_requests.actions_count) | add) \(map(.put_api_requests.actions_fails) | add)"' "$OUT/$n.metrics" 2>/dev/null)"
}

 # Status 2 for what a user gets wrong (run.sh calls it with the other
# bad-input checks, where `bad` is defined).
api_bad_input() {
	[ "$API_CURL" = yes ] || return 0
	bad "--no-api without --config-file" '--no-api needs --config-file' run --no-api
	bad "--no-api with --api-sock" 'exclude each other' run --no-api --api-sock "$API_DIR/x.sock" --config-file /dev/null
	touch "$API_DIR/taken.sock"
	bad "--api-sock on a path in use" "--api-sock $API_DIR/taken.sock: Address already in use" run --api-sock "$API_DIR/taken.sock"
	bad "--api-sock in a missing directory" "--api-sock $API_DIR/none/s.sock: No such file or directory" run --api-sock "$API_DIR/none/s.sock"
	echo '{"boot-source": {"kernel_image_path": "/nonexistent"}}' >"$OUT/api-bad1.cfg"
	bad "--config-file: a missing kernel" 'boot-source: kernel_image_path /nonexistent' run --config-file "$OUT/api-bad1.cfg"
	echo '{"balloon": {"amount_mib": 1}}' >"$OUT/api-bad2.cfg"
	bad "--config-file: a resource warden lacks" 'balloon is not supported' run --config-file "$OUT/api-bad2.cfg"
	echo '{"drives": [{"path_on_host": "/dev/null"}]}' >"$OUT/api-bad3.cfg"
	bad "--config-file: a drive without an id" 'drives\[0\]: needs drive_id' run --config-file "$OUT/api-bad3.cfg"
	echo '{"machine-config": ' >"$OUT/api-bad4.cfg"
	bad "--config-file: not JSON" 'not valid JSON' run --config-file "$OUT/api-bad4.cfg"
	rm -rf "$API_DIR"
}

# A kernel warden cannot load: InstanceStart answers 400 with main's
# reason, and warden ends with status 2 as the command line would.
api_failed_start() {
	local n=api-nokernel
	head -c 4096 /dev/zero >"$OUT/$n.bin"
	api_start $n "$B/warden"
	api_expect "PUT /boot-source (a file that is no kernel)" 204 PUT /boot-source "{\"kernel_image_path\": \"$OUT/$n.bin\"}"
	api_fault "InstanceStart of a file that is no kernel" "$OUT/$n.bin" PUT /actions '{"action_type": "InstanceStart"}'
	api_wait $n
	run $n-cli "$B/warden" --kernel "$OUT/$n.bin"
	expect_eq "api: a failed start ends warden as the command line's" "$(rc $n-cli)" "$(cat "$OUT/$n.rc")"
}

api_sigterm_before_start() {
	local n=api-sig
	api_start $n "$B/warden"
	kill -TERM "$API_PID"
	api_wait $n
	expect_eq "api: SIGTERM before InstanceStart ends warden (status 7)" 7 "$(cat "$OUT/$n.rc")"
	[ -e "$API_SOCK" ] && failed "api: SIGTERM before InstanceStart left the socket" || pass "api: SIGTERM before InstanceStart removes the socket"
}

# Kata's placeholder drives: an empty file put before boot is a disk of
# no sectors; PATCH /drives on the running VM gives it a real file, and
# the guest (guests/virtio_blk_swap.c, waiting on ConfigGeneration) sees
# the configuration interrupt, the new capacity and the new file's data.
# A file that is not there is refused and the disk keeps its old one.
api_drive_swap() {
	local n=api-swap ph=$OUT/api-swap-ph.img data=$OUT/api-swap-data.img
	: >"$ph"
	printf 'warden-swap-data' >"$data"
	truncate -s 4096 "$data"
	api_start $n "$B/warden"
	api_expect "PUT /boot-source (the drive-swap guest)" 204 PUT /boot-source \
		"{\"kernel_image_path\": \"$G/virtio-blk-swap.elf\", \"boot_args\": \"console=ttyS0\"}"
	api_expect "PUT /drives with an empty placeholder file" 204 PUT /drives/ph \
		"{\"drive_id\": \"ph\", \"path_on_host\": \"$ph\", \"is_root_device\": false}"
	api_expect "InstanceStart with a placeholder drive" 204 PUT /actions '{"action_type": "InstanceStart"}'
	for _ in $(seq 200); do
		grep -q 'virtio-blk-swap: waiting' "$OUT/$n.out" 2>/dev/null && break
		sleep 0.05
	done
	api_fault "PATCH /drives to a file that is not there" "api-swap-missing.img" PATCH /drives/ph \
		"{\"drive_id\": \"ph\", \"path_on_host\": \"$OUT/api-swap-missing.img\"}"
	api_expect "PATCH /drives on the running VM" 204 PATCH /drives/ph \
		"{\"drive_id\": \"ph\", \"path_on_host\": \"$data\"}"
	api_wait $n
	expect_eq "api: the drive-swap guest ends with status 0" 0 "$(cat "$OUT/$n.rc")"
	expect_match "api: a placeholder drive has no sectors" '^virtio-blk-swap: capacity 0$' "$OUT/$n.out"
	expect_match "api: PATCH /drives sends a configuration interrupt" '^virtio-blk-swap: config interrupt$' "$OUT/$n.out"
	expect_match "api: the guest sees the new file's capacity" '^virtio-blk-swap: capacity 8$' "$OUT/$n.out"
	expect_match "api: the guest reads the new file's data" '^virtio-blk-swap: data warden-swap-data$' "$OUT/$n.out"
}

# PATCH /drives with a rate_limiter on a running VM reaches the device
# live: the stream guest (guests/virtio_blk_mq.c, one queue here: 258
# requests) starts under ops=4/100, which would hold it at least 6.35 s
# (4 in the full bucket, then 40 a second), and is waiting on the
# limiter when its limit is taken away (size 0); the device, woken at
# once, finishes the stream in a fraction of that.
api_drive_rate_live() {
	local n=api-rate-live img=$OUT/api-rate-live.img t0 ms
	rm -f "$img" && truncate -s 8M "$img"
	api_start $n "$B/warden"
	api_expect "PUT /boot-source (the stream guest)" 204 PUT /boot-source \
		"{\"kernel_image_path\": \"$G/virtio-blk-mq.elf\", \"boot_args\": \"console=ttyS0\"}"
	api_expect "PUT /drives with ops 4 per 100 ms" 204 PUT /drives/d "{\"drive_id\": \"d\", \"path_on_host\": \"$img\",
		\"is_root_device\": false, \"rate_limiter\": {\"ops\": {\"size\": 4, \"refill_time\": 100}}}"
	t0=$(date +%s%N)
	api_expect "InstanceStart (a limited disk)" 204 PUT /actions '{"action_type": "InstanceStart"}'
	snap_wait_for '^virtio-blk: queues' "$OUT/$n.out"
	sleep 0.3
	# GET /stats of the running VM has every device counter, the I/O
	# thread's CPU time among them (it sleeps on the limiter's timer).
	api_expect "GET /stats of the limited disk" 200 GET /stats
	[ "$(jq '.device_work["virtio-blk0"].cpu_us' "$OUT/api.body")" -gt 0 ] 2>/dev/null &&
		pass "api: GET /stats has the disk's I/O thread CPU time ($(jq '.device_work["virtio-blk0"].cpu_us' "$OUT/api.body") us)" ||
		failed "api: GET /stats: cpu_us $(jq '.device_work["virtio-blk0"].cpu_us' "$OUT/api.body")"
	api_expect "PATCH /drives: the limit taken away on the running VM" 204 PATCH /drives/d \
		'{"drive_id": "d", "rate_limiter": {"ops": {"size": 0, "refill_time": 0}}}'
	api_wait $n
	ms=$((($(date +%s%N) - t0) / 1000000))
	expect_eq "api: the limited guest ends with status 0" 0 "$(cat "$OUT/$n.rc")"
	expect_match "api: the limited guest's checks passed" '^virtio-blk: all checks passed$' "$OUT/$n.out"
	[ "$(json "$OUT/$n.json" '.device_work["virtio-blk0"].throttled')" -gt 0 ] 2>/dev/null &&
		pass "api: requests waited under the limit before the PATCH ($(json "$OUT/$n.json" '.device_work["virtio-blk0"].throttled'))" ||
		failed "api: no request waited before the PATCH: $(json "$OUT/$n.json" '.device_work["virtio-blk0"].throttled')"
	[ "$ms" -lt 3250 ] &&
		pass "api: after the PATCH the stream ran unlimited ($ms ms in all; the limit alone holds it 6350)" ||
		failed "api: the stream took $ms ms: the PATCH did not lift the limit (it alone holds it 6350)"
}

API_CURL=no
if ! command -v curl >/dev/null; then
	skip "api: no curl on this host (make deps installs it)"
else
	API_CURL=yes
	api_getting_started
	api_metrics_devices
	api_kata_shape
	api_bad_requests
	api_failed_start
	api_sigterm_before_start
	api_drive_swap
	api_drive_rate_live
	api_snapshot_checks "$B/warden" release
	api_snapshot_checks "$B/asan/warden" asan
fi
