# bench/e2e.mk - end-to-end figures of `make bench` (bench/bench_e2e.c, bench/README.md):
#   bench-emu      boot to /init (5 boots), guest MIPS (bare metal, Linux user), idle guest CPU
#   bench-record   CPU cost of --trace on a real 6 s guest playback (alternating runs)
#   bench-memory   replay speed, stats time, peak memory on synthetic 1- and 10-minute sessions
#   bench-long     the same on real 1- and 10-minute guest recordings, and --trace cost on the
#                  1-minute one (~14 min of wall time; not part of `make bench`)
#   bench-long-cost  only that --trace cost on the 1-minute playback, 3 pairs (~6 min)
BENCH_E2E_BIN := $(BUILD)/bench/bench_e2e
BENCH_E2E_DIR := $(BUILD)/bench
BENCH_GUEST_INIT := $(BENCH_E2E_DIR)/guest_bench
BENCH_GUEST_CPIO := $(BENCH_E2E_DIR)/bench_init.cpio
BENCH_E2E_ARGS = --dir $(BENCH_E2E_DIR) --semu $(SEMU_BIN) --image $(GUEST_IMAGE) \
	--initrd $(GUEST_INITRD) --bench-initrd $(BENCH_GUEST_CPIO) --isa-runner $(ISA_RUNNER) \
	--isa-bench $(ISA_DIR)/bench.bin --vsndtrace $(VSNDTRACE_BIN) --mkcpio $(MKCPIO)

$(BENCH_E2E_BIN): $(call obj,bench/bench_e2e.c) $(LIBS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS_BASE) $(LDFLAGS) -o $@ $< $(LIBS) $(LDLIBS_ALL)

# The benchmark /init: freestanding rv32 like guest/init (same flags as guest/build.sh), in a
# minimal initramfs of its own.
$(BENCH_GUEST_INIT): bench/guest_bench.c guest/init/sys.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (rv32 guest)")
	$(Q)riscv64-linux-gnu-gcc -march=rv32ima_zicsr -mabi=ilp32 -static -nostdlib -nostdinc \
		-isystem "$$(riscv64-linux-gnu-gcc -print-file-name=include)" -ffreestanding \
		-fno-builtin -fno-stack-protector -fno-pic -no-pie -fno-tree-loop-distribute-patterns \
		-fno-asynchronous-unwind-tables -mno-relax -Wl,--no-relax -Wl,--build-id=none \
		-std=gnu11 -Wall -Wextra -Werror -O2 -I. -e _start -o $@ $<

# Rules of other fragments (guest.mk, isa.mk) are parsed after this one, so their paths are
# only used in recipes (a sub-make builds them) and never as prerequisites here.
$(BENCH_GUEST_CPIO): $(BENCH_GUEST_INIT)
	$(Q)$(MAKE) --no-print-directory $(MKCPIO) >/dev/null
	$(Q)$(MKCPIO) -o $@ -d dev -c dev/console:5:1 -m 0555 -d proc -m 0755 init=$(BENCH_GUEST_INIT)

BENCH_E2E_DEPS = $(SEMU_BIN) $(VSNDTRACE_BIN) $(GUEST_DIR)/.stamp $(MKCPIO) $(ISA_RUNNER) \
	$(ISA_DIR)/bench.bin $(BENCH_GUEST_CPIO)
.PHONY: bench-emu bench-record bench-memory bench-long bench-long-cost bench-e2e-deps
bench-e2e-deps: $(BENCH_E2E_BIN)
	$(Q)$(MAKE) --no-print-directory $(BENCH_E2E_DEPS) >/dev/null
bench-emu: bench-e2e-deps
	$(Q)$(BENCH_E2E_BIN) $(BENCH_E2E_ARGS) emu
bench-record: bench-e2e-deps
	$(Q)$(BENCH_E2E_BIN) $(BENCH_E2E_ARGS) record
bench-memory: bench-e2e-deps
	$(Q)$(BENCH_E2E_BIN) $(BENCH_E2E_ARGS) memory
bench-long: bench-e2e-deps
	$(Q)$(BENCH_E2E_BIN) $(BENCH_E2E_ARGS) long
bench-long-cost: bench-e2e-deps
	$(Q)$(BENCH_E2E_BIN) $(BENCH_E2E_ARGS) long-cost
BENCH_TARGETS += bench-emu bench-record bench-memory
