# isa.mk - bare-metal RV32 ISA tests: the runner (libsemu's hart in a minimal machine) and one
# flat image per tests/isa/*.S, all in $(BUILD)/isa. tests/isa/run.sh runs them.
ISA_DIR := $(BUILD)/isa
ISA_CROSS ?= riscv64-linux-gnu-
ISA_ASFLAGS := -march=rv32ima_zicsr_zifencei -mabi=ilp32 -nostdlib -static -no-pie -fno-pic -mno-relax \
	-Wl,--no-relax -Wl,--build-id=none -T tests/isa/link.ld -Itests/isa
ISA_SRC := $(wildcard tests/isa/*.S)
ISA_BINS := $(patsubst tests/isa/%.S,$(ISA_DIR)/%.bin,$(ISA_SRC))
ISA_RUNNER := $(ISA_DIR)/isa_runner

$(ISA_RUNNER): $(call obj,tests/isa/isa_runner.c) $(LIB_SEMU)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $< $(LIB_SEMU) -lpthread

$(ISA_DIR)/%.elf: tests/isa/%.S tests/isa/test.h tests/isa/link.ld
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(ISA_CROSS)gcc $(ISA_ASFLAGS) -o $@ $<

$(ISA_DIR)/%.bin: $(ISA_DIR)/%.elf
	$(Q)$(ISA_CROSS)objcopy -O binary $< $@

# The tests that need no runner device also build for qemu-system-riscv32 -M virt
# (-DQEMU): run.sh runs them there too when qemu is installed (differential check).
ISA_QEMU_TESTS := alu muldiv branch atomic trap vm mem csr
ISA_QEMU_ELFS := $(patsubst %,$(ISA_DIR)/qemu/%.elf,$(ISA_QEMU_TESTS))

$(ISA_DIR)/qemu/%.elf: tests/isa/%.S tests/isa/test.h tests/isa/link.ld
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $< (qemu)")
	$(Q)$(ISA_CROSS)gcc -DQEMU $(ISA_ASFLAGS) -o $@ $<

.PHONY: isa-tests
isa-tests: $(ISA_RUNNER) $(ISA_BINS) $(ISA_QEMU_ELFS)
CHECK_DEPS += $(ISA_RUNNER) $(ISA_BINS) $(ISA_QEMU_ELFS)
