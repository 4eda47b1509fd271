# bench/stats.mk - `make bench-stats`: time of `vsndtrace stats --json` on a synthetic session
# of one million events (issue 6: <= 1 s) and its peak memory against a 250 k-event one
# (issue 8: bounded). The sessions are cached in $(BUILD)/bench/.
BENCH_STATS_BIN := $(BUILD)/bench/bench_stats
$(BENCH_STATS_BIN): $(call obj,bench/bench_stats.c) $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS_ALL)

.PHONY: bench-stats
bench-stats: $(BENCH_STATS_BIN) $(VSNDTRACE_BIN)
	$(Q)$(BENCH_STATS_BIN) $(VSNDTRACE_BIN) $(BUILD)/bench/stats_1m.db
BENCH_TARGETS += bench-stats
