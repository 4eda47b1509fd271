#!/usr/bin/env bash
# Builds the guest (kernel via build-kernel.sh, freestanding /init, base initramfs) into the
# cache and copies the results to stable paths; a cached build takes well under a second.
#
# usage: guest/build.sh --mkcpio PATH --out DIR [--cache DIR]
#   cache: ${VSND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vsndtrace}
#   CACHE/guest-<hash>/{Image,init,initramfs.cpio}, <hash> = kernel.config, build-kernel.sh,
#   this script, the init sources, the cpio writer and `dpkg-query -W linux-source-6.1`.
#   OUT/{Image,init,initramfs.cpio,paths.sh} are copies (rewritten only when they change).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache=${VSND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vsndtrace}
mkcpio= out=
while [ $# -gt 0 ]; do
	case $1 in
	--mkcpio) mkcpio=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	*) echo "guest/build.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$mkcpio" ] && [ -n "$out" ] || { echo "usage: guest/build.sh --mkcpio PATH --out DIR [--cache DIR]" >&2; exit 2; }
mkcpio=$(cd "$(dirname "$mkcpio")" && pwd)/$(basename "$mkcpio")
for tool in riscv64-linux-gnu-gcc dpkg-query flock sha256sum; do
	command -v "$tool" >/dev/null || { echo "guest/build.sh: $tool not found (see .ci/packages)" >&2; exit 1; }
done

# A parent make's flags (jobserver fds, `CC=...` overrides) must not leak into the kernel build.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
epoch=1704067200 # SOURCE_DATE_EPOCH of every build product (also the cpio mtime)
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
inputs=(guest/kernel.config guest/build-kernel.sh guest/build.sh guest/mkcpio.c
	vsndtrace/cpio.c vsndtrace/cpio.h)
while IFS= read -r f; do inputs+=("$f"); done < <(cd "$root" && find guest/init -type f \( -name '*.c' -o -name '*.h' -o -name '*.S' \) | LC_ALL=C sort)
hash=$( (cd "$root" && for f in "${inputs[@]}"; do echo "== $f"; cat "$f"; done; echo "== $ver") | sha256sum | cut -c1-16)
gdir=$cache/guest-$hash
mkdir -p "$cache"

if [ ! -e "$gdir/done" ]; then
	start=$(date +%s)
	kdir=$("$here/build-kernel.sh" "$cache" | tail -n 1) # its last line is the directory
	exec 8>"$cache/.guest.lock"
	flock 8
	if [ ! -e "$gdir/done" ]; then
		tmp=$gdir.tmp.$$
		rm -rf "$tmp"
		mkdir -p "$tmp"
		gcc_inc=$(riscv64-linux-gnu-gcc -print-file-name=include)
		# Freestanding rv32: no libc/libgcc exist for it in Debian (see guest-build.md).
		riscv64-linux-gnu-gcc -march=rv32ima_zicsr -mabi=ilp32 -static -nostdlib -nostdinc \
			-isystem "$gcc_inc" -ffreestanding -fno-builtin -fno-stack-protector -fno-pic \
			-no-pie -fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
			-mno-relax -Wl,--no-relax -Wl,--build-id=none -std=gnu11 -Wall -Wextra -Werror -Os \
			-ffile-prefix-map="$root"/= -I "$here/init/include" -I "$kdir/headers/include" \
			-e _start -o "$tmp/init" "$here"/init/*.c
		# Base initramfs: /dev, /dev/console (5,1), /proc, /init. An audio archive made with
		# mkcpio (guest/mkinitrd.sh) may be appended to it.
		"$mkcpio" -o "$tmp/initramfs.cpio" -t "$epoch" -d dev -c dev/console:5:1 -m 0555 -d proc \
			-m 0755 init="$tmp/init"
		cp "$kdir/Image" "$tmp/Image"
		cp "$kdir/config" "$tmp/kernel.config"
		echo "$ver" >"$tmp/linux-source-version"
		touch "$tmp/done"
		rm -rf "$gdir"
		mv "$tmp" "$gdir"
		echo "guest: built $gdir in $(($(date +%s) - start)) s" >&2
	fi
	flock -u 8
fi

mkdir -p "$out"
update() { cmp -s "$1" "$2" || cp "$1" "$2"; }
update "$gdir/Image" "$out/Image"
update "$gdir/init" "$out/init"
update "$gdir/initramfs.cpio" "$out/initramfs.cpio"
out_abs=$(cd "$out" && pwd)
cat >"$out/paths.sh.tmp" <<EOT
# Written by guest/build.sh: the guest built from this tree (source it from sh or bash).
GUEST_IMAGE=$out_abs/Image
GUEST_INITRD=$out_abs/initramfs.cpio
GUEST_INIT=$out_abs/init
GUEST_CACHE_DIR=$gdir
GUEST_LINUX_VERSION=$ver
GUEST_CMDLINE_BASE="earlycon=sbi console=ttyS0"
EOT
update "$out/paths.sh.tmp" "$out/paths.sh"
rm -f "$out/paths.sh.tmp"
echo "GUEST_IMAGE=$out_abs/Image"
echo "GUEST_INITRD=$out_abs/initramfs.cpio"
