#!/usr/bin/env bash
# Builds the RV32 guest kernel (Debian linux-source-6.1, tinyconfig + guest/kernel.config) and its
# uapi headers into the cache; prints the kernel directory. Reproducible: fixed KBUILD_BUILD_*.
#
# usage: guest/build-kernel.sh CACHE_DIR
#   CACHE_DIR/linux-source-<ver>/      unpacked source (shared by every config, never built in)
#   CACHE_DIR/kernel-<hash>/Image      kernel, <hash> = fragment + this script + source version
#   CACHE_DIR/kernel-<hash>/headers/   `make headers_install` output (include/sound/asound.h, ...)
#   CACHE_DIR/kernel-<hash>/config     the final .config
# The kernel directory counts as complete only when its file `done` exists.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:?usage: build-kernel.sh CACHE_DIR}
frag=$here/kernel.config
tarball=/usr/src/linux-source-6.1.tar.xz
ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
[ -r "$tarball" ] || { echo "build-kernel: $tarball missing (apt-get install linux-source-6.1)" >&2; exit 1; }
khash=$(cat "$frag" "$here/build-kernel.sh" <(echo "$ver") | sha256sum | cut -c1-16)
kdir=$cache/kernel-$khash
src=$cache/linux-source-$ver
mkdir -p "$cache"
if [ -e "$kdir/done" ]; then echo "$kdir"; exit 0; fi

exec 9>"$cache/.kernel.lock"
flock 9
if [ -e "$kdir/done" ]; then echo "$kdir"; exit 0; fi

if [ ! -e "$src/.unpacked" ]; then
	echo "build-kernel: unpacking $tarball into $src" >&2
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.unpacked"
	mv "$src.tmp" "$src"
fi

export ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-
export SOURCE_DATE_EPOCH=1704067200
export KBUILD_BUILD_TIMESTAMP="Mon Jan  1 00:00:00 UTC 2024"
export KBUILD_BUILD_USER=vsndtrace KBUILD_BUILD_HOST=vsndtrace KBUILD_BUILD_VERSION=1
export LC_ALL=C TZ=UTC
obj=$kdir/obj
mkdir -p "$obj"
kmake() { make -s -C "$src" O="$obj" "$@"; }

echo "build-kernel: configuring in $obj" >&2
kmake tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
kmake olddefconfig >/dev/null

# Kconfig drops options whose dependencies are unmet without a word: insist on every line.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$obj/.config" || { echo "build-kernel: lost: $line" >&2; missing=1; } ;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }; sym=${sym%% *}
		if grep -q "^$sym=" "$obj/.config"; then echo "build-kernel: lost: $line" >&2; missing=1; fi ;;
	esac
done <"$frag"
[ "$missing" = 0 ] || { echo "build-kernel: fragment did not survive olddefconfig" >&2; exit 1; }

echo "build-kernel: building Image (-j2, about 2-3 minutes)" >&2
kmake -j2 Image
rm -rf "$kdir/headers"
kmake headers_install INSTALL_HDR_PATH="$kdir/headers" >/dev/null
cp "$obj/arch/riscv/boot/Image" "$kdir/Image"
cp "$obj/.config" "$kdir/config"
echo "$ver" >"$kdir/version"
touch "$kdir/done"
echo "$kdir"
