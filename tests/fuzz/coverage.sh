#!/usr/bin/env bash
# coverage.sh BUILD - runs the coverage build's unit tests and fuzz corpus replays, then sums
# gcov's branch counts over vsnd/*.c ("taken at least once" / branches) per file and in all.
set -u
cd "$(dirname "$0")/../.."
B=${1:-build/cov}
for t in "$B"/tests/test_*; do
	[ -x "$t" ] && "$t" --jobs 1 >/dev/null 2>&1
done
for c in tests/fuzz/corpus/*/; do
	n=$(basename "$c")
	[ -x "$B/fuzz/replay_$n" ] && "$B/fuzz/replay_$n" "$c" >/dev/null 2>&1
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$out" && gcov -b -o "$OLDPWD/$B/obj/vsnd" "$OLDPWD"/vsnd/*.c >gcov.txt 2>&1)
# gcov prints, per file: File '...', ..., "Taken at least once:P% of N".
awk -v core='snd.c snd_ctl.c snd_io.c virtq.c virtio_mmio.c clock.c snd_config.c' '
	/^File / { f = $2; gsub(/\x27/, "", f); sub(/.*\//, "", f); next }
	/^Taken at least once:/ && f ~ /^[a-z_]+\.c$/ {
		split($0, a, /[:% ]+/); p = a[5]; n = a[7];
		t = p * n / 100; T += t; N += n;
		if (index(" " core " ", " " f " ")) { CT += t; CN += n }
		printf "  %-16s %6.1f%% of %d branches\n", f, p, n; f = "" }
	END {
		printf "device core (%s): %.1f%% of %d branches taken\n", core, 100 * CT / CN, CN
		printf "vsnd/ in all: %.1f%% of %d branches taken\n", 100 * T / N, N }' "$out/gcov.txt"
