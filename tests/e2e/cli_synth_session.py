#!/usr/bin/env python3
# cli_synth_session.py - writes a synthetic vsndtrace session (schemas/trace_v1.sql) with known
# timing, for the stats/info/export/plot tests and the stats benchmark. Prints the truth as JSON.
#
# Scenario (one output stream 0, stereo 48 kHz S16 or --format, period P frames, 8 buffered):
#  - control: PCM_START on stream 0 before PREPARE (answered BAD_MSG: one invalid request),
#    SET_PARAMS, PREPARE, 8 TX messages pre-buffered, START (OK);
#  - the device completes N periods; completion k (k = 1..N) at
#        T_k = start + round(k * period_ns / (1 + drift_ppm * 1e-6)) + jitter_k
#    with jitter_k = ((7 * k * k + 13 * k) % 101 - 50) * jitter_step_ns (no accumulation);
#  - after each completion the guest re-queues one TX message 50 us later, except after
#    completions stall_k .. stall_k+2: those three come together with the one after
#    completion stall_k+3 (one stall of about four periods, no underrun: 8 are held);
#  - one sink underrun reported at T_{underrun_k} + 3 ms;
#  - STOP 1 ms after T_N, RELEASE 5 ms later flushes the 8 held messages (status OK);
#  - guest ticks at timebase_hz with +guest_ppm drift on every event;
#  - PCM of frame f (global index): left = (f * 37) % 65536 - 32768, right = 32767 - (f % 65536)
#    (as signed 16-bit), read when a message starts playing (at T_{k-1}).
import argparse
import json
import sqlite3
import struct
import sys

OUT, IN = 0, 1
S16, R48000 = 5, 7
# virtio format index and bytes per sample
FORMATS = {"S8": (3, 1), "U8": (4, 1), "S16": (5, 2), "U16": (6, 2), "S24_3": (11, 3),
           "S24": (15, 4), "U24": (16, 4), "S32": (17, 4), "U32": (18, 4), "FLOAT": (19, 4),
           "S20": (13, 4), "MU_LAW": (1, 1), "A_LAW": (2, 1), "FLOAT64": (20, 8)}
R_PCM_SET_PARAMS, R_PCM_PREPARE, R_PCM_RELEASE, R_PCM_START, R_PCM_STOP = 257, 258, 259, 260, 261
S_OK, S_BAD_MSG = 0x8000, 0x8001


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("--schema", default="schemas/trace_v1.sql")
    ap.add_argument("--periods", type=int, default=1000)
    ap.add_argument("--period-frames", type=int, default=480)
    ap.add_argument("--drift-ppm", type=float, default=100.0)
    ap.add_argument("--jitter-step-ns", type=int, default=1000)
    ap.add_argument("--stall-k", type=int, default=400)
    ap.add_argument("--underrun-k", type=int, default=700)
    ap.add_argument("--guest-ppm", type=float, default=20.0)
    ap.add_argument("--incomplete", action="store_true")
    ap.add_argument("--format", default="S16", choices=sorted(FORMATS),
                    help="sample format; other than S16 the PCM is a byte pattern")
    a = ap.parse_args()

    fmt, sbytes = FORMATS[a.format]
    rate, ch, fb = 48000, 2, 2 * sbytes
    P = a.period_frames
    nbuf = 8
    period_ns = P * 1e9 / rate
    t0 = 1_000_000_000
    timebase = 10_000_000

    def ticks(t):
        return int((t - t0) * timebase * (1 + a.guest_ppm * 1e-6) / 1e9) + 1

    ev = []  # [t, order, table, dict]; ids assigned after sorting by (t, order)

    def add(t, table, **kw):
        e = [t, len(ev), table, kw, None]
        ev.append(e)
        return e

    def control(tdeq, code, target, status, lat=10_000):
        c = add(tdeq, "chain", queue=0, head=0, seq=len(ev), rlen=24, wlen=4, malformed=0,
                ndescs=2)
        req = struct.pack("<II", code, target) + bytes(16)
        add(tdeq + 1000, "chain_io", chain=c, dir=0, off=0, req_len=len(req), len=len(req),
            data=req, pcm=None)
        add(tdeq + lat - 1000, "chain_io", chain=c, dir=1, off=0, req_len=4, len=4,
            data=struct.pack("<I", status), pcm=None)
        add(tdeq + lat, "chain_end", chain=c, outcome=0, used_len=4, status=status,
            latency_bytes=None)
        add(tdeq + lat, "control", chain=c, code=code, target=target, count=None, request=req,
            response=struct.pack("<I", status), status=status, used_len=4, t_dequeued_ns=tdeq,
            t_completed_ns=tdeq + lat, discarded=0)
        return c

    def pcm_bytes(first_frame):
        if a.format != "S16":
            return bytes(((first_frame * fb + i) * 37 // 3) & 0xff for i in range(P * fb))
        out = bytearray()
        for f in range(first_frame, first_frame + P):
            left = (f * 37) % 65536 - 32768
            right = 32767 - (f % 65536)
            if right < -32768:
                right += 65536
            out += struct.pack("<hh", left, right)
        return bytes(out)

    tx_seq = [0]

    def tx_arrive(t):
        tx_seq[0] += 1
        c = add(t, "chain", queue=2, head=tx_seq[0] % 256, seq=100000 + tx_seq[0],
                rlen=4 + P * fb, wlen=8, malformed=0, ndescs=3)
        add(t + 500, "chain_io", chain=c, dir=0, off=0, req_len=4, len=4,
            data=struct.pack("<I", 0), pcm=None)
        return c

    # -- setup --
    control(t0 + 500_000, R_PCM_START, 0, S_BAD_MSG)
    sp = control(t0 + 1_000_000, R_PCM_SET_PARAMS, 0, S_OK)
    add(t0 + 1_010_000, "pcm_params", chain=sp, stream=0, buffer_bytes=nbuf * P * fb,
        period_bytes=P * fb, features=0, channels=ch, format=fmt, rate=R48000,
        rate_hz=rate, frame_bytes=fb)
    control(t0 + 2_000_000, R_PCM_PREPARE, 0, S_OK)
    add(t0 + 2_005_000, "sink_event", stream=0, kind=1, rc=0, duration_ns=1000, direction=OUT,
        format=fmt, channels=ch, rate=R48000, rate_hz=rate, frame_bytes=fb,
        period_bytes=P * fb, buffer_bytes=nbuf * P * fb)
    queue = [tx_arrive(t0 + 3_000_000 + i * 10_000) for i in range(nbuf)]
    start_deq = t0 + 5_000_000
    control(start_deq, R_PCM_START, 0, S_OK)
    start = start_deq + 10_000  # RUNNING from the START reply

    N = a.periods
    T = [start]
    for k in range(1, N + 1):
        jit = ((7 * k * k + 13 * k) % 101 - 50) * a.jitter_step_ns
        T.append(start + round(k * period_ns / (1 + a.drift_ppm * 1e-6)) + jit)

    truth_arrivals = []
    pending_requeue = 0
    frame = 0
    completions = []
    for k in range(1, N + 1):
        m = queue.pop(0)
        # play: PCM read at T_{k-1} (+ 2 us), sink write right after
        tp = T[k - 1] + 2_000
        data = pcm_bytes(frame)
        io = add(tp, "chain_io", chain=m, dir=0, off=4, req_len=P * fb, len=P * fb,
                 data=b"", pcm="self")
        add(tp, "pcm", chain=m, stream=0, direction=OUT, seq=k - 1, stream_offset=frame * fb,
            chain_off=4, bytes=P * fb, frames=P, data=data, io=io)
        add(tp + 1_000, "sink_event", stream=0, kind=2, rc=0, bytes=P * fb, duration_ns=3000,
            stream_offset=frame * fb, data=None)
        frame += P
        add(T[k] - 1_000, "chain_io", chain=m, dir=1, off=0, req_len=8, len=8,
            data=struct.pack("<II", S_OK, 0), pcm=None)
        add(T[k], "chain_end", chain=m, outcome=0, used_len=8, status=S_OK, latency_bytes=0)
        completions.append((k, T[k], m))
        if a.stall_k <= k <= a.stall_k + 2:
            pending_requeue += 1
            continue
        for j in range(pending_requeue + 1):
            t = T[k] + 50_000 + j * 1_000
            queue.append(tx_arrive(t))
            truth_arrivals.append(t)
        pending_requeue = 0
        if k == a.underrun_k:
            add(T[k] + 3_000_000, "sink_event", stream=0, kind=5, rc=-32,
                msg="underrun: sink starved")

    stop_deq = T[N] + 1_000_000
    control(stop_deq, R_PCM_STOP, 0, S_OK)
    rel_deq = stop_deq + 5_000_000
    for i, m in enumerate(queue):  # RELEASE flushes the held messages first
        add(rel_deq + 1_000 + i * 100, "chain_end", chain=m, outcome=0, used_len=8,
            status=S_OK, latency_bytes=0)
    control(rel_deq, R_PCM_RELEASE, 0, S_OK, lat=20_000)
    add(rel_deq + 30_000, "sink_event", stream=0, kind=4, duration_ns=1000)
    add(rel_deq + 40_000, "mark", text="scenario done")

    # -- assign ids in time order and write --
    ev.sort(key=lambda e: (e[0], e[1]))
    nid = 0
    for e in ev:
        if e[2] in ("control", "pcm_params", "pcm"):
            continue
        nid += 1
        e[4] = nid
    db = sqlite3.connect(a.db)
    db.executescript(open(a.schema).read())
    cur = db.cursor()
    rows = {}
    for e in ev:
        t, _, table, kw, eid = e
        r = dict(kw)
        for key in ("chain",):
            if key in r and isinstance(r[key], list):
                r[key] = r[key][4]
        if table == "pcm":
            r["id"] = r.pop("io")[4]
            r["t_ns"], r["ticks"] = t, ticks(t)
        elif table == "chain_io" and r.get("pcm") == "self":
            r["pcm"] = eid
        if table in ("control", "pcm_params"):
            if table == "control":
                r["ticks_dequeued"] = ticks(r["t_dequeued_ns"])
                r["ticks_completed"] = ticks(r["t_completed_ns"])
            else:
                r["t_ns"] = t
        elif table != "pcm":
            r["id"], r["t_ns"], r["ticks"] = eid, t, ticks(t)
        rows.setdefault(table, []).append(r)
    for table, rs in rows.items():
        keys = sorted({k for r in rs for k in r})
        cur.executemany(
            "INSERT INTO %s (%s) VALUES (%s)" % (table, ",".join(keys), ",".join("?" * len(keys))),
            [tuple(r.get(k) for k in keys) for r in rs])
    t_last = max(e[0] for e in ev)
    cur.execute(
        "INSERT INTO session (id, tool_version, schema_version, start_wall_ns, start_wall,"
        " end_wall_ns, start_ns, start_ticks, host, timebase_hz, clean_end, events, bytes,"
        " producer_waits, producer_wait_ns, scenario, sink_spec)"
        " VALUES (1, 'synthetic 1', 1, 1700000000000000000, '2023-11-14T22:13:20Z', ?, ?, 1,"
        " 'testhost', ?, ?, ?, ?, 3, 12345, 'synthetic', 'null')",
        (None if a.incomplete else 1700000010000000000, t0, timebase,
         0 if a.incomplete else 1, nid, 0))
    for sid in (0, 1):
        cur.execute("INSERT INTO config_stream (stream_id, hda_fn_nid, features, formats, rates,"
                    " direction, channels_min, channels_max) VALUES (?, 0, 0, ?, ?, ?, 1, 2)",
                    (sid, 1 << fmt, 1 << R48000, sid))
    db.commit()
    db.close()

    # -- truth --
    intervals = [T[k] - T[k - 1] for k in range(2, N + 1)]
    s = sorted(intervals)

    def nr(p):
        import math
        return s[max(1, math.ceil(p * len(s) / 100)) - 1]

    arr = [start] + [x for x in truth_arrivals if x <= stop_deq]
    stalls = []
    for i in range(1, len(arr)):
        if arr[i] - arr[i - 1] > 2 * period_ns:
            stalls.append((arr[i - 1], arr[i]))
    if stop_deq - arr[-1] > 2 * period_ns:
        stalls.append((arr[-1], stop_deq))
    after = []
    for st, _ in stalls:
        lim = st + 2 * period_ns
        last = max((c for c in completions if c[1] <= lim), key=lambda c: c[1])
        after.append("TX chain %d completed (stream 0)" % last[2][4])
    truth = {
        "period_ns": period_ns, "periods": N, "frames": N * P,
        "p50": nr(50), "p95": nr(95), "p99": nr(99), "max": s[-1], "min": s[0],
        "mean": sum(intervals) / len(intervals),
        "stalls": [{"start_ns": a_, "end_ns": b_, "after": x} for (a_, b_), x in zip(stalls, after)],
        "underrun_t_ns": T[a.underrun_k] + 3_000_000 if a.underrun_k <= N else None,
        "t_first_ns": min(e[0] for e in ev), "t_last_ns": t_last,
        "start_ns": start, "stop_deq_ns": stop_deq, "events": nid,
        "wall_s": (T[N] - start) / 1e9, "nominal_s": N * P / rate,
        "drift_ppm": a.drift_ppm, "guest_ppm": a.guest_ppm,
        "pcm_frames": frame, "format": a.format, "frame_bytes": fb,
    }
    json.dump(truth, sys.stdout)
    print()


if __name__ == "__main__":
    main()
