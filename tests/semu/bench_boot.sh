#!/usr/bin/env bash
# `make bench-boot`: boot-to-/init time of the guest under semu (median of N runs, the console
# marker "Run /init as init process"), wall and host CPU; one `NAME VALUE UNIT` line each.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SEMU=${SEMU:-$BUILD/semu}
RUNS=${RUNS:-7}
. guest/paths.sh
[ -r "$GUEST_IMAGE" ] || make -s guest BUILD="$BUILD" SANITIZE="${SANITIZE:-0}" >/dev/null
walls=() cpus=()
for _ in $(seq "$RUNS"); do
	line=$("$SEMU" -k "$GUEST_IMAGE" -i "$GUEST_INITRD" --bench-boot --max-seconds 20 \
		</dev/null 2>&1 >/dev/null | grep -a "boot marker")
	walls+=("$(sed -n 's/.* after \([0-9.]*\) s .*/\1/p' <<<"$line")")
	cpus+=("$(sed -n 's/.* \([0-9.]*\) s cpu.*/\1/p' <<<"$line")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "semu_boot_to_init_wall $(median "${walls[@]}") s"
echo "semu_boot_to_init_cpu $(median "${cpus[@]}") s"
