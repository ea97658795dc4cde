# The metadata service (MMDS, docs/mmds.md) from a real Linux guest
# (sourced by l1-tests.sh): the guest gives eth0 a link-local address
# and asks 169.254.169.254 over HTTP, as cloud-init or a Firecracker
# guest would.  V1 with busybox wget (IMDS text, the listing of an
# object); V2 with nc (a GET without a token refused, the token's PUT, a
# GET with it, JSON on Accept).  The tap is warden's own (no address in
# L1): the service's frames never leave warden.
printf '{"latest":{"meta-data":{"ami-id":"ami-e2e","local-hostname":"guest1"}}}' >/tmp/mmds-md.json
mmds_up="ip addr add 169.254.0.2/16 dev eth0; ip link set eth0 up"
mmds_v1="$mmds_up; wget -q -O - http://169.254.169.254/latest/meta-data/ami-id; echo; echo wget-rc=\$?"
mmds_v1="$mmds_v1; wget -q -O - http://169.254.169.254/latest/meta-data/ | tr '\n' ,; echo"
case_run mmds_v1 --net tap=wtapm,mmds=on --metadata /tmp/mmds-md.json --cmdline "$BASE warden.run=\"$mmds_v1\""
# (printf's \r\n reach the guest's shell as written: the kernel keeps
# backslashes in a quoted parameter.)
mmds_req="HTTP/1.1\r\nConnection: close\r\n"
mmds_v2="$mmds_up; printf 'GET /latest/meta-data/ami-id $mmds_req\r\n' | timeout 20 nc 169.254.169.254 80 | head -1"
mmds_v2="$mmds_v2; t=\$(printf 'PUT /latest/api/token ${mmds_req}X-metadata-token-ttl-seconds: 60\r\n\r\n' | timeout 20 nc 169.254.169.254 80 | tail -1)"
mmds_v2="$mmds_v2; echo token-len=\${#t}"
mmds_v2="$mmds_v2; printf 'GET /latest/meta-data/ami-id ${mmds_req}X-metadata-token: %s\r\n\r\n' \$t | timeout 20 nc 169.254.169.254 80 | tail -1; echo"
mmds_v2="$mmds_v2; printf 'GET /latest ${mmds_req}X-metadata-token: %s\r\nAccept: application/json\r\n\r\n' \$t | timeout 20 nc 169.254.169.254 80 | tail -1; echo"
case_run mmds_v2 --net tap=wtapm,mmds=on --mmds version=V2 --metadata /tmp/mmds-md.json \
	--cmdline "$BASE warden.run=\"$mmds_v2\""
# A snapshot keeps the service's settings, not its data (Firecracker's
# rule): the guest is snapshotted while it counts, a new warden restores it
# on another tap with other data (--metadata), and the restored guest asks
# V2 again: without a token refused (V2 kept), with one it reads the new
# data.
mmds_snap_cmd="$mmds_up; i=0; while [ \$i -le 30 ]; do echo tick \$i; i=\$((i+1)); sleep 0.1; done"
mmds_snap_cmd="$mmds_snap_cmd; printf 'GET /latest/meta-data/ami-id $mmds_req\r\n' | timeout 20 nc 169.254.169.254 80 | head -1"
mmds_snap_cmd="$mmds_snap_cmd; t=\$(printf 'PUT /latest/api/token ${mmds_req}X-metadata-token-ttl-seconds: 60\r\n\r\n' | timeout 20 nc 169.254.169.254 80 | tail -1)"
mmds_snap_cmd="$mmds_snap_cmd; printf 'GET /latest/meta-data/ami-id ${mmds_req}X-metadata-token: %s\r\n\r\n' \$t | timeout 20 nc 169.254.169.254 80 | tail -1; echo"
rm -rf /tmp/mmds-snap && mkdir -p /tmp/mmds-snap
warden run --net tap=wtapm,mmds=on --mmds version=V2 --metadata /tmp/mmds-md.json --snapshot-dir /tmp/mmds-snap \
	--snapshot-then exit --cmdline "$BASE warden.run=\"$mmds_snap_cmd\"" >/tmp/mmds_snap.out 2>/tmp/mmds_snap.err </dev/null &
mmds_pid=$!
i=0
while ! grep -q '^tick 10' /tmp/mmds_snap.out 2>/dev/null && [ $i -lt 600 ]; do
	sleep 0.2
	i=$((i + 1))
done
kill -USR2 $mmds_pid
wait $mmds_pid
echo "@@CASE mmds_snap rc=$?"
for f in out err; do
	echo "@@BEGIN mmds_snap.$f"
	cat "/tmp/mmds_snap.$f"
	echo
	echo "@@END mmds_snap.$f"
done
printf '{"latest":{"meta-data":{"ami-id":"ami-restored"}}}' >/tmp/mmds-md2.json
case_run mmds_snap_restore --restore /tmp/mmds-snap --net tap=wtapm2 --metadata /tmp/mmds-md2.json
