# tests/traces/traces.mk - regression traces. `make check` runs tests/traces/run.sh, which
# replays every tests/traces/*.db with --verify. When the device changes ON PURPOSE:
#   make retrace        re-record the real-guest sessions of tests/traces/guest.list with
#                       `vsndtrace record` (needs semu and the guest: make guest)
#   make retrace-synth  regenerate the synthetic sessions (synth-*.db, replay/synth.c)
# Both first print what changed (the stored trace replayed with --verify on the current
# device, and `vsndtrace info` old vs new), then replace the files. RETRACE=NAME... limits
# them to some traces.
GEN_SYNTH_BIN := $(BUILD)/tools/gen_synth
$(GEN_SYNTH_BIN): $(call obj,tests/traces/gen_synth.c) $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS_ALL)

.PHONY: retrace retrace-synth
retrace-synth: $(GEN_SYNTH_BIN) $(VSNDTRACE_BIN)
	$(Q)BUILD=$(BUILD) GEN_SYNTH=$(GEN_SYNTH_BIN) tests/traces/retrace.sh synth $(RETRACE)

retrace: $(GEN_SYNTH_BIN) $(VSNDTRACE_BIN) $(if $(wildcard semu/main.c),$(SEMU_BIN))
	$(Q)BUILD=$(BUILD) GEN_SYNTH=$(GEN_SYNTH_BIN) tests/traces/retrace.sh guest $(RETRACE)
