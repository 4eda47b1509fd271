#!/usr/bin/env bash
# Runs every test of `make check`: criterion unit suites, then tests/*/run.sh suites and
# tests/e2e/*.sh scripts. Prints one closing line "N passed, N failed".
set -u
BUILD=${BUILD:-build}
# Sanitizer builds: report every problem in our code, none inside third-party libraries.
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
pass=0; fail=0; failed=()
# A hung test must not hang CI: every suite runs under a time limit (seconds).
UNIT_LIMIT=${UNIT_LIMIT:-300}
SCRIPT_LIMIT=${SCRIPT_LIMIT:-1200}
run() { # name, limit, command...
	local name=$1 limit=$2; shift 2
	echo "=== $name"
	timeout -k 10 "$limit" "$@"
	local rc=$?
	if [ "$rc" = 0 ]; then pass=$((pass+1)); else
		[ "$rc" = 124 ] && echo "TIMEOUT: $name did not finish in $limit s"
		fail=$((fail+1)); failed+=("$name"); fi
}
# criterion's runner occasionally fails to start a test process on a loaded machine ("Could
# not spawn test instance: Protocol error"): that is the harness, not the test, so such a
# suite is run once more (and says so). Any other failure counts at once.
unit() { # binary
	local log; log=$(mktemp)
	"$1" --jobs 1 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ] && grep -q "Could not spawn test instance" "$log"; then
		echo "note: criterion could not spawn a test process; running $(basename "$1") again"
		"$1" --jobs 1; rc=$?
	fi
	rm -f "$log"
	return "$rc"
}
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$UNIT_LIMIT" bash -c "$(declare -f unit); unit '$t'"
done
for s in tests/*/run.sh; do
	[ -x "$s" ] || continue
	run "$s" "$SCRIPT_LIMIT" "$s"
done
for s in tests/e2e/*.sh; do
	[ -x "$s" ] || continue
	run "$s" "$SCRIPT_LIMIT" "$s"
done
echo
for f in "${failed[@]+"${failed[@]}"}"; do echo "FAILED: $f"; done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
