#!/usr/bin/env python3
"""audiotool.py - test helper for the guest end-to-end scripts: writes deterministic WAV
files in the device's formats and checks what a sink or a trace received, byte for byte.

  audiotool.py gen FORMAT RATE CHANNELS FRAMES OUT.wav   FORMAT: u8 s16 s24_3 s32 float
  audiotool.py expect-play SRC.wav SINK.wav [REPEAT]     SINK = (SRC + silence) x REPEAT
  audiotool.py trace-pcm SESSION.db SINK.wav             trace PCM in order == SINK data
  audiotool.py fnv SRC.wav FRAMES                        FNV-1a 32 of SRC's first FRAMES
"""
import sqlite3
import struct
import sys

FMT = {  # name: (format tag, bits, bytes per sample)
    "u8": (1, 8, 1), "s16": (1, 16, 2), "s24_3": (1, 24, 3), "s32": (1, 32, 4),
    "float": (3, 32, 4),
}


def gen(fmt, rate, ch, frames, out):
    tag, bits, nb = FMT[fmt]
    x = 0x12345678
    data = bytearray()
    for _ in range(frames * ch):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        v = (x >> 7) & 0xFFFFFF
        if fmt == "float":
            data += struct.pack("<f", ((v / float(1 << 24)) - 0.5) * 1.5)
        else:
            b = v.to_bytes(3, "little") + bytes([(x >> 3) & 0xFF])
            s = b[:nb]
            if all(c == 0 for c in s) or (fmt == "u8" and s[0] == 0x80):
                s = bytes([1] * nb)  # never a silent sample: silence marks the tail
            data += s
    extensible = ch > 2 or bits > 16
    fmt_chunk = struct.pack("<HHIIHH", 0xFFFE if extensible else tag, ch, rate,
                            rate * ch * nb, ch * nb, bits)
    if extensible:
        sub = struct.pack("<I", tag) + bytes.fromhex("00001000800000aa00389b71")
        fmt_chunk += struct.pack("<HHI", 22, bits, (1 << ch) - 1) + sub
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt_chunk)) + fmt_chunk
    riff += b"data" + struct.pack("<I", len(data)) + bytes(data)
    with open(out, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(riff)) + riff)


def wav_data(path):
    """(format tag, channels, rate, bits, data bytes) of a RIFF WAVE file."""
    b = open(path, "rb").read()
    if b[:4] != b"RIFF" or b[8:12] != b"WAVE":
        sys.exit(f"{path}: not a WAV file")
    pos, fmt, data = 12, None, None
    while pos + 8 <= len(b):
        cid, size = b[pos:pos + 4], struct.unpack("<I", b[pos + 4:pos + 8])[0]
        body = b[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            tag, ch, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
            if tag == 0xFFFE:
                tag = struct.unpack("<I", body[24:28])[0]
            fmt = (tag, ch, rate, bits)
        elif cid == b"data":
            data = body
        pos += 8 + size + (size & 1)
    if fmt is None or data is None:
        sys.exit(f"{path}: no fmt or data chunk")
    return fmt + (data,)


def silence_byte(tag, bits):
    return 0x80 if tag == 1 and bits == 8 else 0


def expect_play(src, sink, repeat=1):
    s, k = wav_data(src), wav_data(sink)
    if s[:4] != k[:4]:
        sys.exit(f"format differs: source {s[:4]} sink {k[:4]}")
    sil = silence_byte(s[0], s[3])
    want, got, pos = s[4], k[4], 0
    for i in range(repeat):
        if got[pos:pos + len(want)] != want:
            n = next((j for j in range(min(len(want), len(got) - pos))
                      if got[pos + j] != want[j]), min(len(want), len(got) - pos))
            sys.exit(f"play {i + 1}: sink differs from the source at data byte {pos + n} "
                     f"(source byte {n} of {len(want)}; sink has {len(got)})")
        pos += len(want)
        nxt = len(got) if i == repeat - 1 else got.find(want[:64], pos)
        if nxt < 0:
            sys.exit(f"play {i + 2}: not found in the sink")
        tail = got[pos:nxt]
        if any(c != sil for c in tail):
            j = next(j for j, c in enumerate(tail) if c != sil)
            sys.exit(f"play {i + 1}: non-silent byte {tail[j]:#x} at sink data byte {pos + j} "
                     "after the source's samples (stale buffer content?)")
        pos = nxt
    print(f"sink == source x{repeat} + silence ({len(got)} bytes)")


def trace_pcm(db, sink):
    k = wav_data(sink)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    blobs = b"".join(r[0] for r in con.execute(
        "SELECT data FROM pcm WHERE direction = 0 ORDER BY stream, seq"))
    if blobs != k[4]:
        n = next((j for j in range(min(len(blobs), len(k[4]))) if blobs[j] != k[4][j]),
                 min(len(blobs), len(k[4])))
        sys.exit(f"trace PCM ({len(blobs)} bytes) differs from the sink ({len(k[4])} bytes) "
                 f"at byte {n}")
    print(f"trace PCM == sink ({len(blobs)} bytes)")


def fnv(src, frames):
    s = wav_data(src)
    nb = s[1] * (s[3] // 8)
    h = 0x811C9DC5
    for c in s[4][:frames * nb]:
        h = ((h ^ c) * 0x01000193) & 0xFFFFFFFF
    print(f"{h:08x}")


if __name__ == "__main__":
    a = sys.argv[1:]
    if a and a[0] == "gen" and len(a) == 6:
        gen(a[1], int(a[2]), int(a[3]), int(a[4]), a[5])
    elif a and a[0] == "expect-play" and len(a) in (3, 4):
        expect_play(a[1], a[2], int(a[3]) if len(a) == 4 else 1)
    elif a and a[0] == "trace-pcm" and len(a) == 3:
        trace_pcm(a[1], a[2])
    elif a and a[0] == "fnv" and len(a) == 3:
        fnv(a[1], int(a[2]))
    else:
        sys.exit(__doc__)
