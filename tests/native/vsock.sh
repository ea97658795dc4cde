# virtio-vsock (sourced by run.sh): guests/vsock_guest.c drives warden's
# vsock device while tests/native/vsock_host.c (vsock-host) plays the host
# with Firecracker's protocol.  Data of known checksum crosses both ways on a
# guest-initiated connection (A) and a host-initiated one (B, an echo);
# each side prints what it sent and got, and the two must agree.  The
# guest's hostile packets must be answered with RST or dropped and
# counted (its "counts errors" against warden's device_work errors).
# vsock_fields FILE REGEX: the words after the prefix REGEX on its line.
vsock_fields() { sed -n "s/^$2 //p" "$1" | head -n 1; }

# vsock_compare LABEL TRANSPORT CID: what the guest (LABEL.out) and the host
# (LABEL.host) printed must agree, and warden's stats (LABEL.json) with both.
vsock_compare() {
	local l=$1 out=$OUT/$1.out host=$OUT/$1.host j=$OUT/$1.json
	expect_eq "$l: poweroff exit status" 0 "$(rc $l)"
	expect_match "$l: every guest check passed" '^vsock: all checks passed$' "$out"
	grep -q '^vsock: FAIL ' "$out" && failed "$l: $(grep '^vsock: FAIL ' "$out" | head -n 5 | tr '\n' ';')"
	expect_eq "$l: the guest found it on $2 and read its CID" "vsock: $2 cid $3" \
		"$(grep -E '^vsock: (mmio|pci) cid' "$out")"
	expect_eq "$l: A (guest connects out): what the guest sent, the host got" \
		"$(vsock_fields "$out" 'vsock: A out')" "$(vsock_fields "$host" 'host: A in')"
	expect_eq "$l: A: what the host answered, the guest got" \
		"$(vsock_fields "$host" 'host: A out')" "$(vsock_fields "$out" 'vsock: A in')"
	expect_eq "$l: B (host connects in): OK <port> names the port the guest saw" \
		"OK $(vsock_fields "$out" 'vsock: B host port')" "$(vsock_fields "$host" 'host: B line')"
	expect_eq "$l: B: the guest echoed what the host sent" \
		"$(vsock_fields "$host" 'host: B sent')" "$(vsock_fields "$out" 'vsock: B echoed')"
	expect_eq "$l: B: and the host got the echo back" \
		"$(vsock_fields "$host" 'host: B sent')" "$(vsock_fields "$host" 'host: B echo')"
	expect_eq "$l: warden counted the guest's errors" \
		"$(vsock_fields "$out" 'vsock: counts errors')" "$(json $j '.device_work["virtio-vsock"].errors')"
}

# vsock_host_start LABEL UDS: the host side in the background (VSOCK_HOST),
# listening on UDS_5000 before the guest connects there.
vsock_host_start() {
	rm -f "$2" "${2}_5000"
	$G/vsock-host "$2" >"$OUT/$1.host" 2>&1 &
	VSOCK_HOST=$!
	for _ in $(seq 100); do [ -S "${2}_5000" ] && break; sleep 0.05; done
}

vsock_checks() { # BIN LABEL TRANSPORT
	local bin=$1 l=$2-vsock-$3 uds cid
	if [ ! -x $G/vsock-host ]; then
		failed "$l: $G/vsock-host is missing (make native-test builds it)"
		return
	fi
	uds=$OUT/$l.sock
	cid=$((RANDOM + 3))
	vsock_host_start "$l" "$uds"
	run "$l" "$bin" --vsock "cid=$cid,uds=$uds" --transport "$3" --kernel $G/vsock-guest.elf
	wait $VSOCK_HOST
	vsock_compare "$l" "$3" "$cid"
	[ "$(rc $l)" = 0 ] && [ ! -e "$uds" ] && pass "$l: the socket at uds= is removed at the end" ||
		failed "$l: $uds is still there after warden ended"
}

# The same device added by Firecracker's PUT /vsock (src/api) instead of
# --vsock: the API's hook must build what the option builds.
vsock_api_checks() { # BIN LABEL
	local bin=$1 l=$2-vsock-api uds=$OUT/$2-vsock-api.sock cid=$((RANDOM + 3)) st
	if ! command -v curl >/dev/null; then
		skip "$l: no curl on this host to speak to the API"
		return
	fi
	vsock_host_start "$l" "$uds"
	API_SOCK=$OUT/$l.api
	rm -f "$API_SOCK"
	timeout 60 "$bin" run --stats "$OUT/$l.json" --api-sock "$API_SOCK" >"$OUT/$l.out" 2>"$OUT/$l.err" </dev/null &
	st=$!
	for _ in $(seq 200); do [ -S "$API_SOCK" ] && break; sleep 0.05; done
	vsock_api_put "$l" /boot-source "{\"kernel_image_path\": \"$G/vsock-guest.elf\"}"
	vsock_api_put "$l" /machine-config '{"vcpu_count": 1, "mem_size_mib": 16}'
	vsock_api_put "$l" /vsock "{\"guest_cid\": $cid, \"uds_path\": \"$uds\"}"
	vsock_api_put "$l" /actions '{"action_type": "InstanceStart"}'
	wait $st
	echo $? >"$OUT/$l.rc"
	wait $VSOCK_HOST
	vsock_compare "$l" mmio "$cid"
}
vsock_api_put() { # LABEL PATH BODY: 204, or a failure naming the answer
	local code
	code=$(curl -s --max-time 10 -o "$OUT/$1.body" -w '%{http_code}' --unix-socket "$API_SOCK" -X PUT \
		-H 'Content-Type: application/json' --data-binary "$3" "http://localhost$2")
	[ "$code" = 204 ] || failed "$1: PUT $2: $code $(head -c 200 "$OUT/$1.body" 2>/dev/null)"
}

# --vsock's mistakes: one line, status 2.
vsock_bad() {
	local f=$OUT/vsock-taken.sock
	bad "--vsock cid=2 (the host's)" 'a guest CID is 3 to' run --vsock cid=2,uds=$OUT/v.sock --kernel $G/long64.elf
	bad "--vsock cid=abc" 'cid=abc is not a number' run --vsock cid=abc,uds=$OUT/v.sock --kernel $G/long64.elf
	bad "--vsock without uds=" 'needs cid=N,uds=PATH' run --vsock cid=3 --kernel $G/long64.elf
	bad "--vsock unknown key" "unexpected 'x=1'" run --vsock cid=3,uds=$OUT/v.sock,x=1 --kernel $G/long64.elf
	bad "--vsock uds= too long" 'longer than 96 characters' run --vsock "cid=3,uds=/$(printf 'x%.0s' $(seq 100))" --kernel $G/long64.elf
	bad "--vsock twice" 'at most one --vsock' run --vsock cid=3,uds=$OUT/v.sock --vsock cid=4,uds=$OUT/w.sock --kernel $G/long64.elf
	: >"$f"
	bad "--vsock uds= exists" 'cannot bind .*remove the stale socket file' run --vsock cid=3,uds=$f --kernel $G/long64.elf
	[ -e "$f" ] && pass "bad input: --vsock leaves an existing file at uds= alone" || failed "bad input: --vsock removed $f"
	rm -f "$f"
}
