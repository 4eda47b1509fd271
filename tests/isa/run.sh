#!/usr/bin/env bash
# run.sh - runs every bare-metal ISA test image on the libsemu hart (one line per test; the
# bench loop also prints the interpreter speed, informational only), then the portable ones
# on qemu-system-riscv32 as a differential check when qemu is installed. Non-zero on failure.
# Image names choose runner options: sbi_* (--sbi), sboot_* (--sbi --boot-s), async_*
# (--async), bench (--bench).
set -u
cd "$(dirname "$0")/../.."
SANITIZE=${SANITIZE:-0}
if [ "$SANITIZE" = 1 ]; then BUILD=${BUILD:-build/san}; else BUILD=${BUILD:-build}; fi
make -s --no-print-directory SANITIZE="$SANITIZE" BUILD="$BUILD" isa-tests >/dev/null || exit 1
runner=$BUILD/isa/isa_runner
pass=0; fail=0
for src in tests/isa/*.S; do
	name=$(basename "$src" .S)
	args=()
	case $name in
	sbi_*) args+=(--sbi) ;;
	sboot_*) args+=(--sbi --boot-s) ;;
	async_*) args+=(--async) ;;
	bench) args+=(--bench) ;;
	esac
	if out=$(timeout 60 "$runner" "${args[@]+"${args[@]}"}" "$BUILD/isa/$name.bin" 2>&1); then
		echo "PASS $name${out:+ ($out)}"; pass=$((pass+1))
	else
		echo "FAIL $name"; echo "$out" | sed 's/^/    /'; fail=$((fail+1))
	fi
done
# Same tests on qemu (exit code = failing test number): -icount makes instret count
# instructions; C/F/D off to match RV32IMA.
if command -v qemu-system-riscv32 >/dev/null; then
	for elf in "$BUILD"/isa/qemu/*.elf; do
		name=qemu:$(basename "$elf" .elf)
		if out=$(timeout 20 qemu-system-riscv32 -M virt -cpu rv32,c=false,f=false,d=false \
			-icount shift=0 -bios none -nographic -monitor none -serial stdio \
			-kernel "$elf" </dev/null 2>&1); then
			echo "PASS $name"; pass=$((pass+1))
		else
			echo "FAIL $name (test $?)"; echo "$out" | sed 's/^/    /'; fail=$((fail+1))
		fi
	done
else
	echo "SKIP qemu differential runs (qemu-system-riscv32 not installed)"
fi
echo "isa: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
