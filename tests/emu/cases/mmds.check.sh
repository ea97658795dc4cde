# The metadata service from a Linux guest (mmds.l1.sh; sourced by
# tests/emu/run.sh).
L="MMDS V1"
expect_eq "$L: guest boots and powers off" 0 "$(rc mmds_v1)"
expect_match "$L: wget reads the string as IMDS text" '^ami-e2e$' "$OUT/mmds_v1.out"
expect_match "$L: wget succeeds" '^wget-rc=0' "$OUT/mmds_v1.out"
expect_match "$L: an object lists its keys, sorted" '^ami-id,local-hostname,?$' "$OUT/mmds_v1.out"
n=$(js mmds_v1 '.device_work["virtio-net0"].errors')
expect_eq "$L: no guest errors on the device" 0 "$n"
L="MMDS V2"
expect_eq "$L: guest boots and powers off" 0 "$(rc mmds_v2)"
expect_match "$L: a GET without a session token is refused" '^HTTP/1.1 401' "$OUT/mmds_v2.out"
t=$(sed -n 's/^token-len=//p' "$OUT/mmds_v2.out" | tr -d '\r')
[ "${t:-0}" -ge 16 ] 2>/dev/null && pass "$L: the token's PUT gives a token ($t characters)" ||
	failed "$L: token length '${t}'"
expect_match "$L: a GET with the token reads the value" '^ami-e2e' "$OUT/mmds_v2.out"
expect_match "$L: Accept: application/json gives JSON" '^\{"meta-data":\{"ami-id":"ami-e2e","local-hostname":"guest1"\}\}' "$OUT/mmds_v2.out"
L="MMDS snapshot"
expect_eq "$L: SIGUSR2 with --snapshot-then exit ends warden after it (status 7)" 7 "$(rc mmds_snap)"
expect_eq "$L: the restored guest powers off" 0 "$(rc mmds_snap_restore)"
expect_match "$L: the restored guest counts on" '^tick 30' "$OUT/mmds_snap_restore.out"
expect_match "$L: V2 kept: a GET without a token is refused" '^HTTP/1.1 401' "$OUT/mmds_snap_restore.out"
expect_match "$L: the data is the restore's --metadata, not the snapshot's" '^ami-restored' "$OUT/mmds_snap_restore.out"
n=$(grep -c 'ami-e2e' "$OUT/mmds_snap_restore.out")
expect_eq "$L: nothing of the old data" 0 "$n"
