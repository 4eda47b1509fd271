#!/usr/bin/env python3
# gen_corpus_snd.py - writes the seed corpora tests/fuzz/corpus/ctl/ and corpus/pcm/ for
# fuzz_ctl.c and fuzz_pcm.c (op encoding: snd_harness.h): a Linux-like session, then one
# input per known failure class (QEMU CVE-2024-7730, CVE-2026-3195, CVE-2026-3196, ids out
# of range, guest values used as shift counts, short and huge buffers, bad transitions).
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
# Header flags.
INSTANT, RICH, FAILSINK, DRVOK = 1, 2, 4, 8
# Codes.
JACK_INFO, JACK_REMAP, PCM_INFO, SET_PARAMS = 0, 1, 2, 3    # indexes into sh_codes[]
PREPARE, RELEASE, START, STOP = 0, 1, 2, 3                  # CMD op's `which`
S16, U8, FLOAT64 = 5, 4, 20
R48K, R44K = 7, 6
CHMAP_INFO, CTL_INFO_13, CODE_0, CODE_FFFF = 8, 9, 10, 11


def sid(v):
    """Stream id operand: small ids directly, anything else as a raw u32."""
    if v < 64:
        return struct.pack("<B", v)
    return struct.pack("<BI", 0xC0, v)


def raw(req, rlen=None, wlen=4):
    return struct.pack("<BHHB", 0, len(req) if rlen is None else rlen, wlen, len(req)) + req


def query(code, start, count, size, wlen, rlen=16, plausible=False):
    return struct.pack("<BBIIIHB", 1, code | (0x80 if plausible else 0), start, count, size,
                       wlen, rlen)


def params(s, buf=4096, per=1024, feat=0, ch=2, fmt=S16, rate=R48K, pad=0, rlen=24):
    return b"\x02" + sid(s) + struct.pack("<IIIBBBBB", buf, per, feat, ch, fmt, rate, pad, rlen)


def cmd(which, s): return b"\x03" + struct.pack("<B", which) + sid(s)
def remap(jack, assoc, seq, rlen=16): return struct.pack("<BBIIB", 4, jack, assoc, seq, rlen)


def tx(s, frames, extra=0, wlen=8, bad=0):
    return b"\x05" + sid(s) + struct.pack("<HBBB", frames, extra, wlen, bad)


def rx(s, frames, extra=0, rlen=4, bad=0):
    return b"\x06" + sid(s) + struct.pack("<HBBB", frames, extra, rlen, bad)


def event(rlen=0, wlen=8, bad=0): return struct.pack("<BBBB", 7, rlen, wlen, bad)
def adv(ns):
    """Clock step of about ns (mantissa of 28 bits, shift in the low 4 bits)."""
    sh = 0
    while ns >> sh >= 1 << 28:
        sh += 1
    return struct.pack("<BI", 8, (ns >> sh) << 4 | sh)
def reset(): return b"\x09"
def drvok(): return b"\x0a"
def jack(i, c): return struct.pack("<BBB", 11, i, c)
def cfg(off, ln): return struct.pack("<BIB", 12, off, ln)
def stats(s): return b"\x0d" + sid(s)
def queue(q): return struct.pack("<BH", 14, q)
def fail(s, mode): return struct.pack("<BBB", 15, s, mode)


def pcm_req(code, s): return struct.pack("<II", code, s)


PERIOD_NS = 1024 * 1000000000 // (4 * 48000)  # 1024 bytes of S16 stereo at 48 kHz

linux_probe = (query(JACK_INFO, 0, 1, 24, 28) + query(PCM_INFO, 0, 2, 32, 68) +
               query(CHMAP_INFO, 0, 4, 24, 100) + params(0) + cmd(PREPARE, 0) +
               params(1) + cmd(PREPARE, 1) + cmd(START, 0) + cmd(STOP, 0) +
               cmd(RELEASE, 0) + cmd(START, 1) + cmd(STOP, 1) + cmd(RELEASE, 1) + cfg(0, 12))

CTL = {
    "ok_linux_probe": bytes([DRVOK]) + linux_probe,
    "ok_rich_remap": bytes([DRVOK | RICH]) + remap(1, 7, 9) + remap(0, 1, 1) +
        query(JACK_INFO, 0, 2, 24, 52) + jack(1, 1) + jack(0, 0) + event() + event() +
        params(7, feat=1 << 4) + params(3, feat=1 << 0) + cmd(PREPARE, 7),
    # CVE-2026-3196: PCM_INFO whose count overflows the device's item table.
    "cve_2026_3196_pcm_info_huge_count": bytes([DRVOK]) +
        query(PCM_INFO, 0, 0xFFFFFFFF, 32, 68) + query(PCM_INFO, 1, 0xFFFFFFFF, 32, 0xFFFF),
    "info_count_wraps_start": bytes([0]) + query(PCM_INFO, 0xFFFFFFFF, 2, 32, 68) +
        query(JACK_INFO, 2, 0xFFFFFFFF, 24, 1000) + query(CHMAP_INFO, 0x80000000, 0x80000000, 24, 100),
    "info_size_huge": bytes([0]) + query(PCM_INFO, 0, 2, 0xFFFFFFFF, 68) +
        query(PCM_INFO, 0, 1, 0x80000001, 0xFFFF) + query(CHMAP_INFO, 0, 1, 4000, 4004, plausible=False),
    "info_size_small_and_zero": bytes([0]) + query(PCM_INFO, 0, 2, 8, 68) +
        query(JACK_INFO, 0, 0, 0, 4) + query(CHMAP_INFO, 0, 0, 24, 4),
    "info_response_too_short": bytes([0]) + query(PCM_INFO, 0, 2, 32, 67) +
        query(JACK_INFO, 0, 1, 24, 3) + query(CHMAP_INFO, 0, 4, 24, 0),
    "jack_id_out_of_range": bytes([DRVOK]) + query(JACK_INFO, 1, 1, 24, 28) +
        remap(1, 0, 0) + remap(255, 0, 0) +
        raw(struct.pack("<IIII", 2, 0xFFFFFFFF, 0, 0), wlen=4) + jack(3, 0) + jack(200, 1),
    "stream_id_out_of_range": bytes([0]) + params(2) + params(8) + params(0xFFFFFFFF) +
        cmd(PREPARE, 2) + cmd(START, 0x80000000) + cmd(STOP, 9) + cmd(RELEASE, 0xFFFFFFFF) +
        stats(2) + stats(0xFFFFFFFF),
    # Guest values that a naive device uses as shift counts (1 << format, 1 << rate).
    "shift_format_rate_32_and_up": bytes([0]) + params(0, fmt=32) + params(0, fmt=63) +
        params(0, fmt=64) + params(0, fmt=255) + params(0, rate=32) + params(0, rate=64) +
        params(0, rate=255) + params(0, rate=14) + params(0, fmt=25) + params(0, fmt=0),
    "shift_features_high_bits": bytes([RICH]) + params(0, feat=1 << 31) +
        params(0, feat=0xFFFFFFFF) + params(0, feat=1 << 5) + params(0, feat=1 << 1),
    "params_bad_sizes": bytes([0]) + params(0, buf=0) + params(0, per=0) +
        params(0, buf=4095, per=1024) + params(0, buf=0xFFFFFFFF, per=1) +
        params(0, buf=1 << 25, per=1 << 20) + params(0, ch=0) + params(0, ch=9) +
        params(0, ch=255) + params(0, pad=1) + params(0, per=4096, buf=4096) + cmd(PREPARE, 0),
    "short_requests": bytes([0]) + params(0, rlen=23) + params(0, rlen=4) +
        raw(b"", rlen=0) + raw(b"\x01\x01", rlen=2) + raw(pcm_req(0x102, 0), rlen=7) +
        raw(pcm_req(0x100, 0), rlen=15, wlen=100) + remap(0, 0, 0, rlen=15),
    "no_room_for_status": bytes([0]) + raw(pcm_req(0x102, 0), wlen=0) +
        raw(pcm_req(0x102, 0), wlen=3) + raw(pcm_req(0x102, 0), wlen=4095),
    "unknown_codes": bytes([0]) + raw(pcm_req(0, 0)) + raw(pcm_req(0x300, 0)) +
        raw(pcm_req(0xFFFFFFFF, 0)) + raw(pcm_req(0x1000, 0)) + raw(pcm_req(0x8000, 0)) +
        query(CTL_INFO_13, 0, 1, 24, 28) + query(CODE_0, 0, 0, 0, 4),
    "bad_transitions": bytes([0]) + cmd(START, 0) + cmd(STOP, 0) + cmd(PREPARE, 0) +
        cmd(RELEASE, 0) + params(0) + cmd(START, 0) + cmd(PREPARE, 0) + cmd(START, 0) +
        params(0) + cmd(PREPARE, 0) + cmd(START, 0) + cmd(STOP, 0) + cmd(STOP, 0) +
        params(0) + cmd(PREPARE, 0) + cmd(START, 0) + cmd(RELEASE, 0) + cmd(STOP, 0) +
        cmd(RELEASE, 0) + cmd(RELEASE, 0) + params(0) + cmd(RELEASE, 0) + cmd(START, 0),
    "reset_midway": bytes([DRVOK]) + params(0) + cmd(PREPARE, 0) + cmd(START, 0) + event() +
        reset() + cmd(STOP, 0) + cmd(START, 0) + drvok() + event() + jack(0, 0) + reset() +
        cmd(RELEASE, 0),
    "events_bad_buffers": bytes([DRVOK]) + event(bad=2 | 0) + event(rlen=4, bad=1) +
        event(bad=4) + struct.pack("<BBBB", 7, 0, 7, 2) + struct.pack("<BBBB", 7, 0, 255, 2) +
        jack(0, 0) + jack(0, 1) + event() + queue(0) + queue(4) + queue(0xFFFF),
    "event_fifo_overflow": bytes([DRVOK]) + b"".join(jack(0, i & 1) for i in range(140)) +
        event() + event(),
    "config_space_reads": bytes([0]) + cfg(0, 12) + cfg(8, 16) + cfg(0xFFFFFFF0, 32) +
        cfg(0xFFFFFFFF, 255) + cfg(16, 4),
}

setup_running = bytes([0, 2])   # flags, set-up: streams 0 and 1 RUNNING
PCM = {
    "ok_play_and_capture": setup_running + b"".join(tx(0, 256) for _ in range(4)) +
        b"".join(rx(1, 256) for _ in range(4)) + adv(PERIOD_NS * 2) + stats(0) +
        adv(PERIOD_NS * 3) + tx(0, 256) + adv(PERIOD_NS * 4) + cmd(STOP, 0) + cmd(STOP, 1) +
        cmd(RELEASE, 0) + cmd(RELEASE, 1),
    "ok_instant_clock": bytes([INSTANT, 3]) + b"".join(tx(0, 256) + rx(1, 256) for _ in range(8)) +
        cmd(STOP, 0) + cmd(START, 0) + tx(0, 100) + reset(),
    # CVE-2024-7730: an RX element whose writable size leaves no room for data (only the
    # status) or not even the status.
    "cve_2024_7730_rx_no_room_for_data": setup_running + rx(1, 0, 8, bad=0) +
        rx(1, 0, 0, bad=0) + rx(1, 0, 4, rlen=4, bad=1) + rx(1, 0, 7, rlen=4, bad=1) +
        rx(1, 0, 0, rlen=4, bad=1) + adv(PERIOD_NS) + rx(1, 1) + adv(PERIOD_NS),
    # CVE-2026-3195 (the incomplete fix): sizes just around the status and one frame, and an
    # RX chain with readable bytes after the header (a device-readable data area).
    "cve_2026_3195_rx_partial_frame": setup_running + rx(1, 0, 9) + rx(1, 0, 11) +
        rx(1, 0, 12, rlen=4, bad=1) + rx(1, 1, 3) + rx(1, 0, 3, rlen=8, bad=1) +
        rx(1, 2, 0, rlen=255, bad=1) + rx(1, 0, 0, rlen=3, bad=1) + adv(PERIOD_NS * 8),
    "tx_bad_sizes": setup_running + tx(0, 0) + tx(0, 0, 3) + tx(0, 1, 1) +
        tx(0, 0xFFFF, 255) + tx(0, 1, wlen=0, bad=1) + tx(0, 1, wlen=7, bad=1) +
        tx(0, 1, wlen=9, bad=1) + tx(0, 1, wlen=255, bad=1) + tx(0, 1, bad=2) +
        adv(PERIOD_NS * 100) + adv(1 << 27),
    "tx_header_truncated": setup_running + struct.pack("<BBHBBB", 5, 0, 0, 0, 8, 1) +
        b"\x05" + sid(0) + struct.pack("<HBBB", 0, 0, 8, 1),
    "wrong_direction_and_ids": setup_running + tx(1, 16) + rx(0, 16) + tx(2, 16) +
        rx(0xFFFFFFFF, 16) + tx(0x80000000, 4) + rx(9, 4) + adv(PERIOD_NS),
    "io_before_prepare_and_after_release": bytes([0, 0]) + tx(0, 16) + rx(1, 16) +
        params(0) + tx(0, 16) + cmd(PREPARE, 0) + tx(0, 16) + cmd(RELEASE, 0) + tx(0, 16) +
        adv(PERIOD_NS),
    "xrun_events_rich": bytes([RICH | DRVOK, 1]) + params(2, feat=1 << 4) + cmd(PREPARE, 2) +
        cmd(START, 2) + tx(2, 64) + adv(PERIOD_NS) + adv(PERIOD_NS) + params(3, feat=1 << 4) +
        cmd(PREPARE, 3) + cmd(START, 3) + rx(3, 64) + adv(PERIOD_NS * 2),
    "failing_sinks": bytes([FAILSINK, 0]) + params(0) + cmd(PREPARE, 0) + params(1) +
        cmd(PREPARE, 1) + fail(0, 2) + fail(1, 2) + cmd(PREPARE, 0) + cmd(PREPARE, 1) +
        cmd(START, 0) + cmd(START, 1) + tx(0, 256) + rx(1, 256) + adv(PERIOD_NS * 3) +
        fail(0, 0) + tx(0, 256) + adv(PERIOD_NS * 3),
    "stop_start_release_with_queue": setup_running + tx(0, 256) + tx(0, 256) + tx(0, 256) +
        adv(PERIOD_NS // 2) + cmd(STOP, 0) + adv(PERIOD_NS * 5) + cmd(START, 0) +
        adv(PERIOD_NS) + cmd(STOP, 0) + params(0) + cmd(RELEASE, 0) + rx(1, 256) +
        cmd(STOP, 1) + cmd(RELEASE, 1),
    "reset_with_queued_io": setup_running + tx(0, 256) + tx(0, 256) + rx(1, 256) +
        rx(1, 256) + adv(PERIOD_NS // 3) + reset() + tx(0, 4) + rx(1, 4) + drvok() +
        params(0) + cmd(PREPARE, 0) + tx(0, 256) + cmd(START, 0) + adv(PERIOD_NS),
    "odd_formats_rich": bytes([RICH, 0]) + params(0, fmt=FLOAT64, ch=8, buf=8192, per=2048) +
        cmd(PREPARE, 0) + cmd(START, 0) + tx(0, 512) + adv(PERIOD_NS * 4) +
        params(1, fmt=1, ch=1, rate=0, buf=100, per=50) + cmd(PREPARE, 1) + cmd(START, 1) +
        rx(1, 13, 1) + adv(PERIOD_NS * 40),
}


def write(name, seeds):
    out = os.path.join(HERE, "corpus", name)
    os.makedirs(out, exist_ok=True)
    for k, v in seeds.items():
        with open(os.path.join(out, k), "wb") as f:
            f.write(v)


if __name__ == "__main__":
    write("ctl", CTL)
    write("pcm", PCM)
