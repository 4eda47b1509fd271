#!/usr/bin/env bash
# Bare-metal guests for semu, built with the riscv64 cross toolchain into flat rv32 binaries
# and booted as the kernel:
#  - mmio_guest.S: bad guest MMIO never crashes semu; unmapped addresses give access faults.
#  - timer_guest.S: SBI set_timer + WFI wake on time, STIP never early, idle host CPU low.
#  - uart_guest.S: a line typed on stdin reaches the guest through UART RX interrupts (PLIC
#    claim/complete) while it sleeps in WFI, and comes back on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SEMU=${SEMU:-$BUILD/semu}
CROSS=${CROSS:-riscv64-linux-gnu-}
[ -x "$SEMU" ] || { echo "tests/semu/run.sh: $SEMU not built"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

build() { # name
	"${CROSS}gcc" -march=rv32ima_zicsr -mabi=ilp32 -nostdlib -static -fno-pic -no-pie \
		-Wl,-Ttext=0x80400000 -Wl,--no-relax -Wl,--build-id=none \
		-o "$tmp/$1.elf" "tests/semu/$1.S"
	"${CROSS}objcopy" -O binary "$tmp/$1.elf" "$tmp/$1.bin"
}

# run NAME [SEMU ARGS]: boots it, console in $tmp/NAME.out, "status wall cpu" in $tmp/NAME.time
run() {
	local name=$1; shift
	python3 - "$tmp/$name.time" "$SEMU" -k "$tmp/$name.bin" --max-seconds 10 "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" <<'PY'
import os, sys, time
# posix_spawn + wait4: the child's own CPU time (subprocess's fork would add python's)
t0 = time.monotonic()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ,
                     file_actions=[(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)])
_, status, ru = os.wait4(pid, 0)
rc = os.waitstatus_to_exitcode(status)
open(sys.argv[1], "w").write("%d %.3f %.3f\n" % (rc, time.monotonic() - t0, ru.ru_utime + ru.ru_stime))
PY
}

build mmio_guest
run mmio_guest
read -r st wall cpu <"$tmp/mmio_guest.time"
if [ "$st" -eq 0 ] && grep -qx "mmio: ok" "$tmp/mmio_guest.out"; then
	echo "ok: malformed MMIO ignored, unmapped accesses fault"
else
	echo "FAIL: mmio_guest status $st: $(cat "$tmp/mmio_guest.out" "$tmp/mmio_guest.err")"
	fails=$((fails + 1))
fi

build timer_guest
run timer_guest --no-snd
read -r st wall cpu <"$tmp/timer_guest.time"
if [ "$st" -eq 0 ] && grep -qx "timer: ok" "$tmp/timer_guest.out"; then
	echo "ok: 100 timer rounds with WFI (wall ${wall} s, host cpu ${cpu} s)"
	# The guest sleeps ~100 ms in WFI: generous bound, the host must not spin meanwhile.
	if python3 -c "import sys; w,c=map(float,sys.argv[1:]); sys.exit(0 if c < 0.5 * w else 1)" "$wall" "$cpu"; then
		echo "ok: WFI sleeps the host thread"
	else
		echo "FAIL: WFI idle used ${cpu} s cpu in ${wall} s"
		fails=$((fails + 1))
	fi
else
	echo "FAIL: timer_guest status $st: $(cat "$tmp/timer_guest.out" "$tmp/timer_guest.err")"
	fails=$((fails + 1))
fi

# uart_guest: input arrives 0.3 s after start (the guest is asleep in WFI by then), then EOF.
build uart_guest
set +e
{ sleep 0.3; printf 'hello semu, this line is longer than the 16-byte FIFO\n'; } | "$SEMU" -k "$tmp/uart_guest.bin" --no-snd --max-seconds 10 \
	>"$tmp/uart.out" 2>"$tmp/uart.err"
st=$?
set -e
if [ "$st" -eq 0 ] && [ "$(cat "$tmp/uart.out")" = "uart: got hello semu, this line is longer than the 16-byte FIFO" ]; then
	echo "ok: stdin line received by UART RX interrupt and echoed"
else
	echo "FAIL: uart_guest status $st: $(od -c "$tmp/uart.out" | head -5) $(cat "$tmp/uart.err")"
	fails=$((fails + 1))
fi

[ "$fails" -eq 0 ] || exit 1
echo "tests/semu/run.sh: all passed"
