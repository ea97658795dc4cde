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

$(UNIT_BINS): $(UNIT_DIR)/%: $(UNIT_DIR)/%.o $(UNIT_LIB)
	$(CC) $(CFLAGS) $(ASAN_FLAGS) -o $@ $< $(UNIT_LIB) -lcmocka $(LDLIBS)

# Each binary's full output goes to $(UNIT_DIR)/<test>.log.  Counting is
# per test: passed = cmocka "[       OK ]" lines; failed = the tests the
# binary announced minus those, so a test cut short by a crash (sanitizer
# abort, signal) counts as failed, and so do the tests it never reached.
# A binary that dies before announcing its tests, or exits non-zero after
# all of them passed (e.g. LeakSanitizer at exit), counts as one failure.
unit-test: $(UNIT_BINS)
	@passed=0; failed=0; broken=""; \
	for t in $(UNIT_BINS); do \
		name=$${t##*/}; log=$$t.log; \
		CMOCKA_MESSAGE_OUTPUT=stdout UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1} \
			$$t >$$log 2>&1; rc=$$?; \
		echo "== unit: $$name"; \
		if [ -n "$(UNIT_VERBOSE)" ]; then cat $$log; \
		else grep -v -e '^\[ RUN      \] ' -e '^\[       OK \] ' $$log; fi; \
		total=$$(sed -n 's/^\[==========\] Running \([0-9][0-9]*\) test(s)\.$$/\1/p' $$log | head -n 1); \
		ok=$$(grep -c '^\[       OK \] ' $$log); \
		if [ -z "$$total" ]; then \
			echo "!! $$name exited with status $$rc before running any test"; \
			bad=1; ok=0; \
		else \
			bad=$$((total - ok)); \
			if [ $$rc -ne 0 ] && [ $$bad -eq 0 ]; then \
				echo "!! $$name exited with status $$rc after its tests passed (see above)"; \
				bad=1; \
			elif [ $$rc -ne 0 ] && ! grep -q '^\[==========\] [0-9][0-9]* test(s) run\.$$' $$log; then \
				echo "!! $$name died (status $$rc) in $$(sed -n 's/^\[ RUN      \] //p' $$log | tail -n 1)" \
					"after $$ok of $$total tests passed; the rest count as failed"; \
			fi; \
		fi; \
		passed=$$((passed + ok)); failed=$$((failed + bad)); \
		[ $$bad -eq 0 ] || broken="$$broken $$name"; \
	done; \
	[ -z "$$broken" ] || echo "failing:$$broken (full logs: $(UNIT_DIR)/<test>.log)"; \
	echo "unit: $$passed passed, $$failed failed"; \
	[ $$failed -eq 0 ]

-include $(UNIT_TEST_OBJS:.o=.d)
