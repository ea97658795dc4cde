#!/usr/bin/env python3
"""Each validation rule of the hypercall host (src/hypercall/batch.c) shown
able to fail its unit test: the rule is broken in the source (one mutant
at a time), tests/unit/test_hypercall is rebuilt and run, and it must fail;
then the source is restored.  A mutant whose test still passes is a rule
no test guards.

  python3 tests/unit/hypercall_mutants.py [NAME...]   (from the repo root)

Slow (a rebuild per mutant, about a minute for all), and it edits
batch.c while it runs (restored at the end, also on Ctrl-C), so it is not
part of `make test`.  Prints one line per mutant and exits 1 if any
survived or no longer applies to the source."""
import os
import subprocess
import sys

SRC = "src/hypercall/batch.c"
TEST = "build/tests/unit/test_hypercall"

# name: (original text, broken text).  Each original must occur once.
MUTANTS = {
    "doorbell: header aligned": ("\tif (gpa % WHC_BATCH_ALIGN) {", "\tif (0) {"),
    "doorbell: header in RAM": ("\tif (!hp) {", "\tif (0) {"),
    "batch: version": ("if (hdr->version != WHC_VERSION)", "if (0)"),
    "batch: reserved words zero": ("\t\tif (hdr->reserved[i])", "\t\tif (0)"),
    "batch: features offered": ("if (hdr->features & ~h->features)", "if (hdr->features & ~h->features & 0)"),
    "batch: count bounded": ("if (hdr->count > WHC_BATCH_MAX)", "if (0)"),
    "batch: requests in RAM": ("\t\tif (!rp)\n", "\t\tif (0)\n"),
    "request: call below WHC_CALL_MAX": ("if (r->call >= WHC_CALL_MAX || !calls[r->call].fn)",
                                         "if (!calls[r->call].fn)"),
    "request: call 0 reserved": ("if (r->call >= WHC_CALL_MAX || !calls[r->call].fn)",
                                 "if (r->call >= WHC_CALL_MAX || (!calls[r->call].fn && r->call))"),
    "request: flags zero": ("\tif (r->flags)\n", "\tif (0)\n"),
    "request: unused argument words zero": ("\t\tif (a->raw[i])\n\t\t\treturn false;", "\t\tif (0)\n\t\t\treturn false;"),
    "hello: zero word": ("if (r->args.hello.zero || !zero_from(&r->args, 1))", "if (!zero_from(&r->args, 1))"),
    "hello: guest version": ("return r->args.hello.guest_version == WHC_VERSION ? WHC_OK : WHC_E_VERSION;",
                             "return WHC_OK;"),
    "console: length limit": ("\tif (a->len > WHC_CONSOLE_MAX)", "\tif (0)"),
    "buffer: in RAM": ("\tif (!*out)\n\t\treturn WHC_E_FAULT;", "\tif (0)\n\t\treturn WHC_E_FAULT;"),
    "buffer: not overlapping the batch": ("\tif (overlaps(p.gpa, len, b->gpa, b->len))", "\tif (0)"),
    "buffer: not overlapping a host-written buffer": (
        "if ((host_writes || s->span[i].host_writes) && overlaps(", "if (0 && overlaps("),
    "buffer: read-only buffers may overlap": (
        "if ((host_writes || s->span[i].host_writes) && overlaps(", "if ((1) && overlaps("),
    "buffer: adjacent is not overlapping": ("return alen && blen && a < b + blen && b < a + alen;",
                                            "return alen && blen && a <= b + blen && b <= a + alen;"),
    "buffer: empty overlaps nothing": ("return alen && blen && a < b + blen && b < a + alen;",
                                       "return a < b + blen + 1 && b < a + alen + 1;"),
    "buffer: a refused one is not kept": (
        "\t\t\treturn WHC_E_OVERLAP;\n\tif (s->nspans < WHC_BATCH_MAX)",
        "\t\t\treturn s->span[s->nspans++] = (struct hc_span){ .gpa = p.gpa, .len = len, "
        ".host_writes = host_writes }, WHC_E_OVERLAP;\n\tif (s->nspans < WHC_BATCH_MAX)"),
    "block: a read writes guest memory": ("st = take_buffer(b, a->buf, a->len, !write, &p);",
                                          "st = take_buffer(b, a->buf, a->len, false, &p);"),
    "block: no disk": ("\tif (h->disk_fd < 0)\n\t\treturn WHC_E_NODEV;", "\tif (0)\n\t\treturn WHC_E_NODEV;"),
    "block info: no disk": ("\tif (b->h->disk_fd < 0)\n\t\treturn WHC_E_NODEV;", "\tif (0)\n\t\treturn WHC_E_NODEV;"),
    "block: read-only": ("\tif (write && h->disk_ro)", "\tif (0)"),
    "block: length not 0": ("\tif (a->len == 0)\n\t\treturn WHC_E_INVAL;", "\tif (0)\n\t\treturn WHC_E_INVAL;"),
    "block: length limit": ("\tif (a->len > WHC_BLOCK_MAX)", "\tif (0)"),
    "block: offset aligned": ("\tif (a->offset % WHC_SECTOR || a->len % WHC_SECTOR)", "\tif (a->len % WHC_SECTOR)"),
    "block: length aligned": ("\tif (a->offset % WHC_SECTOR || a->len % WHC_SECTOR)", "\tif (a->offset % WHC_SECTOR)"),
    "block: offset inside the disk": ("\tif (a->offset > h->disk_size || a->len > h->disk_size - a->offset)",
                                      "\tif (a->len > h->disk_size - a->offset)"),
    "block: end inside the disk": ("\tif (a->offset > h->disk_size || a->len > h->disk_size - a->offset)",
                                   "\tif (a->offset > h->disk_size)"),
    # (offset + len > size would be no mutant: by then len <= WHC_BLOCK_MAX and
    # offset <= size, so the sum cannot overflow.)
    "block: a short transfer is E_IO": ("\treturn ret->block.bytes == a->len ? WHC_OK : WHC_E_IO;", "\treturn WHC_OK;"),
    "idle: port doorbell only": ("\tif (b->db != HC_PORT)", "\tif (0)"),
    "idle: offered only": ("\tif (!(b->h->features & WHC_F_IDLE) || !b->h->idle)", "\tif (!b->h->idle)"),
    "idle: KVM's refusal reported": ("\tif (!b->h->idle(b->h->idle_ctx)) {", "\tif (!b->h->idle(b->h->idle_ctx) && 0) {"),
    "fast setup: aligned": ("\tif (p.gpa % WHC_BATCH_ALIGN)\n\t\treturn WHC_E_ALIGN;", "\tif (0)\n\t\treturn WHC_E_ALIGN;"),
    "fast setup: header in RAM": ("\tif (!gptr(b->h, p, sizeof(struct whc_batch)))", "\tif (0)"),
    "counting: E_IO is not the guest's": ("if (out.status != WHC_OK && out.status != WHC_E_IO)",
                                          "if (out.status != WHC_OK)"),
    "counting: batch refusals": ("\tif (st != WHC_OK) {\n\t\tdevice_count(&h->counters->errors, 1);",
                                 "\tif (st != WHC_OK) {\n"),
    "counting: requests answered": ("\tdevice_count(&h->counters->requests, hdr.count);\n", "\n"),
    "no double fetch: requests": ("out.status = answer_one(&b, &s->req[i], &out.ret);",
                                  "out.status = answer_one(&b, (const struct whc_req *)(void *)"
                                  "(rp + (size_t)i * sizeof(struct whc_req)), &out.ret);"),
    "no double fetch: count": ("\tfor (unsigned i = 0; i < hdr.count; i++) {",
                               "\tfor (unsigned i = 0; i < ((volatile struct whc_batch *)(void *)hp)->count "
                               "&& i < WHC_BATCH_MAX; i++) {"),
    "answers: OUT fields only": ("\t\tmemcpy(rp + (size_t)i * sizeof(struct whc_req) + REQ_OUT_OFF, &out, sizeof(out));",
                                 "\t\tmemcpy(rp + (size_t)i * sizeof(struct whc_req), &s->req[i], REQ_OUT_OFF);\n"
                                 "\t\tmemcpy(rp + (size_t)i * sizeof(struct whc_req) + REQ_OUT_OFF, &out, sizeof(out));"),
    "answers: done": ("\tfinish(hp, WHC_OK, hdr.count);", "\tfinish(hp, WHC_OK, 0);"),
}


def build_and_test():
    b = subprocess.run(["make", "-s", TEST], capture_output=True, text=True)
    if b.returncode != 0:
        return "no-build", b.stdout + b.stderr
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="stdout")
    try:
        t = subprocess.run([TEST], capture_output=True, text=True, timeout=120, env=env)
    except subprocess.TimeoutExpired:
        return "failed", "timeout"
    out = t.stdout + t.stderr
    return ("passed" if t.returncode == 0 else "failed"), out


def failing_tests(out):
    names = []
    for l in out.splitlines():
        if l.startswith("[  FAILED  ] test_") and l.split("]", 1)[1].strip() not in names:
            names.append(l.split("]", 1)[1].strip())
    if not names and "ERROR: AddressSanitizer" in out:
        return "AddressSanitizer"
    if not names:
        m = [l for l in out.splitlines() if l.startswith("[ RUN      ] ")]
        return "died in " + (m[-1][13:] if m else "?")
    return ", ".join(names)


def main():
    wanted = sys.argv[1:] or list(MUTANTS)
    orig = open(SRC).read()
    bad = 0
    try:
        st, out = build_and_test()
        if st != "passed":
            print("the unmutated source does not pass its test:\n" + out[-2000:])
            return 1
        for name in wanted:
            a, b = MUTANTS[name]
            if orig.count(a) != 1:
                print(f"STALE     {name}: the original text occurs {orig.count(a)} times")
                bad += 1
                continue
            open(SRC, "w").write(orig.replace(a, b))
            st, out = build_and_test()
            if st == "failed":
                print(f"caught    {name}: {failing_tests(out)}")
            elif st == "no-build":
                print(f"NO BUILD  {name}: {out.strip().splitlines()[-1] if out.strip() else ''}")
                bad += 1
            else:
                print(f"SURVIVED  {name}: the test still passes")
                bad += 1
    finally:
        open(SRC, "w").write(orig)
        subprocess.run(["make", "-s", TEST], capture_output=True)
    print(f"hypercall mutants: {len(wanted) - bad} caught, {bad} not")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
