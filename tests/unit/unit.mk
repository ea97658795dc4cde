# Unit tier: cmocka tests of warden's pure modules, one binary per module,
# built and run under AddressSanitizer + UBSan.  Included by the Makefile,
# which defines CC, CFLAGS, BUILD, LIB_SRCS, LDLIBS and ASAN_FLAGS.
#
#   make unit-test                  build and run every test binary
#   make unit-test UNIT_VERBOSE=1   also show cmocka's per-test RUN/OK lines
#   make unit-build                 build only

UNIT_DIR      := $(BUILD)/tests/unit
UNIT_SRCS     := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS     := $(UNIT_SRCS:tests/unit/%.c=$(UNIT_DIR)/%)
UNIT_TEST_OBJS := $(UNIT_BINS:%=%.o)
# The library objects are the sanitized ones `make asan` builds, compiled
# once and archived so each test links only the modules it uses.
UNIT_LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/asan/obj/%.o)
UNIT_LIB      := $(UNIT_DIR)/libwarden-asan.a
UNIT_VERBOSE  ?=

.PHONY: unit-test unit-build

unit-build: $(UNIT_BINS)

$(UNIT_LIB): $(UNIT_LIB_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(UNIT_TEST_OBJS): $(UNIT_DIR)/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -Itests/unit -c -o $@ $<

# A test may stand in for a library call of the code under test (a host
# failure it cannot provoke otherwise): -Wl,--wrap sends the code's calls
# to the test's __wrap_NAME.
$(UNIT_DIR)/test_virtio_blk: UNIT_WRAP := -Wl,--wrap=io_uring_submit

$(UNIT_BINS): $(UNIT_DIR)/%: $(UNIT_DIR)/%.o $(UNIT_LIB)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $< $(UNIT_LIB) -lcmocka $(LDLIBS) $(UNIT_WRAP)

# The runner's counting rules are checked first on a binary with a pass,
# a failure, a skip with a reason and one without (runner_selftest.c).
UNIT_SELFTEST := $(UNIT_DIR)/runner-selftest
$(UNIT_SELFTEST): tests/unit/runner_selftest.c tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit -o $@ $< -lcmocka

# tests/unit/run.sh runs each binary (full output in $(UNIT_DIR)/<test>.log)
# and counts passed, failed and skipped tests; see there for the rules.
unit-test: $(UNIT_BINS) $(UNIT_SELFTEST)
	@UNIT_VERBOSE=$(UNIT_VERBOSE) bash tests/unit/run.sh --selftest $(UNIT_SELFTEST) $(UNIT_BINS)

-include $(UNIT_TEST_OBJS:.o=.d)
