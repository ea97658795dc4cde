# Fuzz tier: libFuzzer harnesses (tests/fuzz/fuzz_*.c), one per input
# warden parses, each linked against warden's own sources compiled by clang
# with the same sanitizers (ASan + UBSan, and libFuzzer's coverage).
# Included by the Makefile, which defines CFLAGS, BUILD, LIB_SRCS, LDLIBS.
#
#   make fuzz                    every target for FUZZ_SECONDS (60) each
#   make fuzz FUZZ_SECONDS=600   ... for the figures (docs/fuzzing.md)
#   make fuzz FUZZ_TARGETS="virtio_blk report"   ... only these targets
#   make fuzz-build              build only
#   make fuzz-test               the tier in `make test`: each target over
#                                its corpus, then FUZZ_TEST_SECONDS (3) of fuzzing

FUZZ_CC      ?= clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TEST_SECONDS ?= 3
FUZZ_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# The project's flags (-Wall -Wextra -Werror, gnu11); clang also warns
# about a GNU extension gcc accepts in gnu11 (core/vcpu.c's kvm_msrs
# header followed by its entries), which is meant.
FUZZ_CFLAGS  := -O1 -g $(filter-out -O2 -g,$(CFLAGS)) $(FUZZ_SANITIZE) \
                -Wno-gnu-variable-sized-type-not-at-end
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_DIR)/%)
# make fuzz runs these (default: every target); a name without its
# harness is an error, not a silent skip.
FUZZ_TARGETS ?= $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_RUN     := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_LIB_OBJS := $(LIB_SRCS:src/%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_LIB     := $(FUZZ_DIR)/libwarden-fuzz.a

.PHONY: fuzz fuzz-build fuzz-test

fuzz-build: $(FUZZ_BINS) $(FUZZ_DIR)/selfcheck

# Coverage instrumentation for every object, libFuzzer's main only in the
# harness's link.
$(FUZZ_DIR)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $^

# virtio-pci's target answers the fake VM fd's ioctls itself (no KVM).
$(FUZZ_DIR)/fuzz_virtio_pci: FUZZ_LDFLAGS = -Wl,--wrap=ioctl
# So does the IOAPIC's (its MSIs and routes).
$(FUZZ_DIR)/fuzz_ioapic: FUZZ_LDFLAGS = -Wl,--wrap=ioctl

$(FUZZ_BINS): $(FUZZ_DIR)/%: tests/fuzz/%.c $(FUZZ_LIB)
	@echo "  LD fuzz $@"
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -o $@ $< $(FUZZ_LIB) $(LDLIBS) $(FUZZ_LDFLAGS)

# A target that crashes on one input: the runner's failure path is checked
# on it every time (tests/fuzz/run.sh --selfcheck).
$(FUZZ_DIR)/selfcheck: tests/fuzz/selfcheck.c
	@mkdir -p $(dir $@)
	@$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $<

fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do [ -f tests/fuzz/fuzz_$$t.c ] || { echo "make fuzz: no target '$$t' (tests/fuzz/fuzz_$$t.c)" >&2; exit 2; }; done
	@FUZZ_DIR=$(FUZZ_DIR) bash tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZ_RUN)

# tests/fuzz/run.sh decides the skip (no clang, no libFuzzer) itself, so
# the build is attempted only where it can work.
fuzz-test:
	@FUZZ_DIR=$(FUZZ_DIR) FUZZ_CC=$(FUZZ_CC) MAKE="$(MAKE)" bash tests/fuzz/run.sh test $(FUZZ_TEST_SECONDS) $(FUZZ_BINS)

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d)
