#!/usr/bin/env bash
# cli_export_formats.sh - end to end: `vsndtrace export --wav` writes each sample format's
# recorded PCM sample-exactly (raw where WAV has the encoding, else converted as documented).
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
V=$BUILD/vsndtrace
[ -x "$V" ] || { echo "cli_export_formats: $V not built"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FORMATS="U8 S8 S16 U16 S24_3 S24 U24 S20 S32 U32 FLOAT FLOAT64 MU_LAW A_LAW"
for f in $FORMATS; do
	python3 tests/e2e/cli_synth_session.py --format "$f" --periods 12 --period-frames 96 \
		--stall-k 1000 --underrun-k 1000 "$T/$f.db" >/dev/null
	"$V" export "$T/$f.db" --wav "$T/$f.wav" 2>"$T/$f.log" ||
		{ echo "export $f failed: $(cat "$T/$f.log")"; exit 1; }
done
python3 - "$T" $FORMATS <<'PY'
import sqlite3, struct, sys
T, formats = sys.argv[1], sys.argv[2:]
# WAV format tag (1 PCM, 3 IEEE float, 6 A-law, 7 mu-law), bits per sample, and the expected
# data bytes of one recorded sample (little-endian bytes) for each virtio format.
def flip(b, bit):
    v = int.from_bytes(b, "little") ^ (1 << bit)
    return v.to_bytes(len(b), "little")
def s20(b):
    v = int.from_bytes(b, "little") & 0xFFFFF
    return ((v << 4) & 0xFFFFFF).to_bytes(3, "little")
SPEC = {
    "U8": (1, 8, 1, lambda b: b), "S8": (1, 8, 1, lambda b: bytes([b[0] ^ 0x80])),
    "S16": (1, 16, 2, lambda b: b), "U16": (1, 16, 2, lambda b: flip(b, 15)),
    "S24_3": (1, 24, 3, lambda b: b), "S24": (1, 24, 4, lambda b: b[:3]),
    "U24": (1, 24, 4, lambda b: flip(b[:3], 23)), "S20": (1, 24, 4, s20),
    "S32": (1, 32, 4, lambda b: b), "U32": (1, 32, 4, lambda b: flip(b, 31)),
    "FLOAT": (3, 32, 4, lambda b: b), "FLOAT64": (3, 64, 8, lambda b: b),
    "MU_LAW": (7, 8, 1, lambda b: b), "A_LAW": (6, 8, 1, lambda b: b),
}
def chunks(path):
    d = open(path, "rb").read()
    assert d[:4] == b"RIFF" and d[8:12] == b"WAVE", path
    out, i = {}, 12
    while i + 8 <= len(d):
        cid, n = d[i:i + 4], struct.unpack("<I", d[i + 4:i + 8])[0]
        out.setdefault(cid, d[i + 8:i + 8 + n])
        i += 8 + n + (n & 1)
    return out
bad = 0
for f in formats:
    tag, bits, sb, conv = SPEC[f]
    db = sqlite3.connect("%s/%s.db" % (T, f))
    pcm = b"".join(r[0] for r in db.execute("SELECT data FROM pcm WHERE stream = 0 ORDER BY seq"))
    want = b"".join(conv(pcm[i:i + sb]) for i in range(0, len(pcm), sb))
    c = chunks("%s/%s.wav" % (T, f))
    fmt_tag, chans, rate = struct.unpack("<HHI", c[b"fmt "][:8])
    wbits = struct.unpack("<H", c[b"fmt "][14:16])[0]
    if fmt_tag == 0xFFFE:  # WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the tag
        fmt_tag = struct.unpack("<H", c[b"fmt "][24:26])[0]
    ok = (fmt_tag, chans, rate, wbits) == (tag, 2, 48000, bits) and c.get(b"data") == want
    if not ok:
        bad += 1
        print("FAIL %s: fmt %s ch %d rate %d bits %d; data %s (%d vs %d bytes)" % (
            f, fmt_tag, chans, rate, wbits, "equal" if c.get(b"data") == want else "differs",
            len(c.get(b"data", b"")), len(want)))
sys.exit(1 if bad else 0)
PY
echo "cli_export_formats: all formats exact"
