#!/usr/bin/env bash
# End-to-end check of the guest alone under QEMU (independent of semu): qemu-system-riscv32 7.2
# with our tiny SBI firmware boots the guest kernel; /init parses the command line and the WAV
# from the appended audio archive, reports, and powers off (exit status 0) or, with
# vsnd_fail=reboot, reboots (firmware maps the SBI cold reboot to status 68). Debian's QEMU 7.2
# has no virtio-sound, so playback itself is checked only when QEMU_VSND names a QEMU >= 8.2
# binary (e.g. bookworm-backports' 10.0, unpacked anywhere): then every mode and scenario
# runs against QEMU's virtio-sound-device and the played bytes must equal the file.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
. guest/paths.sh
FW=$GUEST_DIR/qemu-fw.bin
QEMU=${QEMU:-qemu-system-riscv32}
command -v "$QEMU" >/dev/null || { echo "guest_qemu.sh: $QEMU not installed (qemu-system-misc)"; exit 1; }
for f in "$GUEST_IMAGE" "$GUEST_INITRD" "$FW" "$MKCPIO"; do
	[ -r "$f" ] || { echo "guest_qemu.sh: $f missing (make guest $FW)"; exit 1; }
done
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
CPU=rv32,c=off,f=off,d=off,h=off,sstc=off

boot() { # qemu, initrd, cmdline words, log, extra qemu args...
	local q=$1 initrd=$2 words=$3 log=$4 cpu=$CPU
	shift 4
	# QEMU >= 8.1 enables Zfa by default and refuses it without F.
	local major
	major=$("$q" --version | sed -n 's/^QEMU emulator version \([0-9]*\).*/\1/p')
	[ "${major:-0}" -ge 8 ] && cpu=$CPU,zfa=off
	set +e
	timeout 120 "$q" -M virt -cpu "$cpu" -m 128M -nographic -no-reboot -bios "$FW" \
		-kernel "$GUEST_IMAGE" -initrd "$initrd" -append "$GUEST_CMDLINE_BASE $words" "$@" \
		</dev/null >"$log" 2>&1
	local st=$?
	set -e
	return $st
}
expect() { # log, fixed line prefix
	grep -aq "^$(printf '%s' "$2" | sed 's/[][\.*^$]/\\&/g')" "$1" || fail "no line '$2' in $(basename "$1")"
}

python3 - "$tmp/in.wav" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(2); w.setsampwidth(2); w.setframerate(48000)
w.writeframes(b"".join(struct.pack("<hh", int(9000 * math.sin(i / 10.0)), (i * 37) % 30000 - 15000)
                       for i in range(12345)))
w.close()
PY
guest/mkinitrd.sh "$tmp/audio.cpio" "$tmp/in.wav"

# 1. Audio archive appended to the base: /init reads the WAV, finds no sound card, powers off.
boot "$QEMU" "$tmp/audio.cpio" "" "$tmp/1.log" && st=0 || st=$?
[ "$st" -eq 0 ] || fail "power-off status $st, want 0"
expect "$tmp/1.log" "vsnd: init t_ms="
expect "$tmp/1.log" "vsnd: config mode=play scenario=- period=1024 periods=4 file=/audio.wav"
expect "$tmp/1.log" "vsnd: wav format=S16_LE rate=48000 channels=2 frames=12345"
expect "$tmp/1.log" "vsnd: result fail step=open_pcm err=-2"
grep -aq "Kernel panic" "$tmp/1.log" && fail "kernel panic"
[ "$fails" -eq 0 ] && ok "boot, WAV from the appended archive, power-off"

# 2. A bad vsnd_ option fails early; vsnd_fail=reboot turns the failure into an SBI reboot.
boot "$QEMU" "$GUEST_INITRD" "vsnd_fail=reboot vsnd_period=0" "$tmp/2.log" && st=0 || st=$?
[ "$st" -eq 68 ] && ok "failure + vsnd_fail=reboot -> SBI cold reboot" || fail "reboot status $st, want 68"
expect "$tmp/2.log" "vsnd: bad option: vsnd_period=0"
expect "$tmp/2.log" "vsnd: result fail step=cmdline err=-22"

# 3. Base initramfs only: no /audio.wav; another file name via vsnd_file.
boot "$QEMU" "$GUEST_INITRD" "" "$tmp/3.log" || true
expect "$tmp/3.log" "vsnd: result fail step=open_file err=-2"
guest/mkinitrd.sh "$tmp/named.cpio" "$tmp/in.wav" /other.wav
boot "$QEMU" "$tmp/named.cpio" "vsnd_file=/other.wav vsnd_mode=capture" "$tmp/4.log" || true
expect "$tmp/4.log" "vsnd: config mode=capture scenario=- period=1024 periods=4 file=/other.wav"
expect "$tmp/4.log" "vsnd: result fail step=open_pcm err=-2"
[ "$fails" -eq 0 ] && ok "missing file, vsnd_file, capture mode without a card"

# 4. Optional: real playback and capture against QEMU's virtio-sound-device.
if [ -n "${QEMU_VSND:-}" ]; then
	vs() { # name, words, audiodev
		boot "$QEMU_VSND" "$tmp/audio.cpio" "$2" "$tmp/$1.log" \
			-global virtio-mmio.force-legacy=false -device virtio-sound-device,audiodev=a \
			-audiodev "$3,id=a,out.frequency=48000,out.channels=2,out.format=s16,in.frequency=48000,in.channels=2,in.format=s16" ||
			fail "$1: exit status $?"
		grep -aq "^vsnd: result ok" "$tmp/$1.log" || fail "$1: $(grep -a '^vsnd: result' "$tmp/$1.log")"
	}
	vs play "" "wav,path=$tmp/out.wav"
	if python3 - "$tmp/in.wav" "$tmp/out.wav" <<'PY'
import sys, wave
x = wave.open(sys.argv[1]).readframes(1 << 30)
y = wave.open(sys.argv[2]).readframes(1 << 30)
assert y[:len(x)] == x and not any(y[len(x):]), "played bytes differ"
PY
	then ok "virtio-sound: played bytes equal the file, padding silent"; else fail "played bytes"; fi
	expect "$tmp/play.log" "vsnd: play n=1 frames=12345 padded=13312"
	for sc in twice pause drop prepare badrate xrun; do
		vs "$sc" "vsnd_mode=scenario vsnd_scenario=$sc vsnd_at_frames=8192 vsnd_xrun_debug=1" none
	done
	expect "$tmp/twice.log" "vsnd: result ok frames=24690"
	expect "$tmp/pause.log" "vsnd: pause hw_ptr="
	grep -aq "state=PAUSED" "$tmp/pause.log" || fail "pause state"
	expect "$tmp/badrate.log" "vsnd: badrate rate=12345 refine_err=-22"
	expect "$tmp/xrun.log" "vsnd: xrun n=1"
	grep -aq "XRUN: pcmC0D0p" "$tmp/xrun.log" || fail "no kernel XRUN line with xrun_debug"
	vs capture "vsnd_mode=capture vsnd_capture_frames=4800 vsnd_period=480" none
	# QEMU's "none" backend captures silence: FNV-1a of 4800 x 4 zero bytes.
	expect "$tmp/capture.log" "vsnd: capture frames=4800 fnv1a=b952d9c5"
	[ "$fails" -eq 0 ] && ok "virtio-sound: scenarios and capture"
else
	echo "note: QEMU_VSND not set: playback against QEMU's virtio-sound-device not checked"
fi

[ "$fails" -eq 0 ] || { echo "guest_qemu.sh: $fails failure(s)"; exit 1; }
echo "guest_qemu.sh: all passed"
