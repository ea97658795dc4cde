#!/usr/bin/env bash
# The API's cost at start-up (issue 16 section 1; docs/api.md), in the
# native tier (the host's /dev/kvm; the static binary the emulated tier
# runs has no API server, and Linux cannot boot on kvm_pvm), with the
# native test guest long64.elf as the kernel (its first console line is
# "long64: hello"). For each of RUNS rounds, alternating:
#   cli     warden run --kernel G: process start to the guest's first byte
#           on stdout
#   file    warden run --config-file F --no-api (the same VM): the same
#   api     warden run --api-sock S: process start to the socket's first
#           answer (GET / polled every 0.2 ms), then PUT /boot-source and
#           /machine-config, then InstanceStart to the guest's first byte
# The API adds nothing measurable when "api: InstanceStart to first output"
# is not above "cli: start to first output" (which also pays for exec).
#
# Usage: bash bench/api.sh   (from the repo root; make all native-guests)
# Env: RUNS=30, WARDEN=path (default build/warden)
# Output: a markdown report in build/bench/api-<date>.md
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
. "$ROOT/bench/facts.sh"
RUNS=${RUNS:-30}
WARDEN=${WARDEN:-$ROOT/build/warden}
GUEST=$ROOT/build/tests/guests/long64.elf
OUT=$ROOT/build/bench
die() { echo "bench/api.sh: error: $*" >&2; exit 1; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a number"
[ -x "$WARDEN" ] || die "$WARDEN missing (make)"
[ -f "$GUEST" ] || die "$GUEST missing (make native-guests)"
[ -c /dev/kvm ] || die "no /dev/kvm"
mkdir -p "$OUT"
REPORT=$OUT/api-$(date -u +%Y%m%d-%H%M%S).md
TMP=$(mktemp -d /tmp/warden-bench-api.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

{
	echo "# bench/api.sh: $RUNS rounds, $(basename "$WARDEN"), guest $GUEST"
	echo
	bench_facts native | sed 's/^/    /'
	echo
	python3 - "$WARDEN" "$GUEST" "$RUNS" "$TMP" <<'PY'
import json, os, socket, statistics, subprocess, sys, time

warden, guest, runs, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
MEM = 32
cfg = os.path.join(tmp, "vm.json")
with open(cfg, "w") as f:
    json.dump({"boot-source": {"kernel_image_path": guest},
               "machine-config": {"vcpu_count": 1, "mem_size_mib": MEM}}, f)

def spawn(args):
    return subprocess.Popen([warden, "run"] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)

def first_byte(p, t0):
    if not os.read(p.stdout.fileno(), 1):
        sys.exit("bench/api.sh: the guest printed nothing")
    return time.monotonic() - t0

def finish(p):
    p.stdout.read()
    if p.wait() != 0:
        sys.exit("bench/api.sh: warden ended with status %d" % p.returncode)

def request(path, method, target, body=None):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    data = json.dumps(body).encode() if body is not None else b""
    s.sendall(("%s %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
               "Content-Length: %d\r\nConnection: close\r\n\r\n" % (method, target, len(data))).encode() + data)
    return s

def answer(s):
    d = b""
    while True:
        c = s.recv(4096)
        if not c:
            break
        d += c
    s.close()
    return int(d.split(b" ", 2)[1])

def put(path, target, body):
    st = answer(request(path, "PUT", target, body))
    if st != 204:
        sys.exit("bench/api.sh: PUT %s answered %d" % (target, st))

def until_answer(path, t0):
    while True:
        try:
            if answer(request(path, "GET", "/")) == 200:
                return time.monotonic() - t0
        except OSError:
            pass
        time.sleep(0.0002)

def cli():
    t0 = time.monotonic()
    p = spawn(["--mem", str(MEM), "--kernel", guest])
    t = first_byte(p, t0)
    finish(p)
    return t

def from_file():
    t0 = time.monotonic()
    p = spawn(["--config-file", cfg, "--no-api"])
    t = first_byte(p, t0)
    finish(p)
    return t

def api(i):
    sock = os.path.join(tmp, "api%d.sock" % i)
    t0 = time.monotonic()
    p = spawn(["--api-sock", sock])
    ready = until_answer(sock, t0)
    put(sock, "/boot-source", {"kernel_image_path": guest})
    put(sock, "/machine-config", {"vcpu_count": 1, "mem_size_mib": MEM})
    t1 = time.monotonic()
    s = request(sock, "PUT", "/actions", {"action_type": "InstanceStart"})
    out = first_byte(p, t1)
    st = answer(s)
    if st != 204:
        sys.exit("bench/api.sh: InstanceStart answered %d" % st)
    finish(p)
    return ready, out

res = {"cli: start to first output": [], "file: start to first output": [],
       "api: start to the socket's first answer": [], "api: InstanceStart to first output": []}
for i in range(runs):
    res["cli: start to first output"].append(cli())
    res["file: start to first output"].append(from_file())
    r, o = api(i)
    res["api: start to the socket's first answer"].append(r)
    res["api: InstanceStart to first output"].append(o)

print("| what | median ms | min ms | max ms |")
print("|---|---:|---:|---:|")
for k, v in res.items():
    v = [x * 1000 for x in v]
    print("| %s | %.2f | %.2f | %.2f |" % (k, statistics.median(v), min(v), max(v)))
PY
} >"$REPORT"
cat "$REPORT"
echo "bench/api.sh: report in $REPORT" >&2
