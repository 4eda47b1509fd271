# tests/alsa/alsa.mk - support for tests/unit/test_sink_alsa.c: the test-only clocked ALSA
# plugin (tests/alsa/pcm_vsnd_clock.c, loaded by alsa-lib through a path the test writes into
# its ALSA configuration; -DPIC selects the SND_DLSYM_BUILD_VERSION form for shared objects) and the absolute paths the test needs, compiled in so the test runs
# from any directory.
VSND_ALSA_CLOCK_SO := $(BUILD)/tests/alsa/libasound_module_pcm_vsnd_clock.so

$(VSND_ALSA_CLOCK_SO): tests/alsa/pcm_vsnd_clock.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CCSO    $@")
	$(Q)$(CC) -std=gnu11 -Wall -Wextra -Werror -O2 -g -fPIC -DPIC -shared $(SANFLAGS) -D_GNU_SOURCE \
		$(PKG_CFLAGS) -o $@ $< -lasound

$(BUILD)/obj/tests/unit/test_sink_alsa.o: ALL_CFLAGS += -DVSND_SRCDIR='"$(CURDIR)"' \
	-DVSND_ALSA_CLOCK_SO='"$(CURDIR)/$(VSND_ALSA_CLOCK_SO)"'
$(BUILD)/tests/test_sink_alsa: | $(VSND_ALSA_CLOCK_SO)
CHECK_DEPS += $(VSND_ALSA_CLOCK_SO)
