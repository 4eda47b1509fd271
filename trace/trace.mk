# trace/trace.mk - build rules of the SQLite recorder/reader beyond the wildcard defaults:
# the embedded schema dependency and the recorder benchmark (make bench-recorder).

# trace/schema.c .incbin's the SQL text: rebuild it when the schema changes.
$(BUILD)/obj/trace/schema.o: schemas/trace_v1.sql

BENCH_RECORDER_BIN := $(BUILD)/bench/bench_recorder
$(BENCH_RECORDER_BIN): $(call obj,bench/bench_recorder.c) $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS_ALL)

.PHONY: bench-recorder
bench-recorder: $(BENCH_RECORDER_BIN)
	$(Q)$(BENCH_RECORDER_BIN) $(BENCH_RECORDER_ARGS)
BENCH_TARGETS += bench-recorder
