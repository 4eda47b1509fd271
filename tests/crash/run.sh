#!/usr/bin/env bash
# Crash test (issue 7.3): 100 recordings killed with SIGKILL at random moments; every database
# must pass integrity_check and hold what the writer had committed (tests/crash/crash_test.c).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
bin=$BUILD/crash/crash_test
[ -x "$bin" ] || make -s "$bin" SANITIZE="${SANITIZE:-0}" BUILD="$BUILD" || exit 1
exec "$bin" "${CRASH_RUNS:-100}"
