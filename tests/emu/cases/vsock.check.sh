# virtio-vsock with a Linux guest (sourced by tests/emu/run.sh): what each
# side sent, the other got, both ways, on a guest-initiated connection (A)
# and a host-initiated one (B, an echo).
vsock_f() { sed -n "s/^$2 //p" "$OUT/$1" 2>/dev/null | head -n 1; }
if grep -q '^no /extra/guests/vsock-host' "$OUT/vsock_host.out" 2>/dev/null; then
	failed "vsock: build/tests/guests/vsock-host is missing (make native-guests builds it)"
else
	expect_eq "vsock: Linux guest boots and powers off" 0 "$(rc vsock)"
	expect_match "vsock: vsock-test ran to its end" '^vsock: all done$' "$OUT/vsock.out"
	grep -q '^vsock: FAIL' "$OUT/vsock.out" && failed "vsock: $(grep '^vsock: FAIL' "$OUT/vsock.out" | head -n 1)"
	expect_eq "vsock: the guest's vsock transport read the CID given (7, /dev/vsock)" 7 "$(vsock_f vsock.out 'vsock: linux cid')"
	expect_eq "vsock: A (guest connects out): what the guest sent, the host got" \
		"$(vsock_f vsock.out 'vsock: A out')" "$(vsock_f vsock_host.out 'host: A in')"
	expect_eq "vsock: A: what the host answered, the guest got" \
		"$(vsock_f vsock_host.out 'host: A out')" "$(vsock_f vsock.out 'vsock: A in')"
	expect_eq "vsock: B (host connects in): the guest echoed what the host sent" \
		"$(vsock_f vsock_host.out 'host: B sent')" "$(vsock_f vsock.out 'vsock: B echoed')"
	expect_eq "vsock: B: the host got the echo back" \
		"$(vsock_f vsock_host.out 'host: B sent')" "$(vsock_f vsock_host.out 'host: B echo')"
	expect_match "vsock: B: OK <port> from warden" '^host: B line OK [0-9]+$' "$OUT/vsock_host.out"
	expect_eq "vsock: no guest errors" 0 "$(js vsock '.device_work["virtio-vsock"].errors')"
fi
