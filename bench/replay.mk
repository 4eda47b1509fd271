# bench/replay.mk - `make bench-replay`: replay speed as a multiple of real time with the null
# sink (issue 5 target: >= 1000x) on a 60 s synthetic S16 stereo 48 kHz session (1024-frame
# periods), cached in $(BUILD)/bench/. BENCH_REPLAY_ARGS = "DB SECONDS PERIOD_FRAMES".
BENCH_REPLAY_BIN := $(BUILD)/bench/bench_replay
BENCH_REPLAY_ARGS ?= $(BUILD)/bench/replay_60s.db 60 1024
$(BENCH_REPLAY_BIN): $(call obj,bench/bench_replay.c) $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS_ALL)

.PHONY: bench-replay
bench-replay: $(BENCH_REPLAY_BIN)
	$(Q)$(BENCH_REPLAY_BIN) $(BENCH_REPLAY_ARGS)
BENCH_TARGETS += bench-replay
