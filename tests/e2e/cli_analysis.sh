#!/usr/bin/env bash
# cli_analysis.sh - end to end: `vsndtrace stats/info/export/plot` on a synthetic session with
# known timing (tests/e2e/cli_synth_session.py): exact figures, documented keys, valid files.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
V=$BUILD/vsndtrace
[ -x "$V" ] || { echo "cli_analysis: $V not built"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

python3 tests/e2e/cli_synth_session.py "$T/s.db" >"$T/truth.json"
"$V" stats "$T/s.db" >"$T/stats.txt"
"$V" stats "$T/s.db" --json >"$T/stats.json"
"$V" stats "$T/s.db" --stream 0 --json >"$T/stats0.json"
"$V" stats "$T/s.db" --csv >"$T/stats.csv"
"$V" info "$T/s.db" >"$T/info.txt"
"$V" export "$T/s.db" --wav "$T/out.wav" --chrome "$T/trace.json" 2>"$T/export.log"
"$V" plot "$T/s.db" -o "$T/plot.png" 2>/dev/null
"$V" plot "$T/s.db" --stream 0 -o "$T/plot.svg" 2>/dev/null

# an incomplete session is analysed too, and says so
python3 tests/e2e/cli_synth_session.py --incomplete --periods 50 --stall-k 1000 \
	--underrun-k 1000 "$T/inc.db" >/dev/null
"$V" stats "$T/inc.db" --json >"$T/inc.json"

# a missing gnuplot is a clear error with status 2
set +e
VSNDTRACE_GNUPLOT=/nonexistent/gnuplot "$V" plot "$T/s.db" -o "$T/x.png" 2>"$T/nognuplot.log"
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "plot without gnuplot: exit $rc, want 2"; exit 1; }
grep -q "gnuplot not found" "$T/nognuplot.log" || { cat "$T/nognuplot.log"; exit 1; }
[ ! -e "$T/x.png" ] || { echo "plot without gnuplot left a file"; exit 1; }

python3 - "$T" <<'EOF'
import json, math, re, sqlite3, struct, sys, wave
T = sys.argv[1]
truth = json.load(open(T + "/truth.json"))
st = json.load(open(T + "/stats.json"))
fails = []
def check(cond, msg):
    if not cond:
        fails.append(msg)

# --- every documented key is present -----------------------------------------------------
doc = open("docs/stats-json.md").read()
doc = doc[doc.index("## Keys"):doc.index("## CSV")]
keys = re.findall(r"^\| `([a-z_.\[\]0-9]+)` \|", doc, re.M)
check(len(keys) > 60, "too few documented keys: %d" % len(keys))
def has(obj, path):
    parts = path.replace("[]", ".[]").split(".")
    objs = [obj]
    for p in parts:
        nxt = []
        for o in objs:
            if p == "[]":
                if not isinstance(o, list) or not o:
                    return False
                nxt.extend(o)
            else:
                if not isinstance(o, dict) or p not in o:
                    return False
                nxt.append(o[p])
        objs = nxt
    return True
for k in keys:
    check(has(st, k), "documented key missing from --json: " + k)
summary = ["count", "min", "mean", "p50", "p95", "p99", "max", "stddev"]
for k in ("intervals_ns", "latency_ns"):
    for s in summary:
        check(s in st["streams"][0][k], "summary key %s.%s" % (k, s))

# --- the known timing --------------------------------------------------------------------
check(st["format"] == "vsndtrace-stats/1", "format")
check(len(st["streams"]) == 1, "one used stream, got %d" % len(st["streams"]))
s = st["streams"][0]
check(s["stream_id"] == 0 and s["direction"] == "output" and s["format"] == "S16", "params")
check(s["rate_hz"] == 48000 and s["channels"] == 2 and s["period_bytes"] == 1920
      and s["buffer_bytes"] == 15360, "params sizes")
iv = s["intervals_ns"]
for k in ("p50", "p95", "p99", "max", "min"):
    check(iv[k] == truth[k], "%s: %s want %s" % (k, iv[k], truth[k]))
check(iv["count"] == truth["periods"] - 1, "interval count")
check(abs(iv["mean"] - truth["mean"]) < 1e-3, "mean %s want %s" % (iv["mean"], truth["mean"]))
check(abs(s["drift_ppm"] - truth["drift_ppm"]) <= 5, "drift %s" % s["drift_ppm"])
check(s["frames"] == truth["frames"], "frames")
check(abs(s["nominal_s"] - truth["nominal_s"]) < 1e-9, "nominal_s")
check(abs(s["wall_s"] - truth["wall_s"]) < 1e-9, "wall_s %s want %s" % (s["wall_s"], truth["wall_s"]))
check(s["stall_count"] == 1 and len(truth["stalls"]) == 1, "one stall: %s" % s["stalls"])
if s["stalls"] and truth["stalls"]:
    a, b = s["stalls"][0], truth["stalls"][0]
    check(a["start_ns"] == b["start_ns"] and a["end_ns"] == b["end_ns"], "stall time %s %s" % (a, b))
    check(a["after"] == b["after"], "stall after %r want %r" % (a["after"], b["after"]))
check(s["underrun_count"] == 1 and s["xrun_count"] == 0, "underrun count")
u = [e for e in s["sink_events"] if e["kind"] == "underrun"]
check(len(u) == 1 and u[0]["t_ns"] == truth["underrun_t_ns"], "underrun time")
check(s["prebuffered_at_start"] == [8], "prebuffered %s" % s["prebuffered_at_start"])
check(s["runs"] == [{"start_ns": truth["start_ns"], "end_ns": truth["stop_deq_ns"]}], "runs")
check(st["control"]["invalid_requests"] == 1, "invalid requests")
inv = st["control"]["invalid"]
check(len(inv) == 1 and inv[0]["name"] == "PCM_START" and inv[0]["status_name"] == "BAD_MSG"
      and inv[0]["t_ns"] == truth["t_first_ns"], "invalid list %s" % inv)
byname = {c["name"]: c for c in st["control"]["by_code"]}
check(byname["PCM_START"]["count"] == 2 and byname["PCM_START"]["bad_msg"] == 1, "START counts")
check(byname["PCM_RELEASE"]["latency_ns"]["p50"] == 20000, "RELEASE latency")
check(st["recorder"]["producer_waits"] == 3 and st["recorder"]["complete"] is True, "recorder")
check(st["recorder"]["events"] == truth["events"], "events")
check(abs(st["guest_time"]["drift_ppm"] - truth["guest_ppm"]) < 1, "guest drift")
check(st["session"]["first_t_ns"] == truth["t_first_ns"], "first_t_ns")

s0 = json.load(open(T + "/stats0.json"))
check(s0["streams"][0]["intervals_ns"] == iv, "--stream 0 gives the same stream figures")

inc = json.load(open(T + "/inc.json"))
check(inc["session"]["complete"] is False and inc["recorder"]["complete"] is False, "incomplete")
check(inc["recorder"]["events"] > 0, "incomplete: events counted from rows")

# --- CSV ---------------------------------------------------------------------------------
rows = open(T + "/stats.csv").read().splitlines()
check(rows[0] == "stream,param_set,seq,chain,t_ns,interval_ns,fill,frames,latency_ns",
      "csv header")
body = [r.split(",") for r in rows[1:]]
check(len(body) == truth["periods"], "csv rows %d" % len(body))
check(all(r[0] == "0" and r[1] == "0" for r in body), "csv stream and set")
check([int(r[2]) for r in body] == list(range(len(body))), "csv seq")
ivs = sorted(int(r[5]) for r in body if r[5] != "")
check(len(ivs) == truth["periods"] - 1 and ivs[-1] == truth["max"], "csv intervals")
check(all(int(body[i][4]) < int(body[i + 1][4]) for i in range(len(body) - 1)), "csv time order")
check(int(body[-1][7]) == truth["frames"], "csv cumulative frames")

# --- WAV equals the recorded PCM ---------------------------------------------------------
db = sqlite3.connect(T + "/s.db")
pcm = b"".join(r[0] for r in db.execute("SELECT data FROM pcm WHERE stream = 0 ORDER BY seq"))
w = wave.open(T + "/out.wav")
check(w.getnchannels() == 2 and w.getsampwidth() == 2 and w.getframerate() == 48000, "wav params")
frames = w.readframes(w.getnframes())
check(frames == pcm, "wav data differs from the recorded PCM (%d vs %d bytes)" % (len(frames), len(pcm)))
check(len(pcm) == truth["pcm_frames"] * 4, "pcm size")

# --- Chrome trace-event JSON -------------------------------------------------------------
tr = json.load(open(T + "/trace.json"))
evs = tr["traceEvents"]
phases = {e["ph"] for e in evs}
check(phases <= {"M", "X", "i", "C"}, "phases %s" % phases)
check({"M", "X", "i", "C"} <= phases, "all kinds present %s" % phases)
ts = [e["ts"] for e in evs if e["ph"] != "M"]
check(all(isinstance(t, (int, float)) and t >= 0 for t in ts), "ts numbers")
check(all(ts[i] <= ts[i + 1] for i in range(len(ts) - 1)), "timestamps not monotonic")
for e in evs:
    for k in ("name", "ph", "pid"):
        check(k in e, "event without %s: %s" % (k, e))
    if e["ph"] == "X":
        check(e.get("dur", -1) >= 0 and "tid" in e, "X needs dur and tid: %s" % e)
    if e["ph"] == "i":
        check(e.get("s") in ("t", "p", "g") and "tid" in e, "instant scope: %s" % e)
    if e["ph"] == "C":
        check(isinstance(e.get("args"), dict) and e["args"], "counter args: %s" % e)
periods = [e for e in evs if e["ph"] == "i" and e["name"] == "period"]
check(len(periods) == truth["periods"], "period instants %d" % len(periods))
counters = [e for e in evs if e["ph"] == "C"]
check(len(counters) == truth["periods"], "fill counters")
ctl = [e for e in evs if e["ph"] == "X" and e.get("cat") == "control"]
check(len(ctl) == 6, "control slices %d" % len(ctl))
names = {e["args"]["name"] for e in evs if e["ph"] == "M" and e["name"] == "thread_name"}
check("stream 0 (output)" in names, "stream track name %s" % names)
first = min(ts)
check(abs(periods[0]["ts"] - (truth["start_ns"] - truth["t_first_ns"]) / 1000) < 20000, "first period ts")

# --- plots -------------------------------------------------------------------------------
png = open(T + "/plot.png", "rb").read()
check(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000, "png magic")
w_, h_ = struct.unpack(">II", png[16:24])
check(w_ >= 800 and h_ >= 300, "png size %dx%d" % (w_, h_))
import xml.etree.ElementTree as ET
root = ET.parse(T + "/plot.svg").getroot()
check(root.tag == "{http://www.w3.org/2000/svg}svg", "svg root %s" % root.tag)

# --- info --------------------------------------------------------------------------------
info = open(T + "/info.txt").read()
for want in ("schema version 1", "synthetic 1", "complete", "tx 1008",
             "PCM_START x2 (1 not OK)", "1000 batches"):
    check(want in info, "info lacks %r" % want)
txt = open(T + "/stats.txt").read()
check("stall" in txt and "drift" in txt and "p99" in txt, "table")

if fails:
    print("\n".join("FAIL: " + f for f in fails))
    sys.exit(1)
print("cli_analysis: all checks passed")
EOF
