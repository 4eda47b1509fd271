#!/usr/bin/env bash
# cli_traces.sh - end to end: the analysis commands on the stored regression sessions
# (tests/traces/*.db); real-guest ones (guest-*.db) must show 0 stalls, 0 underruns and a
# wall-clock duration within 2 % of nominal, and export their PCM exactly.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
V=$BUILD/vsndtrace
[ -x "$V" ] || { echo "cli_traces: $V not built"; exit 1; }
shopt -s nullglob
traces=(tests/traces/*.db)
if [ ${#traces[@]} -eq 0 ]; then
	echo "cli_traces: no stored traces in tests/traces, nothing to check"
	exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
for f in "${traces[@]}"; do
	n=$(basename "$f" .db)
	for c in "stats" "info" "export --chrome $T/$n.json" "plot -o $T/$n.svg"; do
		# shellcheck disable=SC2086
		"$V" $c "$f" >"$T/out" 2>&1 || { echo "FAIL: $c $f: $(head -c 300 "$T/out")"; fails=$((fails + 1)); }
	done
	"$V" stats "$f" --json >"$T/$n.stats.json" || { echo "FAIL: stats --json $f"; fails=$((fails + 1)); }
	if sqlite3 "$f" "SELECT 1 FROM pcm LIMIT 1" | grep -q 1; then
		"$V" export "$f" --wav "$T/$n.wav" 2>/dev/null || { echo "FAIL: export --wav $f"; fails=$((fails + 1)); }
	fi
done
python3 - "$T" "${traces[@]}" <<'PY' || fails=$((fails + 1))
import json, os, sqlite3, struct, sys
T, traces = sys.argv[1], sys.argv[2:]
bad = 0
def fail(msg):
    global bad
    bad += 1
    print("FAIL: " + msg)
for f in traces:
    n = os.path.basename(f)[:-3]
    st = json.load(open("%s/%s.stats.json" % (T, n)))
    tr = json.load(open("%s/%s.json" % (T, n)))
    ts = [e["ts"] for e in tr["traceEvents"] if e["ph"] != "M"]
    if any(a > b for a, b in zip(ts, ts[1:])):
        fail("%s: chrome timestamps not monotonic" % n)
    if n.startswith("guest-"):
        for s in st["streams"]:
            if not s["frames"]:
                continue
            tag = "%s stream %d set %d" % (n, s["stream_id"], s["param_set"])
            if s["stall_count"]:
                fail("%s: %d stalls %s" % (tag, s["stall_count"], s["stalls"]))
            if s["underrun_count"]:
                fail("%s: %d underruns" % (tag, s["underrun_count"]))
            if abs(s["wall_s"] / s["nominal_s"] - 1) > 0.02:
                fail("%s: wall %.4f s vs nominal %.4f s" % (tag, s["wall_s"], s["nominal_s"]))
    wav = "%s/%s.wav" % (T, n)
    if os.path.exists(wav):
        db = sqlite3.connect(f)
        sid = db.execute("SELECT min(stream) FROM pcm").fetchone()[0]
        fmt = db.execute("SELECT format FROM pcm_params WHERE stream = ? ORDER BY chain LIMIT 1",
                         (sid,)).fetchone()
        d = open(wav, "rb").read()
        i, data = 12, None
        while i + 8 <= len(d):
            cid, ln = d[i:i + 4], struct.unpack("<I", d[i + 4:i + 8])[0]
            if cid == b"data":
                data = d[i + 8:i + 8 + ln]
            i += 8 + ln + (ln & 1)
        pcm = b"".join(r[0] for r in db.execute(
            "SELECT data FROM pcm WHERE stream = ? ORDER BY seq", (sid,)))
        # formats written raw (U8 S16 S24_3 S32 FLOAT): the data chunk is the PCM itself
        if fmt and fmt[0] in (4, 5, 11, 17, 19) and n.startswith("guest-play") and data != pcm:
            fail("%s: exported WAV differs from the recorded PCM (%d vs %d bytes)" % (
                n, len(data or b""), len(pcm)))
sys.exit(1 if bad else 0)
PY
[ "$fails" -eq 0 ] || { echo "cli_traces: $fails failures"; exit 1; }
echo "cli_traces: ${#traces[@]} stored sessions analysed"
