# Crash consistency (issue 15 section 4; sourced by l1-tests.sh, and by
# bench/durability.sh with DUR_LIB_ONLY=1 for the trial function alone).
# A guest writes numbered 4 KiB records with fdatasync after each
# (guest/tools/recwriter.c) and prints "warden-rec: ack I" once each one
# returned; L1 kills warden with SIGKILL after a random number of acks, then
# checks the image: every record warden printed an ack for must be there
# and intact; on ext4, e2fsck must replay the journal and then find the file
# system clean.
#   dur_trial MODE N [DISK-OPTS]: MODE raw (the records on /dev/vda) or
#   ext4 (a file /m/rec on an ext4 /dev/vda, fsync'd: fdatasync on a file);
#   N names the trial; DISK-OPTS (",poll" ...) go after --disk's path.
#   Prints "DUR-TRIAL mode=M n=N opts=O kill_at=K acked=A intact=I
#   first_bad=B fsck1=R1 fsck2=R2 rc=RC".
DUR_BIN=/tmp/dur-bin/bin/recwriter
dur_tool() { # the checker: the guest's own recwriter, out of its initramfs
	[ -x $DUR_BIN ] && return 0
	mkdir -p /tmp/dur-bin
	(cd /tmp/dur-bin && zcat /guest/initrd.cpio.gz | cpio -id bin/recwriter 2>/dev/null)
	[ -x $DUR_BIN ]
}
dur_trial() {
	dmode=$1 dn=$2 dopts=${3:-}
	img=/tmp/dur-$dmode.img
	out=/tmp/dur-$dmode-$dn.out
	rm -f $img
	dd if=/dev/zero of=$img bs=1M count=32 2>/dev/null
	if [ $dmode = ext4 ]; then
		mkfs.ext4 -q -F $img
		run="mkdir -p /m; mount -t ext4 /dev/vda /m && recwriter write /m/rec 4000"
	else
		run="recwriter write /dev/vda 4000"
	fi
	kill_at=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d " ") % 150 + 10 ))
	# The output file exists before the loop reads it: the background
	# job's redirection may come after the loop's first look, and a count
	# read from no file was no number, which ended the loop at once (the
	# trials that "acknowledged nothing": killed before the guest ran).
	: >$out
	warden run --mem 256 --disk $img$dopts --cmdline "$BASE warden.run=\"$run\"" \
		</dev/null >>$out 2>/tmp/dur.err &
	dpid=$!
	i=0
	while kill -0 $dpid 2>/dev/null && [ $i -lt 1800 ]; do
		acks=$(grep -c '^warden-rec: ack ' $out 2>/dev/null)
		[ "${acks:-0}" -ge $kill_at ] && break
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL $dpid 2>/dev/null
	wait $dpid
	drc=$?
	acked=$(sed -n 's/^warden-rec: ack \([0-9]*\).*/\1/p' $out | tail -n 1)
	acked=${acked:--1}
	f1=- f2=-
	data=$img
	if [ $dmode = ext4 ]; then
		e2fsck -fy $img >/tmp/dur-fsck1.txt 2>&1
		f1=$?
		e2fsck -fn $img >/tmp/dur-fsck2.txt 2>&1
		f2=$?
		rm -f /tmp/dur-rec
		debugfs -R "dump /rec /tmp/dur-rec" $img >/dev/null 2>&1
		data=/tmp/dur-rec
	fi
	res=$($DUR_BIN check $data $acked 2>&1)
	intact=$(echo "$res" | sed -n 's/.*intact \([0-9]*\) of.*/\1/p')
	bad=$(echo "$res" | sed -n 's/.*first bad \(-*[0-9]*\).*/\1/p')
	echo "DUR-TRIAL mode=$dmode n=$dn opts=${dopts:-none} kill_at=$kill_at acked=$acked intact=${intact:-NA} first_bad=${bad:-NA} fsck1=$f1 fsck2=$f2 rc=$drc"
	rm -f $img /tmp/dur-rec
}
if [ -z "${DUR_LIB_ONLY:-}" ]; then
	if dur_tool; then
		{
			dur_trial raw 1
			dur_trial ext4 1
		} >/tmp/durability.txt 2>&1
	else
		echo "DUR-NOTOOL no recwriter in /guest/initrd.cpio.gz" >/tmp/durability.txt
	fi
	echo "@@BEGIN durability.txt"; cat /tmp/durability.txt; echo; echo "@@END durability.txt"
fi
