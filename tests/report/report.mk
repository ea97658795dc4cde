# Report tier: `warden report` renders hand-made --stats-trace files;
# two parsers check the pages and headless Chromium renders them.
# Included by the Makefile (BUILD comes from there).
.PHONY: report-test

report-test: all asan
	REPORT_BUILD=$(BUILD) bash tests/report/run.sh
