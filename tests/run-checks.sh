#!/usr/bin/env bash
# Runs every test of `make check`: criterion unit suites, then tests/*/run.sh suites and
# tests/e2e/*.sh scripts. Prints one closing line "N passed, N failed".
set -u
BUILD=${BUILD:-build}
pass=0; fail=0; failed=()
run() { # name, command...
	local name=$1; shift
	echo "=== $name"
	if "$@"; then pass=$((pass+1)); else fail=$((fail+1)); failed+=("$name"); fi
}
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$t" --jobs 1
done
for s in tests/*/run.sh; do
	[ -x "$s" ] || continue
	run "$s" "$s"
done
for s in tests/e2e/*.sh; do
	[ -x "$s" ] || continue
	run "$s" "$s"
done
echo
for f in "${failed[@]+"${failed[@]}"}"; do echo "FAILED: $f"; done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
