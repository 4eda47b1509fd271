#!/usr/bin/env bash
# Makes "initramfs with audio": the guest's base initramfs followed by a second newc archive
# holding one file (Linux unpacks concatenated archives; each is a multiple of 4 bytes).
#
# usage: guest/mkinitrd.sh OUT AUDIO_FILE [NAME] [BASE]
#   NAME  path inside the guest (default /audio.wav, the player's default vsnd_file)
#   BASE  base initramfs (default $GUEST_INITRD, else build/guest/initramfs.cpio)
#   MKCPIO  environment: the cpio tool (default: mkcpio next to BASE's build dir, build/mkcpio)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: guest/mkinitrd.sh OUT AUDIO_FILE [NAME] [BASE]" >&2; exit 2; }
out=$1 audio=$2 name=${3:-/audio.wav}
base=${4:-${GUEST_INITRD:-${BUILD:-build}/guest/initramfs.cpio}}
mkcpio=${MKCPIO:-${BUILD:-build}/mkcpio}
[ -r "$base" ] || { echo "guest/mkinitrd.sh: no base initramfs $base (run make guest)" >&2; exit 1; }
[ -x "$mkcpio" ] || { echo "guest/mkinitrd.sh: no $mkcpio (run make guest)" >&2; exit 1; }
size=$(stat -c %s "$base")
[ $((size % 4)) -eq 0 ] || { echo "guest/mkinitrd.sh: $base is not 4-byte aligned" >&2; exit 1; }
tmp=$out.tmp.$$
trap 'rm -f "$tmp" "$tmp.audio"' EXIT
"$mkcpio" -o "$tmp.audio" -m 0644 "$name=$audio"
cat "$base" "$tmp.audio" >"$tmp"
mv "$tmp" "$out"
