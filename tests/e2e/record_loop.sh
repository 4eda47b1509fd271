#!/usr/bin/env bash
# record_loop.sh - end to end: `vsndtrace record --loop N` (guest vsnd_loop=N) plays the file N
# times back to back in one stream: the sink holds the samples exactly N times with no gap (a
# loop boundary inside a period), then only silence; the guest reports N x the file's frames;
# the trace's PCM is N x the file plus whole-period padding. Also --loop's usage errors.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
VT=$BUILD/vsndtrace
AT="python3 tests/e2e/audiotool.py"
[ -x "$VT" ] && [ -x "$BUILD/semu" ] || { echo "record_loop: build first (make)"; exit 1; }
[ -r "$BUILD/guest/Image" ] || { echo "record_loop: no guest (make guest)"; exit 1; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# usage errors: exit 2 with a message naming --loop, before anything boots
usage() { # expected-pattern args...
	local pat=$1; shift
	"$VT" record -o "$T/u.db" "$@" >"$T/u.log" 2>&1
	local rc=$?
	if [ "$rc" = 2 ] && grep -q -- "$pat" "$T/u.log" && [ ! -e "$T/u.db" ]; then
		ok "record $*: exit 2"
	else bad "record $*: exit $rc: $(head -c 300 "$T/u.log")"; fi
}
$AT gen s16 48000 2 24000 "$T/in.wav" || { echo "record_loop: gen failed"; exit 1; }
usage "--loop wants" --play "$T/in.wav" --loop 0
usage "--loop wants" --play "$T/in.wav" --loop -1
usage "--loop wants" --play "$T/in.wav" --loop 3x
usage "--loop wants" --play "$T/in.wav" --loop 100001
usage "needs a value" --play "$T/in.wav" --loop
usage "capture-from" --capture-from "$T/in.wav" --loop 2
"$VT" record --help | grep -q -- "--loop N" && ok "--help lists --loop" || bad "--help lacks --loop"

# check SRC SINK DB GROUPS LOOPS PERIOD_BYTES PERIODS: the sink is GROUPS x (SRC x LOOPS, then
# silence), the loops contiguous; the trace's PCM equals the sink and exceeds
# GROUPS x LOOPS x SRC by less than GROUPS x (PERIODS + 1) periods of padding.
check() {
	python3 - "$@" <<'PY'
import sqlite3, sys
sys.path.insert(0, "tests/e2e")
import audiotool
src, sink, db = sys.argv[1:4]
groups, loops, period_bytes, periods = map(int, sys.argv[4:8])
s, k = audiotool.wav_data(src)[4], audiotool.wav_data(sink)[4]
pos = 0
for g in range(groups):
    for i in range(loops):
        part = k[pos:pos + len(s)]
        if part != s:
            n = next((j for j in range(min(len(s), len(part))) if part[j] != s[j]),
                     min(len(s), len(part)))
            sys.exit(f"play {g + 1} loop {i + 1}: sink differs at source byte {n} "
                     f"(sink data byte {pos + n} of {len(k)})")
        pos += len(s)
    nxt = len(k) if g == groups - 1 else k.find(s[:64], pos)
    if nxt < 0 or any(k[pos:nxt]):
        sys.exit(f"play {g + 1}: non-silence or nothing after its {loops} loops "
                 f"(sink data byte {pos})")
    if nxt - pos > (periods + 1) * period_bytes:
        sys.exit(f"play {g + 1}: {nxt - pos} bytes of padding, more than {periods + 1} periods")
    pos = nxt
con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
total, = con.execute("SELECT coalesce(sum(bytes), 0) FROM pcm WHERE direction = 0").fetchone()
blobs = b"".join(r[0] for r in con.execute(
    "SELECT data FROM pcm WHERE direction = 0 ORDER BY stream, seq"))
want = groups * loops * len(s)
if blobs != k:
    sys.exit(f"trace PCM ({len(blobs)} bytes) differs from the sink ({len(k)} bytes)")
if not want <= total < want + groups * (periods + 1) * period_bytes:
    sys.exit(f"trace pcm rows total {total} bytes, want {want} plus under "
             f"{groups * (periods + 1)} periods of padding")
print(f"sink == ({groups} x (source x {loops}, contiguous) + silence), "
      f"trace pcm {total} bytes = {want} + {total - want} padding")
PY
}

# guest_frames LOG: frames= of the guest's result line
guest_frames() { sed -n 's/.*vsnd: result ok frames=\([0-9]*\) .*/\1/p' "$1"; }

# 0.5 s, 24000 frames: with 1024-frame periods each loop boundary falls inside a period.
if "$VT" record -o "$T/l3.db" --sink "wav:$T/l3.out.wav" --play "$T/in.wav" --loop 3 \
	>"$T/l3.log" 2>&1; then
	f=$(guest_frames "$T/l3.log")
	[ "$f" = 72000 ] && ok "loop 3: guest frames=$f" || bad "loop 3: guest frames='$f', want 72000"
	grep -q "vsnd: config mode=play .* loop=3$" "$T/l3.log" && ok "loop 3: config line" ||
		bad "loop 3: no config line with loop=3"
	grep -q "vsnd: play n=1 frames=72000 padded=72704 " "$T/l3.log" &&
		ok "loop 3: one playback, padded once" || bad "loop 3: $(grep 'vsnd: play' "$T/l3.log")"
	if out=$(check "$T/in.wav" "$T/l3.out.wav" "$T/l3.db" 1 3 4096 4 2>&1); then
		ok "loop 3: $out"; else bad "loop 3: $out"; fi
	starts=$(sqlite3 "$T/l3.db" "SELECT count(*) FROM control WHERE code = 260")
	[ "$starts" = 1 ] && ok "loop 3: one START" || bad "loop 3: $starts STARTs"
else
	bad "loop 3: record failed"; tail -20 "$T/l3.log" | sed 's/^/    /'
fi

# A scenario loops each playback: twice x loop 2 (0.25 s, 256-frame periods) = 4 x the file.
$AT gen s16 48000 2 12000 "$T/short.wav" || bad "gen short"
if "$VT" record -o "$T/tw.db" --sink "wav:$T/tw.out.wav" --play "$T/short.wav" --loop 2 \
	--scenario twice --period 256 >"$T/tw.log" 2>&1; then
	f=$(guest_frames "$T/tw.log")
	[ "$f" = 48000 ] && ok "twice x loop 2: guest frames=$f" || bad "twice x loop 2: frames='$f'"
	if out=$(check "$T/short.wav" "$T/tw.out.wav" "$T/tw.db" 2 2 1024 4 2>&1); then
		ok "twice x loop 2: $out"; else bad "twice x loop 2: $out"; fi
else
	bad "twice x loop 2: record failed"; tail -20 "$T/tw.log" | sed 's/^/    /'
fi

echo "record_loop: $fails failure(s)"
[ "$fails" = 0 ]
