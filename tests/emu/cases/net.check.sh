# virtio-net checks (sourced by tests/emu/run.sh).
l1v() { grep -m1 "^$1 " "$OUT/net_l1.out" 2>/dev/null | cut -d' ' -f2-; }
gv() { grep -m1 -o "^$1=.*" "$OUT/net.out" 2>/dev/null | cut -d= -f2-; }

expect_eq "virtio-net: guest boots and powers off" 0 "$(rc net)"
expect_match "virtio-net: warden attached to the tap L1 made" 'virtio-net0: attached to existing tap wtap0' "$OUT/net.err"
expect_eq "virtio-net: the guest's MAC is the mac= given" 02:77:61:72:64:01 "$(gv mac)"

# Negotiated features, as the guest's sysfs shows them (one 0/1 per bit).
feat=$(gv feat)
for fb in CSUM:0 GUEST_CSUM:1 MAC:5 GUEST_TSO4:7 GUEST_TSO6:8 HOST_TSO4:11 HOST_TSO6:12 MRG_RXBUF:15 STATUS:16 CTRL_VQ:17 VERSION_1:32 NOTF_COAL:53; do
	expect_eq "virtio-net: feature ${fb%:*} negotiated" 1 "${feat:${fb#*:}:1}"
done

expect_match "virtio-net: guest pings L1, 3 of 3 replies" '3 packets transmitted, 3 packets received' "$OUT/net.out"

# Guest -> L1: 8 MiB, same bytes on both sides.
sent=$(gv g2h-sent | cut -d' ' -f1)
recv=$(l1v g2h-recv)
expect_eq "virtio-net: guest's nc to L1 exits 0" 0 "$(gv g2h-rc)"
expect_eq "virtio-net: L1 received 8 MiB from the guest" 8388608 "${recv%% *}"
if [ -n "$sent" ] && [ "$sent" = "${recv##* }" ]; then
	pass "virtio-net: guest -> L1 md5 matches ($sent)"
else
	failed "virtio-net: guest -> L1 md5: guest sent '$sent', L1 got '${recv##* }'"
fi

# L1 -> guest.
sent=$(l1v h2g-sent)
recv=$(gv h2g-recv)
expect_eq "virtio-net: guest received 8 MiB from L1" 8388608 "$(echo "$recv" | cut -d' ' -f1)"
if [ -n "$sent" ] && [ "$sent" = "$(echo "$recv" | cut -d' ' -f2)" ]; then
	pass "virtio-net: L1 -> guest md5 matches ($sent)"
else
	failed "virtio-net: L1 -> guest md5: L1 sent '$sent', guest got '$recv'"
fi

# Device work: 16 MiB of payload moved as frames of at most 64 KiB, so at
# least 256 packets and 16 MiB of frame bytes (plus headers and ACKs).
dw='.device_work["virtio-net0"]'
n=$(js net "$dw.requests // 0")
[ "$n" -ge 256 ] 2>/dev/null && pass "virtio-net: packets counted ($n)" || failed "virtio-net: packets counted: $n"
n=$(js net "$dw.bytes // 0")
[ "$n" -ge 16777216 ] 2>/dev/null && [ "$n" -lt 25165824 ] && pass "virtio-net: frame bytes counted, 16-24 MiB ($n)" ||
	failed "virtio-net: frame bytes $n"
expect_eq "virtio-net: no errors" 0 "$(js net "$dw.errors")"

# Refusals: one line, status 2.
refused virtio-net net_busy 'tap=wtap0: the tap is in use'
refused virtio-net net_notap 'tap=lo: .*not a tap'

# Without mac=: 52:54:00 and 3 bytes of FNV-1a over the tap name and index 0.
h=2166136261
for c in w t a p 1; do
	h=$(( ((h ^ $(printf '%d' "'$c")) * 16777619) & 0xffffffff ))
done
h=$(( (h * 16777619) & 0xffffffff ))
want=$(printf '52:54:00:%02x:%02x:%02x' $(( (h >> 16) & 255 )) $(( (h >> 8) & 255 )) $(( h & 255 )))
expect_eq "virtio-net: no mac=: guest boots" 0 "$(rc net_nomac)"
expect_match "virtio-net: no mac=: warden created the tap" "virtio-net0: created tap wtap1, guest MAC $want" "$OUT/net_nomac.err"
expect_eq "virtio-net: no mac=: the guest sees the derived MAC" "$want" "$(grep -m1 -E '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' "$OUT/net_nomac.out")"
expect_eq "virtio-net: the created tap is gone after warden exits" absent "$(l1v wtap1-after)"

# queues=2: a multi-queue tap, two queues each way in the guest, the pair
# count set over the control queue without a refusal.
expect_eq "virtio-net queues=2: guest boots" 0 "$(rc net_mq)"
expect_match "virtio-net queues=2: warden created a multi-queue tap" 'virtio-net0: created tap wtap2 \(multi-queue\)' "$OUT/net_mq.err"
expect_eq "virtio-net queues=2: the guest has rx-0, rx-1, tx-0, tx-1" "rx-0,rx-1,tx-0,tx-1," "$(grep -m1 -o '^netq=.*' "$OUT/net_mq.out" | cut -d= -f2)"
expect_eq "virtio-net queues=2: the driver's VQ_PAIRS_SET was not refused" 0 "$(grep -m1 -o '^pairfail=.*' "$OUT/net_mq.out" | cut -d= -f2)"
expect_eq "virtio-net queues=2: no errors" 0 "$(js net_mq '.device_work["virtio-net0"].errors')"
