# virtio-vsock with a Linux guest (sourced by l1-tests.sh; runs in L1's
# /tmp): the guest's vsock-test (guest/tools/vsock.c) listens on port 6000
# and echoes, and connects to host port 5000; vsock-host
# (tests/native/vsock_host.c, from /extra/guests) is the host side, with
# Firecracker's protocol on /tmp/v.sock.  Both print byte counts and
# checksums, compared by vsock.check.sh.
rm -f /tmp/v.sock /tmp/v.sock_5000 /tmp/vsock_host.out
if [ -x /extra/guests/vsock-host ]; then
	/extra/guests/vsock-host /tmp/v.sock >/tmp/vsock_host.out 2>&1 &
	vh=$!
	i=0
	while [ ! -S /tmp/v.sock_5000 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	case_run vsock --vsock cid=7,uds=/tmp/v.sock --cmdline "$BASE warden.run=vsock-test"
	wait $vh
	echo "host: exit $?" >>/tmp/vsock_host.out
else
	echo "no /extra/guests/vsock-host" >/tmp/vsock_host.out
fi
echo "@@BEGIN vsock_host.out"; cat /tmp/vsock_host.out; echo; echo "@@END vsock_host.out"
