#!/usr/bin/env bash
# Fuzz corpus regression: replays every tests/fuzz/corpus/<name>/ input through the
# non-libFuzzer build of tests/fuzz/fuzz_<name>.c (built by `make fuzz-replay`).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
status=0
for src in tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c); name=${name#fuzz_}
	bin=$BUILD/fuzz/replay_$name
	if [ ! -x "$bin" ]; then
		make -s "$bin" SANITIZE="${SANITIZE:-0}" BUILD="$BUILD" || { status=1; continue; }
	fi
	corpus=tests/fuzz/corpus/$name
	if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
		echo "fuzz/$name: no corpus in $corpus"; status=1; continue
	fi
	if "$bin" "$corpus"; then
		echo "fuzz/$name: ok"
	else
		echo "fuzz/$name: FAILED"; status=1
	fi
done
exit $status
