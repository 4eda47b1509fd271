# crash.mk - the SIGKILL crash test (issue 7.3): $(BUILD)/crash/crash_test, run with 100 kills
# by tests/crash/run.sh in `make check`; `make crash-long` runs 1000 (and the long fault tests).
CRASH_SUPPORT := tests/unit/fault_session.c tests/unit/mem_chain.c

$(BUILD)/crash/crash_test: $(call obj,tests/crash/crash_test.c $(CRASH_SUPPORT)) $(LIB_TRACE) $(LIB_VSND)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIB_TRACE) $(LIB_VSND) $(LDLIBS_ALL)

CHECK_DEPS += $(BUILD)/crash/crash_test

.PHONY: crash-long
crash-long: $(BUILD)/crash/crash_test $(BUILD)/tests/test_fault_sqlite
	$(BUILD)/crash/crash_test 1000
	VSND_FAULT_LONG=1 $(BUILD)/tests/test_fault_sqlite --jobs 1
