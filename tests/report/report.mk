# Report tier: `warden report` renders hand-made --stats-trace files;
# two parsers check the pages and headless Chromium renders them.
# Included by the Makefile after native.mk (BUILD, GUEST_DIR come from
# there): one real run of the observe guest feeds it too.
.PHONY: report-test

report-test: all asan $(GUEST_DIR)/observe.elf
	REPORT_BUILD=$(BUILD) bash tests/report/run.sh
