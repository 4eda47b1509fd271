#!/usr/bin/env python3
# gen_corpus_vmmio.py - writes the seed corpus tests/fuzz/corpus/vmmio/ for fuzz_vmmio.c: one
# input per malformed-input class of the facts sheet section 5, plus well-formed sessions.
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "vmmio")
V1, IND, EVT = 1 << 32, 1 << 28, 1 << 29
NEXT, WRITE, INDIRECT = 1, 2, 4
DATA = 0x8000  # RAM offset of the data area (rings occupy 0..0x8000)


def w32(off, val): return struct.pack("<BHI", 0x00, off, val)
def rd(off, size): return struct.pack("<BHB", 0x01, off, size)
def wr(off, size, val): return struct.pack("<BHBI", 0x02, off, size, val)
def mem(off, data): return struct.pack("<BHB", 0x03, off, len(data)) + data
def desc(q, idx, addr, ln, flags=0, nxt=0, rel=1):
    return struct.pack("<BBHQIHHB", 0x04, q, idx, addr, ln, flags, nxt, rel)
def setup(feat=V1, ok=1, nums=(8, 8, 16, 16)):
    return struct.pack("<BQB4H", 0x05, feat, ok, *nums)
def avail(q, head): return struct.pack("<BBH", 0x06, q, head)
def aidx(q, idx): return struct.pack("<BBH", 0x07, q, idx)
def kick(q): return struct.pack("<BI", 0x08, q)
def done(n, ln): return struct.pack("<BBI", 0x09, n, ln)
def ack(): return b"\x0a"
def flags(q, fl, ue): return struct.pack("<BBHH", 0x0B, q, fl, ue)
def reset(): return b"\x0c"
def nrst(reason): return struct.pack("<BB", 0x0D, reason)
def poll(q): return struct.pack("<BB", 0x0E, q)
def descat(off, addr, ln, flags=0, nxt=0, rel=1):
    return struct.pack("<BHQIHHB", 0x0F, off, addr, ln, flags, nxt, rel)


def good_chain(q=0, head=0):
    return (mem(DATA, b"\x01\x01\x00\x00payload!") +
            desc(q, head, DATA, 4, NEXT, head + 1) + desc(q, head + 1, DATA + 4, 8, NEXT, head + 2) +
            desc(q, head + 2, DATA + 0x100, 4, WRITE | NEXT, head + 3) +
            desc(q, head + 3, DATA + 0x104, 20, WRITE) + avail(q, head))


def indirect(q, tbl_len, entry_flags=0, ptr_flags=INDIRECT, negotiated=True):
    feat = V1 | (IND if negotiated else 0)
    return (setup(feat) + descat(DATA + 0x200, DATA, 4, NEXT | entry_flags, 1) +
            descat(DATA + 0x210, DATA + 0x100, 8, WRITE) +
            desc(q, 0, DATA + 0x200, tbl_len, ptr_flags) + avail(q, 0) + kick(q) + ack())


SEEDS = {
    "ok_probe_roundtrip": b"\x00" + setup() + good_chain(0) + kick(0) + ack() +
        good_chain(2) + kick(2) + done(1, 12) + ack() + rd(0x100, 4) + rd(0x70, 4),
    "ok_indirect": b"\x00" + indirect(2, 32) + done(1, 8) + ack(),
    "ok_event_idx": b"\x00" + setup(V1 | EVT) + flags(2, 0, 1) + good_chain(2) + kick(2) +
        done(1, 4) + good_chain(2, 4) + kick(2) + done(1, 4) + ack(),
    "ok_no_interrupt": b"\x00" + setup() + flags(2, 1, 0) + good_chain(2) + kick(2) + done(1, 4),
    "ok_eventq_without_kick": b"\x00" + setup(ok=0) + desc(1, 0, DATA, 8, WRITE) + avail(1, 0) +
        w32(0x70, 0x0f) + done(1, 8) + ack(),
    "ok_zero_length_desc": b"\x00" + setup() + desc(2, 0, 0xdead, 0, NEXT, 1, rel=0) +
        desc(2, 1, DATA, 8, WRITE) + avail(2, 0) + kick(2) + done(1, 8),
    "malformed_readable_after_writable": b"\x00" + setup() + desc(2, 0, DATA, 4, WRITE | NEXT, 1) +
        desc(2, 1, DATA + 8, 4) + avail(2, 0) + kick(2) + done(1, 4) + ack(),
    "fatal_descriptor_loop": b"\x00" + setup() + desc(0, 0, DATA, 4, NEXT, 1) +
        desc(0, 1, DATA, 4, NEXT, 0) + avail(0, 0) + kick(0) + ack(),
    "fatal_self_loop": b"\x00" + setup() + desc(2, 3, DATA, 4, NEXT, 3) + avail(2, 3) + kick(2),
    "fatal_next_out_of_range": b"\x00" + setup() + desc(0, 0, DATA, 4, NEXT, 8) + avail(0, 0) +
        kick(0),
    "fatal_head_out_of_range": b"\x00" + setup() + avail(0, 0xffff) + kick(0),
    "fatal_zero_length_huge": b"\x00" + setup() + desc(0, 0, DATA, 0xffffffff) + avail(0, 0) + kick(0),
    "fatal_avail_jump": b"\x00" + setup() + aidx(0, 9) + kick(0),
    "fatal_avail_jump_backwards": b"\x00" + setup() + aidx(2, 0x8000) + kick(2),
    "fatal_indirect_not_negotiated": b"\x00" + indirect(2, 32, negotiated=False),
    "fatal_indirect_nested": b"\x00" + indirect(2, 32, entry_flags=INDIRECT),
    "fatal_indirect_with_next": b"\x00" + indirect(2, 32, ptr_flags=INDIRECT | NEXT),
    "fatal_indirect_len0": b"\x00" + indirect(2, 0),
    "fatal_indirect_len_not_16": b"\x00" + indirect(2, 24),
    "fatal_indirect_past_ram": b"\x00" + setup(V1 | IND) + desc(2, 0, 0xfff0, 64, INDIRECT) +
        avail(2, 0) + kick(2),
    "fatal_indirect_next_past_table": b"\x00" + setup(V1 | IND) +
        descat(DATA + 0x200, DATA, 4, NEXT, 2) + descat(DATA + 0x210, DATA, 4) +
        desc(2, 0, DATA + 0x200, 32, INDIRECT) + avail(2, 0) + kick(2),
    "fatal_addr_past_ram": b"\x00" + setup() + desc(0, 0, 0xfffe, 4) + avail(0, 0) + kick(0),
    "fatal_addr_below_ram": b"\x00" + setup() + desc(0, 0, 0x1000, 4, rel=0) + avail(0, 0) + kick(0),
    # RAM at 0xffff0000..2^32: a buffer whose end wraps 2^32 in 32-bit math.
    "fatal_addr_wrap_2_32": b"\x01" + setup() + desc(0, 0, 0xffffff00, 0x200, WRITE, rel=0) +
        avail(0, 0) + kick(0),
    # RAM at 0: the wrapped end would lie inside RAM.
    "fatal_addr_wrap_2_32_low_ram": b"\x02" + setup() + desc(0, 0, 0xffffff00, 0x200, rel=0) +
        avail(0, 0) + kick(0),
    "fatal_addr_wrap_2_64": b"\x00" + setup() + desc(0, 0, 0xfffffffffffffff8, 16, rel=0) +
        avail(0, 0) + kick(0),
    "fatal_chain_2_32_bytes": b"\x00" + setup() + desc(2, 0, DATA, 0x80000000, NEXT, 1) +
        desc(2, 1, DATA, 0x80000000, WRITE) + avail(2, 0) + kick(2),
    "fatal_queue_size_bad": b"\x00" + setup(nums=(3, 0, 512, 16)) + kick(3) + ack(),
    "fatal_ring_misaligned": b"\x00" + setup(ok=0) + w32(0x70, 0) + w32(0x70, 1) + w32(0x70, 3) +
        w32(0x24, 1) + w32(0x20, 1) + w32(0x70, 0xb) + w32(0x30, 0) + w32(0x38, 8) +
        w32(0x80, 0x80000008) + w32(0x90, 0x80001001) + w32(0xa0, 0x80001402) + w32(0x44, 1) +
        w32(0x70, 0xf) + ack(),
    "fatal_device_needs_reset": b"\x00" + setup() + good_chain(2) + kick(2) + nrst(5) +
        done(1, 4) + kick(2) + ack() + reset() + setup() + good_chain(2) + kick(2),
    "regs_bad_accesses": b"\x00" + rd(0x0, 1) + rd(0x2, 4) + rd(0x30, 4) + rd(0xf0, 4) +
        rd(0x101, 2) + rd(0x100, 8) + wr(0x70, 1, 0) + w32(0x0, 1) + w32(0x100, 5) +
        w32(0x28, 4096) + w32(0xc0, 1) + setup() + w32(0x38, 4) + w32(0x20, 0) + rd(0x1fc, 4),
    "regs_features_refused": b"\x00" + setup(IND) + good_chain(0) + kick(0) +
        setup(V1 | (1 << 40)) + kick(0) + setup(V1) + kick(0),
    "reset_with_held_chains": b"\x00" + setup() + good_chain(2) + kick(2) + good_chain(3, 8) +
        kick(3) + reset() + done(2, 4) + setup() + poll(2) + kick(1),
    "notify_before_driver_ok": b"\x00" + setup(ok=0) + good_chain(0) + kick(0) + kick(9) +
        w32(0x70, 0x0f) + ack(),
    "queue_disable_reenable": b"\x00" + setup() + good_chain(2) + kick(2) + w32(0x30, 2) +
        w32(0x44, 0) + done(1, 4) + w32(0x44, 1) + kick(2),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds to {OUT}")
