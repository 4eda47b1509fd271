#!/usr/bin/env bash
# snd_config.sh - the device configured from the command line (issue 2): the real guest
# plays through semu --snd-config with S16-only/44100-only streams, with 2 output streams
# (multi preset; and with the guest's PCM on output stream 1, which gets its own wav file);
# vsndtrace info shows the configured streams and replay --verify passes; the guest's ALSA
# refuses a rate the device does not offer; bad specs fail with a message naming the token.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
VT=$BUILD/vsndtrace
SEMU=$BUILD/semu
AT="python3 tests/e2e/audiotool.py"
[ -x "$VT" ] && [ -x "$SEMU" ] || { echo "snd_config: build first (make)"; exit 1; }
[ -r "$BUILD/guest/Image" ] || { echo "snd_config: no guest (make guest)"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# record NAME SPEC [record options...]: records $T/x.wav into $T/NAME.db, sink $T/NAME.out.wav
record() {
	local name=$1 spec=$2; shift 2
	if "$VT" record -o "$T/$name.db" --sink "wav:$T/$name.out.wav" "$@" \
		-- --snd-config "$spec" >"$T/$name.log" 2>&1; then
		ok "$name: recorded with --snd-config '$spec'"
	else
		bad "$name: record failed"; sed 's/^/    /' "$T/$name.log" | tail -20; return 1
	fi
}

# has NAME TEXT: vsndtrace info NAME.db shows the line TEXT (leading blanks ignored)
has() {
	if "$VT" info "$T/$1.db" | sed 's/^ *//' | grep -qxF -- "$2"; then ok "$1: info shows '$2'"
	else bad "$1: info lacks '$2'"; "$VT" info "$T/$1.db" | sed -n '/^device/,/^events/p' | sed 's/^/    /'; fi
}

# configured NAME SQL-ROWS: the trace's config_stream rows (id|nid|features|formats|rates|dir|min|max)
configured() {
	local got; got=$(sqlite3 "$T/$1.db" "SELECT * FROM config_stream ORDER BY stream_id" | tr '\n' ' ')
	[ "$got" = "$2" ] && ok "$1: config_stream rows $got" || bad "$1: config_stream rows '$got', want '$2'"
}

verify() { # NAME [replay options]
	local name=$1; shift
	if out=$("$VT" replay "$T/$name.db" --verify "$@" 2>&1) && grep -q "verify: passed" <<<"$out"; then
		ok "$name: replay --verify passed"
	else bad "$name: replay --verify"; sed 's/^/    /' <<<"$out" | tail -10; fi
}

$AT gen s16 44100 2 22050 "$T/x.wav" || { echo "snd_config: audiotool gen failed"; exit 1; }
$AT gen s16 48000 2 4800 "$T/x48.wav" || exit 1

# 1. only S16 at 44100 Hz on both streams (1..2 channels)
S16='streams=out:fmt=s16:rate=44100:ch=1-2,in:fmt=s16:rate=44100:ch=1-2'
if record s16 "$S16" --play "$T/x.wav"; then
	if out=$($AT expect-play "$T/x.wav" "$T/s16.out.wav" 2>&1); then ok "s16: $out"; else bad "s16: $out"; fi
	configured s16 "0|0|0|32|64|0|1|2 1|0|0|32|64|1|1|2 "
	has s16 "device       2 streams, 1 jack, 4 chmaps"
	has s16 "stream 0   output, nid 0, channels 1..2, features 0x0"
	has s16 "stream 1   input, nid 0, channels 1..2, features 0x0"
	has s16 "formats S16"
	has s16 "rates 44100"
	verify s16
fi

# 2. the guest's ALSA refuses what the device does not offer: 48000 Hz on that config
"$VT" record -o "$T/r48.db" --play "$T/x48.wav" -- --snd-config "$S16" >"$T/r48.log" 2>&1; rc=$?
sp=$(sqlite3 "$T/r48.db" "SELECT count(*) FROM control WHERE code = 257" 2>/dev/null)
if [ "$rc" != 0 ] && grep -q "vsnd: result fail step=hw_" "$T/r48.log" && [ "$sp" = 0 ]; then
	ok "48 kHz on a 44.1 kHz-only device: the guest refuses it, no SET_PARAMS reaches the device"
else bad "48 kHz on a 44.1 kHz-only device: record exit $rc, SET_PARAMS count '$sp'"; fi

# 3. two output streams and one input (the multi preset); the guest plays on stream 0
if record multi multi --play "$T/x.wav"; then
	if out=$($AT expect-play "$T/x.wav" "$T/multi.out.wav" 2>&1); then ok "multi: $out"; else bad "multi: $out"; fi
	has multi "device       3 streams, 2 jacks, 4 chmaps"
	has multi "stream 0   output, nid 0, channels 1..8, features 0x0"
	has multi "stream 1   output, nid 0, channels 1..8, features 0x0"
	has multi "stream 2   input, nid 0, channels 1..8, features 0x0"
	verify multi
fi

# 4. two output streams, the guest's hw:0,0 (nid 0) on output stream 1: its PCM lands in
#    the sink's "-s1" file, in the recording and in the replay
SWAP='streams=out:nid=1:fmt=s16:rate=44100:ch=2,out:fmt=s16:rate=44100:ch=2,in:fmt=s16:rate=44100:ch=2;jacks=hp,mic:disconnected'
if record swap "$SWAP" --play "$T/x.wav"; then
	if out=$($AT expect-play "$T/x.wav" "$T/swap.out-s1.wav" 2>&1); then ok "swap: stream 1 -> out-s1.wav: $out"
	else bad "swap: stream 1 -> out-s1.wav: $out"; fi
	[ ! -e "$T/swap.out.wav" ] && ok "swap: stream 0 (unused) wrote no file" || bad "swap: stream 0 wrote a file"
	configured swap "0|1|0|32|64|0|2|2 1|0|0|32|64|0|2|2 2|0|0|32|64|1|2|2 "
	has swap "device       3 streams, 2 jacks, 4 chmaps"
	has swap "stream 0   output, nid 1, channels 2..2, features 0x0"
	has swap "jack 1     nid 0, disconnected"
	"$VT" info "$T/swap.db" | grep -q "^  stream 1   S16 44100 Hz 2 ch" && ok "swap: stream 1 was used" \
		|| bad "swap: stream 1 not shown as used"
	verify swap --sink "wav:$T/replay.wav"
	if out=$($AT expect-play "$T/x.wav" "$T/replay-s1.wav" 2>&1); then ok "swap: replay's stream 1 file: $out"
	else bad "swap: replay's stream 1 file: $out"; fi
fi

# 5. bad specs: semu exits 3 naming the token; record passes the failure on, writes no trace
for spec in "streams=out:fmt=x16|unknown format 'x16'" "streams=out:ch=9|'9' is not a channel count" \
	"jacks=trumpet|unknown jack kind 'trumpet'" "streams=out;chmaps=in:MONO|has no input stream"; do
	s=${spec%%|*}; want=${spec#*|}
	"$SEMU" -k "$BUILD/guest/Image" --snd-config "$s" >"$T/bad.log" 2>&1; rc=$?
	if [ "$rc" = 3 ] && grep -qF -- "semu: --snd-config: " "$T/bad.log" && grep -qF -- "$want" "$T/bad.log"; then
		ok "semu --snd-config '$s': exit 3: $(head -c 120 "$T/bad.log")"
	else bad "semu --snd-config '$s': exit $rc: $(cat "$T/bad.log")"; fi
done
"$VT" record -o "$T/bad.db" --play "$T/x.wav" -- --snd-config "streams=out:rate=44000" >"$T/bad.log" 2>&1; rc=$?
if [ "$rc" != 0 ] && [ ! -e "$T/bad.db" ] && grep -qF "'44000' is not a VirtIO rate" "$T/bad.log"; then
	ok "record with a bad --snd-config: exit $rc, no trace, semu's message shown"
else bad "record with a bad --snd-config: exit $rc"; fi

[ "$fails" = 0 ] && echo "snd_config: all passed" || echo "snd_config: $fails failed"
[ "$fails" = 0 ]
