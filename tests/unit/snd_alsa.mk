# tests/unit/snd_alsa.mk - tests/unit/test_snd_alsa.c (the device driving the alsa sink over
# the clocked test PCM) needs the source dir and the plugin built by tests/alsa/alsa.mk.
$(BUILD)/obj/tests/unit/test_snd_alsa.o: ALL_CFLAGS += -DVSND_SRCDIR='"$(CURDIR)"' \
	-DVSND_ALSA_CLOCK_SO='"$(CURDIR)/$(VSND_ALSA_CLOCK_SO)"'
$(BUILD)/tests/test_snd_alsa: | $(VSND_ALSA_CLOCK_SO)
