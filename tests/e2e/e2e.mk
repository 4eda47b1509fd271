# tests/e2e/e2e.mk - host helpers for the end-to-end scripts in tests/e2e/.
WAVCMP := $(BUILD)/tests/wavcmp
$(WAVCMP): $(call obj,tests/e2e/wavcmp.c)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
CHECK_DEPS += $(WAVCMP)
