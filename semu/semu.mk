# semu/semu.mk - extra rules for the emulator: its unit tests (tests/semu/test_*.c, criterion,
# one binary each in $(BUILD)/tests/ so tests/run-checks.sh runs them) and `make bench-boot`.

SEMU_TEST_SRC := $(wildcard tests/semu/test_*.c)
SEMU_TEST_BINS := $(patsubst tests/semu/%.c,$(BUILD)/tests/%,$(SEMU_TEST_SRC))

$(SEMU_TEST_BINS): $(BUILD)/tests/%: $(BUILD)/obj/tests/semu/%.o $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $< $(LIBS) $(CRIT_LIBS) $(LDLIBS_ALL)

$(BUILD)/obj/tests/semu/%.o: ALL_CFLAGS += $(CRIT_CFLAGS)

CHECK_DEPS += $(SEMU_TEST_BINS)

# make bench-boot: boot-to-/init time (median wall and host CPU over RUNS boots).
.PHONY: bench-boot
bench-boot: $(SEMU_BIN)
	$(Q)BUILD=$(BUILD) tests/semu/bench_boot.sh
BENCH_TARGETS += bench-boot
