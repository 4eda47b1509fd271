#!/usr/bin/env python3
# cpio_list.py - independent newc reader for the guest tests: prints one line per entry,
# "name mode(octal) size nlink rdev_major:rdev_minor mtime sha256(data)[:16]", then "TRAILER"
# per archive; fails on a bad magic, misalignment, non-zero padding or trailing bytes.
import hashlib
import sys

data = open(sys.argv[1], "rb").read()
off = 0
while off < len(data):
    assert off % 4 == 0, f"header at {off} not 4-aligned"
    hdr = data[off:off + 110]
    assert hdr[:6] == b"070701", f"bad magic at {off}: {hdr[:6]!r}"
    f = [int(hdr[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    ino, mode, uid, gid, nlink, mtime, size, _, _, rmaj, rmin, namesize, check = f
    assert uid == 0 and gid == 0 and check == 0
    name_end = off + 110 + namesize
    name = data[off + 110:name_end - 1].decode()
    assert data[name_end - 1] == 0, "name not NUL-terminated"
    dstart = (name_end + 3) & ~3
    assert data[name_end:dstart] == b"\0" * (dstart - name_end), "name padding"
    dend = dstart + size
    assert dend <= len(data), "data past the end"
    body = data[dstart:dend]
    off = (dend + 3) & ~3
    assert data[dend:off] == b"\0" * (off - dend), "data padding"
    if name == "TRAILER!!!":
        print("TRAILER")
        continue
    print(f"{name} {mode:o} {size} {nlink} {rmaj}:{rmin} {mtime} "
          f"{hashlib.sha256(body).hexdigest()[:16]}")
assert off == len(data)
