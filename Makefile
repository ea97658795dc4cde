# warden: a KVM virtual machine monitor that counts every VM exit.
#   make          build/warden
#   make asan     build/asan/warden (AddressSanitizer + UBSan)
#   make static   build/warden-static (for the emulated AMD-V host)
#   make guest    build/guest/{vmlinuz,vmlinux,initrd.cpio.gz}
#   make fuzz     every libFuzzer target for FUZZ_SECONDS (docs/fuzzing.md)
#   make test     every test tier;  make demo  boot the default guest
#   make deps     install what is missing (apt-get)

CC      ?= gcc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -D_GNU_SOURCE -Isrc -Iinclude -MMD -MP
LDLIBS  := -ljson-c -luring -lseccomp -lpthread -lm
# The API server (src/api/server.c) needs libmicrohttpd, which the static
# binary leaves out (it would pull in GnuTLS): built with WARDEN_NO_API,
# it takes --config-file but not --api-sock (docs/api.md).
LDLIBS_STATIC := $(LDLIBS)
LDLIBS  += -lmicrohttpd
BUILD   := build
# The release and static binaries are built with link-time optimization:
# it inlines the exit path's calls across files (decode, emulate, the
# accounting), and each call and return an exit no longer makes is one
# less jump-target lookup in QEMU's TCG, which empties its jump cache at
# every world switch of the emulated tier (bench/exit-pages.sh counts
# them).  The sanitized build (and the unit tests on its objects) keep
# separate compilation.  LTO= (empty) switches it off.
LTO     ?= -flto=auto
SHELL   := /bin/bash

SRCS := $(shell find src -name '*.c' | sort)
# Everything but main.c is also linked into the unit tests.
LIB_SRCS := $(filter-out src/main.c,$(SRCS))

OBJS        := $(SRCS:src/%.c=$(BUILD)/obj/%.o)
ASAN_OBJS   := $(SRCS:src/%.c=$(BUILD)/asan/obj/%.o)
STATIC_OBJS := $(SRCS:src/%.c=$(BUILD)/static/obj/%.o)
ASAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

.PHONY: distro distro-test
.PHONY: all asan static guest guest-module test unit-test native-test emu-test layers-test demo deps clean

all: $(BUILD)/warden

# The built-in guest of `warden bench exits`, linked into every warden.
include guest/lab/lab.mk
OBJS        += $(BUILD)/obj/lab/guest_blob.o
ASAN_OBJS   += $(BUILD)/asan/obj/lab/guest_blob.o
STATIC_OBJS += $(BUILD)/static/obj/lab/guest_blob.o
# The built-in guest of `warden lab emulated-vs-virtio`, linked into every warden.
include guest/lab/regpage.mk
OBJS        += $(BUILD)/obj/lab/regpage_blob.o
ASAN_OBJS   += $(BUILD)/asan/obj/lab/regpage_blob.o
STATIC_OBJS += $(BUILD)/static/obj/lab/regpage_blob.o
# The built-in guest of `warden lab batching`, linked into every warden.
include guest/lab/batching.mk
OBJS        += $(BUILD)/obj/lab/batching_blob.o
ASAN_OBJS   += $(BUILD)/asan/obj/lab/batching_blob.o
STATIC_OBJS += $(BUILD)/static/obj/lab/batching_blob.o
# The built-in guest of `warden lab sensitive`, linked into every warden.
include guest/lab/sensitive.mk
OBJS        += $(BUILD)/obj/lab/sensitive_blob.o
ASAN_OBJS   += $(BUILD)/asan/obj/lab/sensitive_blob.o
STATIC_OBJS += $(BUILD)/static/obj/lab/sensitive_blob.o
# The built-in guest of `warden lab idle`, linked into every warden.
include guest/lab/idle.mk
OBJS        += $(BUILD)/obj/lab/idle_blob.o
ASAN_OBJS   += $(BUILD)/asan/obj/lab/idle_blob.o
STATIC_OBJS += $(BUILD)/static/obj/lab/idle_blob.o

# The built-in guest of `warden lab interrupts`, linked into every warden.
include guest/lab/interrupts.mk
OBJS        += $(BUILD)/obj/lab/interrupts_blob.o
ASAN_OBJS   += $(BUILD)/asan/obj/lab/interrupts_blob.o
STATIC_OBJS += $(BUILD)/static/obj/lab/interrupts_blob.o

# The built-in guest of `warden lab tsc`, linked into every warden.
include guest/lab/tsc.mk
OBJS        += $(BUILD)/obj/lab/tsc_blob.o
ASAN_OBJS   += $(BUILD)/asan/obj/lab/tsc_blob.o
STATIC_OBJS += $(BUILD)/static/obj/lab/tsc_blob.o
# The built-in guest of `warden lab paging`, linked into every warden.
include guest/lab/paging.mk
OBJS        += $(BUILD)/obj/lab/paging_blob.o
ASAN_OBJS   += $(BUILD)/asan/obj/lab/paging_blob.o
STATIC_OBJS += $(BUILD)/static/obj/lab/paging_blob.o

$(BUILD)/warden: $(OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LTO) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) $(LTO) -c -o $@ $<

asan: $(BUILD)/asan/warden
$(BUILD)/asan/warden: $(ASAN_OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/asan/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	@$(CC) $(CFLAGS) $(ASAN_FLAGS) -c -o $@ $<

# The sanitized build is a test build: it honours the seccomp test trigger
# (WARDEN_TEST_SECCOMP, src/sandbox/sigsys.c), which release builds lack.
$(BUILD)/asan/obj/sandbox/%.o: CFLAGS += -DWARDEN_TEST_HOOKS

static: $(BUILD)/warden-static
$(BUILD)/warden-static: $(STATIC_OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LTO) -static -o $@ $^ $(LDLIBS_STATIC)
$(BUILD)/static/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC stat $<"
	@$(CC) $(CFLAGS) $(LTO) -DWARDEN_NO_API -c -o $@ $<

guest:
	bash guest/build.sh

# A Debian bookworm root disk with systemd (build/distro/rootfs.img,
# debootstrap); the emulated tier's distro case boots it. distro-test runs
# that case alone.
distro:
	bash scripts/distro.sh
distro-test: static guest native-guests
	EMU_ONLY=distro bash tests/emu/run.sh

include tests/unit/unit.mk
include tests/native/native.mk
include tests/report/report.mk
include tests/fuzz/fuzz.mk

# warden's hypercall module for the Linux guest, built against Debian's
# linux-headers (guest/linux-module/build.sh: status 3 when they cannot be
# fetched, which the emulated tier's case then skips, saying so).
guest-module: guest
	bash guest/linux-module/build.sh

emu-test: static guest native-guests $(BUILD)/tests/kvm-check-ext
	@bash guest/linux-module/build.sh || echo "emu-test: no hypercall module (the whc case says why)"
	bash tests/emu/run.sh

# The layers of src/ (docs/architecture.md): no #include cycle between
# folders, no call cycle between files, every dependency downward.
layers-test: all
	BUILD=$(BUILD) bash tests/layers/run.sh

# Every tier, even when an earlier one fails; tiers that need a missing
# capability say "skipped: why". Ends with one summary line for all tiers.
test: deps
	@mkdir -p $(BUILD)/tests
	@st=0; for t in layers-test unit-test native-test report-test emu-test fuzz-test; do \
		$(MAKE) --no-print-directory $$t 2>&1 | tee $(BUILD)/tests/$$t.log; \
		[ $${PIPESTATUS[0]} -eq 0 ] || st=1; \
	done; \
	bash tests/summary.sh $(BUILD)/tests/layers-test.log $(BUILD)/tests/unit-test.log $(BUILD)/tests/native-test.log \
		$(BUILD)/tests/report-test.log $(BUILD)/tests/emu-test.log $(BUILD)/tests/fuzz-test.log || st=1; \
	exit $$st

demo: deps
	$(MAKE) all static guest
	bash scripts/demo.sh

deps:
	bash scripts/deps.sh

clean:
	rm -rf $(BUILD)/obj $(BUILD)/asan $(BUILD)/static $(BUILD)/warden $(BUILD)/warden-static $(BUILD)/tests $(BUILD)/lab $(BUILD)/fuzz

-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d) $(STATIC_OBJS:.o=.d)
