# virtio-vsock (sourced by run.sh): guests/vsock_guest.c drives warden's
# vsock device while tests/native/vsock_host.c (vsock-host) plays the host
# with Firecracker's protocol.  Data of known checksum crosses both ways on a
# guest-initiated connection (A) and a host-initiated one (B, an echo);
# each side prints what it sent and got, and the two must agree.  The
# guest's hostile packets must be answered with RST or dropped and
# counted (its "counts errors" against warden's device_work errors).
# vsock_fields FILE REGEX: the words after the prefix REGEX on its line.
vsock_fields() { sed -n "s/^$2 //p" "$1" | head -n 1; }

vsock_checks() { # BIN LABEL TRANSPORT
	local bin=$1 l=$2-vsock-$3 uds out host j cid
	if [ ! -x $G/vsock-host ]; then
		failed "$l: $G/vsock-host is missing (make native-test builds it)"
		return
	fi
	uds=$OUT/$l.sock
	out=$OUT/$l.out
	host=$OUT/$l.host
	j=$OUT/$l.json
	cid=$((RANDOM + 3))
	rm -f "$uds" "${uds}_5000"
	$G/vsock-host "$uds" >"$host" 2>&1 &
	local hp=$!
	# The host side listens on PATH_5000 before the guest connects there.
	for _ in $(seq 100); do [ -S "${uds}_5000" ] && break; sleep 0.05; done
	run "$l" "$bin" --vsock "cid=$cid,uds=$uds" --transport "$3" --kernel $G/vsock-guest.elf
	wait $hp
	expect_eq "$l: poweroff exit status" 0 "$(rc $l)"
	expect_match "$l: every guest check passed" '^vsock: all checks passed$' "$out"
	grep -q '^vsock: FAIL ' "$out" && failed "$l: $(grep '^vsock: FAIL ' "$out" | head -n 5 | tr '\n' ';')"
	expect_eq "$l: the guest found it on $3 and read its CID" "vsock: $3 cid $cid" \
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
	[ "$(rc $l)" = 0 ] && [ ! -e "$uds" ] && pass "$l: the socket at uds= is removed at the end" ||
		failed "$l: $uds is still there after warden ended"
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
