#!/usr/bin/env bash
# Guest host-side tools: criterion tests (cpio writer, /init helpers), then the mkcpio CLI,
# the base initramfs and guest/mkinitrd.sh checked with an independent reader (cpio_list.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MKCPIO=$BUILD/mkcpio
"$BUILD/tests/guest/test_guest_tools" --jobs 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
list() { python3 tests/guest/cpio_list.py "$1"; }
sha() { sha256sum "$1" | cut -c1-16; }

# mkcpio: entry kinds, per-entry -m, mode from the host file's x bit, -t, name cleaning.
printf 'hello\n' >"$tmp/a.txt"
printf '#!/bin/sh\n' >"$tmp/x.sh"
chmod 755 "$tmp/x.sh"
: >"$tmp/empty"
"$MKCPIO" -o "$tmp/t.cpio" -t 42 -d dev -c /dev/console:5:1 -m 0555 -d proc \
	/a.txt="$tmp/a.txt" bin/x="$tmp/x.sh" -m 0600 ./e="$tmp/empty"
cat >"$tmp/want" <<EOT
dev 40755 0 2 0:0 42 $(sha /dev/null)
dev/console 20600 0 1 5:1 42 $(sha /dev/null)
proc 40555 0 2 0:0 42 $(sha /dev/null)
a.txt 100644 6 1 0:0 42 $(sha "$tmp/a.txt")
bin/x 100755 10 1 0:0 42 $(sha "$tmp/x.sh")
e 100600 0 1 0:0 42 $(sha /dev/null)
TRAILER
EOT
list "$tmp/t.cpio" >"$tmp/got"
diff -u "$tmp/want" "$tmp/got"

# Usage and input errors: status 2 / 1, and no output file left behind.
set +e
exec 3>&2 2>/dev/null
"$MKCPIO" -o "$tmp/bad.cpio" noequals; s1=$?
"$MKCPIO" -o "$tmp/bad.cpio" /x="$tmp/missing"; s2=$?
"$MKCPIO" -o "$tmp/bad.cpio" -c dev/c:5; s3=$?
"$MKCPIO" /x="$tmp/a.txt"; s4=$?
"$MKCPIO" -o "$tmp/bad.cpio" ../up="$tmp/a.txt"; s5=$?
exec 2>&3
set -e
[ "$s1 $s2 $s3 $s4 $s5" = "2 1 2 2 1" ] || { echo "mkcpio statuses: $s1 $s2 $s3 $s4 $s5"; exit 1; }
[ ! -e "$tmp/bad.cpio" ] || { echo "mkcpio left a partial archive"; exit 1; }

# Same inputs, same bytes (the base initramfs must be reproducible).
"$MKCPIO" -o "$tmp/t2.cpio" -t 42 -d dev -c /dev/console:5:1 -m 0555 -d proc \
	/a.txt="$tmp/a.txt" bin/x="$tmp/x.sh" -m 0600 ./e="$tmp/empty"
cmp "$tmp/t.cpio" "$tmp/t2.cpio"

# mkinitrd.sh: base + audio archive, both complete, audio under the requested name.
head -c 10001 /dev/urandom >"$tmp/audio.wav"
MKCPIO=$MKCPIO guest/mkinitrd.sh "$tmp/initrd" "$tmp/audio.wav" /audio.wav "$tmp/t.cpio"
list "$tmp/initrd" >"$tmp/got2"
{ cat "$tmp/want"; echo "audio.wav 100644 10001 1 0:0 0 $(sha "$tmp/audio.wav")"; echo TRAILER; } >"$tmp/want2"
diff -u "$tmp/want2" "$tmp/got2"
[ $(($(stat -c %s "$tmp/initrd") % 4)) -eq 0 ]

# The real base initramfs, if `make guest` has run: exactly /dev, /dev/console, /proc, /init.
if [ -r "$BUILD/guest/initramfs.cpio" ]; then
	list "$BUILD/guest/initramfs.cpio" | cut -d' ' -f1-6 >"$tmp/base"
	size=$(stat -c %s "$BUILD/guest/init")
	printf '%s\n' "dev 40755 0 2 0:0 1704067200" "dev/console 20600 0 1 5:1 1704067200" \
		"proc 40555 0 2 0:0 1704067200" "init 100755 $size 1 0:0 1704067200" TRAILER |
		diff -u - "$tmp/base"
	# ELF, 32-bit, little-endian, ET_EXEC, EM_RISCV (0xf3): a static rv32 program.
	[ "$(od -An -tx1 -N20 "$BUILD/guest/init" | tr -d ' \n')" = 7f454c460101010000000000000000000200f300 ]
fi
echo "guest tools: ok"
