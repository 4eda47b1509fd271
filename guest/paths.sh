# paths.sh - where `make guest` leaves the guest (source it: `. guest/paths.sh`), for tests and
# scripts. Uses $BUILD (default build); GUEST_* already set in the environment win.
: "${GUEST_DIR:=${BUILD:-build}/guest}"
: "${GUEST_IMAGE:=$GUEST_DIR/Image}"
: "${GUEST_INITRD:=$GUEST_DIR/initramfs.cpio}"
: "${GUEST_INIT:=$GUEST_DIR/init}"
: "${MKCPIO:=${BUILD:-build}/mkcpio}"
: "${GUEST_CMDLINE_BASE:=earlycon=sbi console=ttyS0}"
