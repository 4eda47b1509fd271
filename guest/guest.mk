# guest.mk - `make guest`: the RV32 Linux guest (kernel + /init + base initramfs) built into
# the cache by guest/build.sh, copied to $(GUEST_DIR); the host tool mkcpio; guest tests.
#   GUEST_IMAGE   kernel Image            GUEST_INITRD  base initramfs (no audio)
#   GUEST_INIT    the /init binary        MKCPIO        host cpio writer (guest/mkcpio.c)
#   guest/mkinitrd.sh OUT AUDIO [NAME]    base + an audio archive (what the tests boot)

GUEST_DIR := $(BUILD)/guest
GUEST_IMAGE := $(GUEST_DIR)/Image
GUEST_INITRD := $(GUEST_DIR)/initramfs.cpio
GUEST_INIT := $(GUEST_DIR)/init
MKCPIO := $(BUILD)/mkcpio
GUEST_SRC := guest/kernel.config guest/build-kernel.sh guest/build.sh guest/mkcpio.c \
	vsndtrace/cpio.c vsndtrace/cpio.h $(wildcard guest/init/*.c guest/init/*.h \
	guest/init/include/*.h)

$(MKCPIO): $(call obj,guest/mkcpio.c vsndtrace/cpio.c)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $^

# Always asks build.sh (a cache hit costs a hash of a few files) and prints the paths.
.PHONY: guest
guest: $(MKCPIO)
	$(Q)guest/build.sh --mkcpio $(MKCPIO) --out $(GUEST_DIR)
	@touch $(GUEST_DIR)/.stamp

# `make guest-audio AUDIO=x.wav [AUDIO_NAME=/audio.wav]`: base + audio archive, printed path.
.PHONY: guest-audio
guest-audio: $(GUEST_DIR)/.stamp
	$(Q)test -n "$(AUDIO)" || { echo "make guest-audio: set AUDIO=file.wav" >&2; exit 2; }
	$(Q)MKCPIO=$(MKCPIO) guest/mkinitrd.sh $(GUEST_DIR)/initramfs-audio.cpio "$(AUDIO)" \
		"$(or $(AUDIO_NAME),/audio.wav)" $(GUEST_INITRD)
	@echo "GUEST_INITRD_AUDIO=$(abspath $(GUEST_DIR)/initramfs-audio.cpio)"

# For rules that need the guest as a file prerequisite.
$(GUEST_DIR)/.stamp: $(GUEST_SRC) $(MKCPIO)
	$(Q)guest/build.sh --mkcpio $(MKCPIO) --out $(GUEST_DIR) >/dev/null
	@touch $@
$(GUEST_IMAGE) $(GUEST_INITRD) $(GUEST_INIT): $(GUEST_DIR)/.stamp

# Tiny M-mode SBI firmware so qemu-system-riscv32 (no 32-bit OpenSBI in Debian) can boot the
# guest: a validation aid for tests/e2e/guest_qemu.sh, not used by semu.
GUEST_QEMU_FW := $(GUEST_DIR)/qemu-fw.bin
$(GUEST_QEMU_FW): guest/qemu/fw.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)riscv64-linux-gnu-gcc -march=rv32ima_zicsr -mabi=ilp32 -nostdlib -static \
		-Wl,-Ttext=0x80000000 -Wl,--build-id=none -o $@.elf $<
	$(Q)riscv64-linux-gnu-objcopy -O binary $@.elf $@

# Host-side tests of the guest tools (tests/guest/run.sh): cpio writer and /init helpers.
GUEST_TEST_BIN := $(BUILD)/tests/guest/test_guest_tools
$(GUEST_TEST_BIN): $(call obj,tests/guest/test_guest_tools.c vsndtrace/cpio.c guest/init/initlib.c)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $^ $(CRIT_LIBS) $(PKG_LIBS)
$(BUILD)/obj/tests/guest/%.o: ALL_CFLAGS += $(CRIT_CFLAGS)

# tests/e2e/guest_qemu.sh boots the guest: `make check` builds it (about 2.5 min the first
# time, then cached outside the tree).
CHECK_DEPS += $(MKCPIO) $(GUEST_TEST_BIN) $(GUEST_DIR)/.stamp $(GUEST_QEMU_FW)
