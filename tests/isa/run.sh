#!/usr/bin/env bash
# run.sh - runs every bare-metal ISA test image on the libsemu hart, one line per test, and
# prints the interpreter speed on the bench loop (informational only). Exits non-zero if any test fails.
set -u
cd "$(dirname "$0")/../.."
SANITIZE=${SANITIZE:-0}
if [ "$SANITIZE" = 1 ]; then BUILD=${BUILD:-build/san}; else BUILD=${BUILD:-build}; fi
make -s --no-print-directory SANITIZE="$SANITIZE" BUILD="$BUILD" isa-tests || exit 1
runner=$BUILD/isa/isa_runner
pass=0; fail=0
for src in tests/isa/*.S; do
	name=$(basename "$src" .S)
	args=()
	case $name in
	sbi_*) args+=(--sbi) ;;
	sboot_*) args+=(--sbi --boot-s) ;;
	bench) args+=(--bench) ;;
	esac
	if out=$("$runner" "${args[@]+"${args[@]}"}" "$BUILD/isa/$name.bin" 2>&1); then
		echo "PASS $name${out:+ ($out)}"; pass=$((pass+1))
	else
		echo "FAIL $name"; echo "$out" | sed 's/^/    /'; fail=$((fail+1))
	fi
done
echo "isa: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
