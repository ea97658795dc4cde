#!/usr/bin/env bash
# Report tier: `warden report` renders hand-made --stats-trace files
# (a 2-vCPU Linux boot, a final line alone, and one full of hostile names
# and wrong types) into HTML. Two real parsers check the markup and that
# each plot exists with the right number of lines and bars; headless
# Chromium renders every page with no console message (a deliberately
# broken page proves the check catches them) and a screenshot that shows
# something. Bad input gives one line and status 2.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

B=${REPORT_BUILD:-build}
OUT=$B/tests/report
FIX=tests/report
mkdir -p "$OUT"
echo "== report tier (warden report, headless Chromium)"
helper_checks   # the comparison helpers (tests/lib.sh) refuse missing sides

# report BIN NAME: renders fixture NAME with BIN into $OUT/NAME.html.
report() {
	local bin=$1 name=$2 tag=$3
	"$bin" report "$FIX/$name.jsonl" -o "$OUT/$tag-$name.html" >"$OUT/$tag-$name.out" 2>"$OUT/$tag-$name.err"
	echo $? >"$OUT/$tag-$name.rc"
}

for tag in release asan; do
	bin=$B/warden
	[ $tag = asan ] && bin=$B/asan/warden
	if [ ! -x "$bin" ]; then
		failed "$tag: $bin is missing (make report-test builds it)"
		continue
	fi
	for name in sample minimal hostile; do
		report "$bin" $name $tag
		expect_eq "$tag $name: exit status" 0 "$(cat "$OUT/$tag-$name.rc")"
		expect_eq "$tag $name: nothing on stderr (sanitizers included)" 0 "$(wc -c <"$OUT/$tag-$name.err")"
	done
done
for name in sample minimal hostile; do
	cmp -s "$OUT/release-$name.html" "$OUT/asan-$name.html" && pass "$name: release and ASan builds write the same page" ||
		failed "$name: release and ASan builds wrote different pages"
done

# facts NAME: the checker's JSON about page NAME (release build).
for name in sample minimal hostile; do
	python3 tests/report/html_check.py "$OUT/release-$name.html" >"$OUT/$name.facts.json" 2>"$OUT/$name.facts.err" ||
		failed "$name: html_check.py failed: $(head -c 300 "$OUT/$name.facts.err")"
done
F=$OUT/sample.facts.json
final() { grep '"type":"final"' "$FIX/$1.jsonl" | jq -r "$2"; }
intervals() { grep '"type":"interval"' "$FIX/$1.jsonl" | jq -s -r "$2"; }
commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
# pct A B: A as a share of B, as the page writes it ("12.3%").
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f%%", 100 * a / b }'; }
# duration NS: as the page writes a time: 3 significant digits in the
# largest unit (s, ms, µs, ns) that NS reaches.
duration() {
	awk -v ns="$1" 'BEGIN {
		n = split("1e9 s 1e6 ms 1e3 µs 1 ns", u, " ")
		for (i = 1; i < n; i += 2)
			if (ns >= u[i] * 0.9995 || u[i] == 1)
				break
		v = u[i] == 1 ? int(ns + 0.5) : ns / u[i]
		e = v > 0 ? log(v) / log(10) : 0
		f = int(e); if (f > e) f--
		d = v != 0 && v < 1000 ? 2 - f : 0
		printf "%.*f %s", (d < 0 ? 0 : d), v, u[i + 1]
	}'
}

echo "-- sample (2 vCPUs, KVM statistics, exit trace)"
for name in sample minimal hostile; do
	f=$OUT/$name.facts.json
	expect_eq "$name: well-formed XML (strict parser)" ok "$(json $f .xml)"
	expect_eq "$name: every HTML element closed in order" ok "$(json $f .balance)"
	expect_eq "$name: nothing fetched (script, img, link, src, href)" 0 "$(json $f '.fetching | length')"
	expect_eq "$name: no http(s) reference outside xmlns" 0 "$(json $f .http_outside_xmlns)"
	expect_eq "$name: no CSS url() or @import" 0 "$(json $f .css_fetch)"
	expect_eq "$name: every plot has an id" 0 "$(json $f .svg_without_id)"
done
expect_eq "timeline: one line per legend entry" 4 "$(json $F '.svgs.timeline.polylines')"
expect_eq "timeline: warden's reasons by total" "io,mmio,intr,hlt" "$(json $F '.svgs.timeline.legend | join(",")')"
expect_eq "timeline: lines and legend name the same series" true "$(json $F '.svgs.timeline | .series == .legend')"
expect_eq "timeline: io total in the legend" "io $(commas "$(intervals sample '[.[].warden.io // 0] | add')")" \
	"$(json $F '.svgs.timeline.texts[] | select(startswith("io "))')"
expect_eq "timeline: axes with units" "time since the VM started (s)|exits per second (log scale)" \
	"$(json $F '.svgs.timeline.axis_labels[0:2] | join("|")')"
expect_eq "timeline: tick labels on both axes (>= 8)" true "$(json $F '.svgs.timeline.tick_labels >= 8')"
expect_eq "KVM timeline: the non-zero exit counters, one line each" \
	"exits,io_exits,halt_exits,irq_exits,irq_window_exits,mmio_exits 6" \
	"$(json $F '.svgs["timeline-kvm"] | "\(.legend | join(",")) \(.polylines)"')"
expect_eq "trace timeline: 8 largest reasons and other" "NPF,MSR,IOIO,CPUID,HLT,INTR,VINTR,PAUSE,other" \
	"$(json $F '.svgs["timeline-trace"].legend | join(",")')"
expect_eq "trace timeline: one line per legend entry" 9 "$(json $F '.svgs["timeline-trace"].polylines')"
expect_eq "latency histograms: 4 reasons + 6 devices + 8 hardware reasons" 18 "$(json $F '.classes["latency-hist"]')"
expect_eq "latency histograms: every one has bars and p50/p99 markers" true \
	"$(json $F '[.svgs[] | select(.class | index("latency-hist")) | .bars >= 1 and .markers == 2] | all')"
expect_eq "latency: first card is io, one bar per log2 bucket" "$(final sample '.stats.reasons.io.log2 | length')" \
	"$(json $F '.svgs["lat-reason-0"].bars')"
expect_eq "latency: x axis in time units" true \
	"$(json $F '[.svgs["lat-reason-0"].texts[] | select(test("^[0-9.]+ (ns|µs|ms)$"))] | length >= 4')"
expect_eq "cost: 4 reasons x decode/emulate/return bars" 12 "$(json $F '.svgs.cost.bars')"
expect_eq "attribution: by count and by time for devices, ports, MMIO, MSRs" 8 "$(json $F '.classes.attribution')"
expect_eq "attribution: top 10 ports" 10 "$(json $F '.svgs["attr-ports-count"].bars')"
expect_eq "attribution: every MMIO address" "$(final sample '.stats.attribution.mmio | length')" \
	"$(json $F '.svgs["attr-mmio-time"].bars')"
expect_eq "attribution: MSRs named" true "$(json $F '.svgs["attr-msrs-count"].texts | index("0x6e0 TSC_DEADLINE") != null')"
expect_eq "attribution: unclaimed ports by address, as numbers" "0x80 0x87 0x510 0xcf8" \
	"$(json $F '[.tables["unclaimed-table"][] | select(.[0] == "pio") | .[1]] | join(" ")')"
expect_eq "hardware exits: in KVM and to warden for 10 reasons" 20 "$(json $F '.svgs["exit-trace"].bars')"
expect_eq "hardware exits: guest RIPs behind them" "$(final sample '.stats.exit_trace.top_rips | length')" \
	"$(json $F '.tables["rip-table"] | length - 1')"
expect_eq "per vCPU: all exits add up to the total" "$(final sample .stats.exits.total)" \
	"$(json $F '[.tables["vcpu-table"][1:][][3] | gsub(","; "") | tonumber] | add')"
expect_eq "header: all exits" "$(commas "$(final sample .stats.exits.total)")" "$(json $F '.summary["Exits (all)"]')"
expect_eq "header: handled in KVM" \
	"$(commas "$(final sample .stats.exits.handled_in_kvm)") ($(pct "$(final sample .stats.exits.handled_in_kvm)" \
		"$(final sample .stats.exits.total)"))" \
	"$(json $F '.summary["Handled in KVM"]')"
expect_eq "header: handled by warden" \
	"$(commas "$(final sample .stats.exits.handled_by_warden)") ($(pct "$(final sample .stats.exits.handled_by_warden)" \
		"$(final sample .stats.exits.total)"))" \
	"$(json $F '.summary["Handled by warden"]')"
expect_match "header: source of the split" 'kvm_exit tracepoint' <(json $F '.summary["Source of the split"]')
expect_eq "header: wall time, vCPUs, end" \
	"$(duration "$(final sample .stats.wall_ns)")|$(final sample .stats.vcpus)|$(final sample .stats.end_reason)" \
	"$(json $F '.summary | "\(.["VM wall time"])|\(.vCPUs)|\(.["Ended by"])"')"
expect_eq "sample: nothing reported missing" 0 "$(json $F '.missing | length')"
# Advice: a row per entry of the file's list, with its numbers.
expect_eq "advice: one row per source" "$(final sample '.stats.advice | length')" \
	"$(json $F '.tables.advice | length - 1')"
expect_eq "advice: the source and its exits" \
	"$(final sample '.stats.advice[0].source')|$(commas "$(final sample .stats.advice[0].exits)")" \
	"$(json $F '.tables.advice[1] | "\(.[0])|\(.[1])"')"
expect_eq "advice: no saving in the file, none in the page" "$(final sample '.stats.advice[0].saving // "-"')" \
	"$(json $F '.tables.advice[1][-1]')"
# The same file with a measured saving (as --advice-costs writes it): the
# page shows it in ms with the two rows it comes from.
{ grep -v '"type":"final"' "$FIX/sample.jsonl"
  grep '"type":"final"' "$FIX/sample.jsonl" | jq -c '.stats.advice[0].saving = {ns: 29264969, exit_row: "pio-warden", exit_ns: 21670,
	instead_row: "loop", instead_ns: 9300, measured_by: "b.json", tier: "native", date: "D"}'
} >"$OUT/saving.jsonl"
"$B/warden" report "$OUT/saving.jsonl" -o "$OUT/saving.html" >/dev/null 2>&1
python3 tests/report/html_check.py "$OUT/saving.html" >"$OUT/saving.facts.json" 2>/dev/null
expect_eq "advice: the measured saving and its rows" "29.3 (pio-warden 21.67 us - loop 9.30 us)" \
	"$(json "$OUT/saving.facts.json" '.tables.advice[1][-1]')"

# Device work: a column per counter; the rate limiter's waits where the
# file has them, "-" where it has not (virtio-rng's entry).
expect_eq "device work: rate limiter waits, and - where the file has none" \
	"virtio-blk $(final sample '.stats.device_work["virtio-blk"].throttled')|virtio-rng -" \
	"$(json $F '.tables["device-work-table"] | (.[0] | index("rate limiter waits")) as $c | [.[1:][] | "\(.[0]) \(.[$c])"] | join("|")')"

echo "-- minimal (final line only: no intervals, KVM statistics or exit trace)"
F=$OUT/minimal.facts.json
expect_absent "minimal: no timeline plot" "$(json $F '.svgs.timeline')"
expect_eq "minimal: says the timeline is not recorded" 1 "$(json $F '[.missing[] | select(startswith("Timeline: not recorded"))] | length')"
expect_eq "minimal: says what needs --exit-trace" 3 "$(json $F '[.missing[] | select(test("needs --exit-trace"))] | length')"
expect_eq "minimal: says why KVM statistics are missing, in the writer's words" \
	"KVM binary statistics: not recorded (KVM_GET_STATS_FD failed: Invalid argument)" \
	"$(json $F '.missing[] | select(startswith("KVM binary statistics"))')"
expect_eq "minimal: exits that reached warden" "1,174" "$(json $F '.summary["Exits that reached warden"]')"
expect_match "minimal: in-KVM exits not recorded" '^not recorded' <(json $F '.summary["Exits handled in KVM"]')
expect_eq "minimal: histograms for io, serial, acpi-pm (mmio has no buckets)" 3 "$(json $F '.classes["latency-hist"]')"
expect_eq "minimal: io histogram bars" 6 "$(json $F '.svgs["lat-reason-0"].bars')"
expect_eq "minimal: unclaimed listed by space and address" "mmio 0xd0000000,mmio 0xd0000004,pio 0x510" \
	"$(json $F '[.tables["unclaimed-table"][1:][] | "\(.[0]) \(.[1])"] | join(",")')"

echo "-- hostile (markup in names, invalid UTF-8, wrong types)"
F=$OUT/hostile.facts.json
H=$OUT/release-hostile.html
expect_eq "hostile: no markup from the file reaches the page" 0 "$(grep -c '<script' "$H")"
expect_eq "hostile: the name is shown escaped" true "$(json $F '.summary["Ended by"] == "<script>alert(\"x\")</script>"')"
expect_eq "hostile: invalid UTF-8 replaced by U+FFFD" true "$(json $F '[.tables["device-work-table"][][0] | select(startswith("raw-\ufffd\ufffd-"))] | length == 1')"
expect_eq "hostile: 13 series fold into 8 and other" "9 other" \
	"$(json $F '.svgs.timeline | "\(.polylines) \(.legend[-1])"')"
expect_eq "hostile: no histogram from a non-array" true "$(json $F '[.missing[] | select(startswith("histogram: not recorded"))] | length >= 1')"

echo "-- cut short (intervals, no final line)"
grep '"type":"interval"' "$FIX/sample.jsonl" >"$OUT/cut.jsonl"
"$B/warden" report "$OUT/cut.jsonl" -o "$OUT/release-cut.html" 2>"$OUT/cut.err"
expect_eq "cut short: exit status" 0 $?
python3 tests/report/html_check.py "$OUT/release-cut.html" >"$OUT/cut.facts.json"
expect_eq "cut short: timelines still drawn" "4 9" \
	"$(json $OUT/cut.facts.json '"\(.svgs.timeline.polylines) \(.svgs["timeline-trace"].polylines)"')"
expect_eq "cut short: says the final figures are missing" 1 \
	"$(json $OUT/cut.facts.json '[.missing[] | select(startswith("Final statistics: not recorded"))] | length')"

echo "-- a real run: the observe guest on this host's /dev/kvm, --stats-trace"
REAL=no
if [ ! -c /dev/kvm ] || ! [ -r /dev/kvm ]; then
	skip "no usable /dev/kvm: no real --stats-trace file rendered"
elif [ ! -f "$B/tests/guests/observe.elf" ]; then
	failed "real run: $B/tests/guests/observe.elf is missing (make report-test builds it)"
else
	timeout 60 "$B/warden" run --mem 16 --kernel "$B/tests/guests/observe.elf" --stats-interval 0.01 \
		--stats-trace "$OUT/real.jsonl" </dev/null >"$OUT/real-run.out" 2>"$OUT/real-run.err"
	expect_eq "real run: guest powered off" 0 $?
	for tag in release asan; do
		bin=$B/warden
		[ $tag = asan ] && bin=$B/asan/warden
		"$bin" report "$OUT/real.jsonl" -o "$OUT/$tag-real.html" >"$OUT/$tag-real.out" 2>"$OUT/$tag-real.err"
		expect_eq "$tag real: exit status" 0 $?
		expect_eq "$tag real: nothing on stderr" 0 "$(wc -c <"$OUT/$tag-real.err")"
	done
	python3 tests/report/html_check.py "$OUT/release-real.html" >"$OUT/real.facts.json"
	F=$OUT/real.facts.json
	real_total() { grep '"type":"interval"' "$OUT/real.jsonl" | jq -s -r "[.[].warden.$1 // 0] | add"; }
	expect_eq "real: well-formed XML" ok "$(json $F .xml)"
	expect_eq "real: every HTML element closed in order" ok "$(json $F .balance)"
	expect_eq "real: timeline, one line per legend entry" true \
		"$(json $F '.svgs.timeline | .polylines >= 1 and .polylines == (.legend | length)')"
	expect_eq "real: io total in the legend is the intervals' sum" "io $(commas "$(real_total io)")" \
		"$(json $F '.svgs.timeline.texts[] | select(startswith("io "))')"
	expect_eq "real: header total is the final line's" "$(commas "$(jq -r 'select(.type=="final") | .stats.exits.total' "$OUT/real.jsonl")")" \
		"$(json $F '.summary["Exits (all)"]')"
	expect_eq "real: latency histograms with bars" true \
		"$(json $F '[.svgs[] | select(.class | index("latency-hist")) | .bars >= 1] | (length >= 1 and all)')"
	REAL=yes
fi

echo "-- headless Chromium"
if ! command -v chromium >/dev/null; then
	skip "chromium not installed: reports not rendered (scripts/deps.sh installs it)"
else
	# render PAGE NAME: screenshot $OUT/NAME.png, Chromium's log $OUT/NAME.log.
	# --enable-logging=stderr prints each console message of the page as a
	# CONSOLE line (console.log/error and uncaught exceptions alike).
	render() {
		local profile
		profile=$(mktemp -d)
		timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
			--enable-logging=stderr --v=0 --user-data-dir="$profile" \
			--screenshot="$OUT/$2.png" --window-size=1280,2400 "file://$(realpath "$1")" \
			>"$OUT/$2.log" 2>&1
		echo $? >"$OUT/$2.chromium-rc"
		rm -rf "$profile"
	}
	console_lines() { grep -c 'CONSOLE' "$OUT/$1.log"; }
	cat >"$OUT/broken.html" <<-'HTML'
		<!DOCTYPE html><html><head><meta charset="utf-8"/><title>broken</title></head>
		<body><p>a page that fails</p><script>console.error("deliberate console error");
		throw new Error("deliberate uncaught error");</script></body></html>
	HTML
	render "$OUT/broken.html" broken
	expect_eq "check can fail: a broken page's console.error and exception are caught" 2 "$(console_lines broken)"
	expect_match "check can fail: the uncaught exception is named" 'CONSOLE.*deliberate uncaught error' "$OUT/broken.log"
	pages="sample minimal hostile"
	[ $REAL = yes ] && pages="$pages real"
	for name in $pages; do
		render "$OUT/release-$name.html" $name
		expect_eq "chromium $name: rendered" 0 "$(cat "$OUT/$name.chromium-rc")"
		expect_match "chromium $name: screenshot written" 'bytes written to file' "$OUT/$name.log"
		expect_eq "chromium $name: no console message" 0 "$(console_lines $name)"
		if python3 tests/report/png_check.py "$OUT/$name.png" 1280 2400 40 >"$OUT/$name.png.txt" 2>&1; then
			pass "chromium $name: screenshot shows the page ($(cat "$OUT/$name.png.txt"))"
		else
			failed "chromium $name: screenshot looks empty or broken ($(cat "$OUT/$name.png.txt"))"
		fi
	done
fi

echo "-- bad input: one line, status 2"
W=$B/warden
# bad NAME EXPECTED_REGEX ARGS...: status 2, exactly one line matching.
bad() {
	local name=$1 re=$2
	shift 2
	"$W" report "$@" >"$OUT/bad.out" 2>"$OUT/bad.err"
	local rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$OUT/bad.err")" -eq 1 ] && grep -Eq -- "$re" "$OUT/bad.err"; then
		pass "$name: $(cat "$OUT/bad.err")"
	else
		failed "$name: status $rc, stderr: $(head -c 300 "$OUT/bad.err")"
	fi
}
printf '{"type":"interval","t_s":1,"warden":{"io":1}}\n\n{"type":"interval","t_s":2,\n' >"$OUT/malformed.jsonl"
printf '{"type":"interval","t_s":1}\n[1,2,3]\n' >"$OUT/array.jsonl"
printf '{"type":"final"}\n' >"$OUT/nostats.jsonl"
: >"$OUT/empty.jsonl"
rm -f "$OUT/never.html"
bad "missing input" '^warden: report: cannot open .*nonexistent\.jsonl: No such file or directory$' \
	"$OUT/nonexistent.jsonl" -o "$OUT/never.html"
bad "malformed JSON names line 3" '^warden: report: .*malformed\.jsonl: line 3: malformed JSON' \
	"$OUT/malformed.jsonl" -o "$OUT/never.html"
bad "a line that is not an object" '^warden: report: .*array\.jsonl: line 2: not a JSON object$' \
	"$OUT/array.jsonl" -o "$OUT/never.html"
bad "final line without stats" 'line 1: final line without a "stats" object$' "$OUT/nostats.jsonl" -o "$OUT/never.html"
bad "empty input" 'no interval or final line' "$OUT/empty.jsonl" -o "$OUT/never.html"
bad "a directory as input" '^warden: report: cannot read .*: Is a directory$' "$OUT" -o "$OUT/never.html"
bad "no -o" '^warden: report: no output file: give -o REPORT.html$' "$FIX/sample.jsonl"
bad "no input" '^warden: report: no input file' -o "$OUT/never.html"
bad "two inputs" '^warden: report: one input file only' "$FIX/sample.jsonl" "$FIX/minimal.jsonl" -o "$OUT/never.html"
bad "-o without a file" '^warden: report: -o needs a file name$' "$FIX/sample.jsonl" -o
bad "unknown option" '^warden: report: unknown option --frobnicate' --frobnicate "$FIX/sample.jsonl" -o "$OUT/never.html"
bad "unwritable output" '^warden: report: cannot write /nonexistent-dir/r\.html: No such file or directory$' \
	"$FIX/sample.jsonl" -o /nonexistent-dir/r.html
expect_eq "no output file left by a failed report" no "$([ -e "$OUT/never.html" ] && echo yes || echo no)"
"$W" report --help >"$OUT/help.out" 2>&1
expect_eq "--help: status 0" 0 $?
expect_match "--help: usage" '^usage: warden report FILE\.jsonl -o REPORT\.html' "$OUT/help.out"

finish report
