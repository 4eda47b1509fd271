#!/usr/bin/env bash
# cli_diff.sh - end to end: `vsndtrace diff` on stored sessions (copies in a temp dir): a
# session against itself, against copies with one PCM byte / control status / parameter set /
# config field changed, two different scenarios, --json, --timing, bad files and usage.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
V=$BUILD/vsndtrace
[ -x "$V" ] || { echo "cli_diff: $V not built"; exit 1; }
S16=tests/traces/guest-play-s16.db
U8=tests/traces/guest-play-u8.db
for f in "$S16" "$U8"; do
	[ -f "$f" ] || { echo "cli_diff: $f missing, nothing to check"; exit 0; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS PATTERN CMD... : exit status and an extended regex in stdout+stderr
expect() {
	local want=$1 pat=$2; shift 2
	"$@" >"$T/out" 2>&1
	local rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*': exit $rc, want $want: $(head -c 600 "$T/out")"
	grep -qE -- "$pat" "$T/out" || fail "'$*': output lacks /$pat/: $(head -c 900 "$T/out")"
}

cp "$S16" "$T/a.db"
cp "$S16" "$T/same.db"

# 1. a session against itself and against an identical copy: equivalent, every section "same"
expect 0 "result +equivalent" "$V" diff "$T/a.db" "$T/a.db"
for sec in "config +same" "control +same \(8 commands\)" "params +same" "pcm +same \(81920 bytes"; do
	expect 0 "$sec" "$V" diff "$T/a.db" "$T/same.db"
done
expect 0 "timing +within tolerance" "$V" diff --timing 0 "$T/a.db" "$T/same.db"

# 2. one PCM byte, one control status and one pcm_params row changed in a copy; the expected
# offsets are computed from the session itself (stream 0 is S16 stereo at 48 kHz)
cp "$S16" "$T/b.db"
python3 - "$T/b.db" >"$T/expect" <<'PY' || fail "could not tamper with the copy"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
pid, off, data = db.execute(
    "SELECT id, stream_offset, data FROM pcm WHERE stream = 0 ORDER BY seq LIMIT 1 OFFSET 5").fetchone()
data = bytearray(data)
data[1234] ^= 0xff
db.execute("UPDATE pcm SET data = ? WHERE id = ?", (bytes(data), pid))
chain = db.execute("SELECT chain FROM control ORDER BY chain LIMIT 1 OFFSET 5").fetchone()[0]
db.execute("UPDATE control SET status = 32771 WHERE chain = ?", (chain,))
db.execute("UPDATE pcm_params SET period_bytes = period_bytes * 2 WHERE chain = "
           "(SELECT min(chain) FROM pcm_params WHERE stream = 0)")
fb, rate = db.execute("SELECT frame_bytes, rate_hz FROM pcm_params WHERE stream = 0").fetchone()
db.commit()
byte = off + 1234
print(byte, byte // fb, "%.6f" % (byte // fb / rate), pid, chain)
PY
read -r byte frame secs pid chain <"$T/expect"
expect 1 "result +the sessions DIFFER" "$V" diff "$T/a.db" "$T/b.db"
expect 1 "control +DIFFER: 8 vs 8 commands, 1 mismatch" "$V" diff "$T/a.db" "$T/b.db"
expect 1 "first at #5, differs in: status$" "$V" diff "$T/a.db" "$T/b.db"
expect 1 "B chain $chain at [0-9.]+ s PCM_START target 0 -> IO_ERR" "$V" diff "$T/a.db" "$T/b.db"
expect 1 "first at #0, differs in: period_bytes$" "$V" diff "$T/a.db" "$T/b.db"
expect 1 "first difference at byte $byte = frame $frame, $secs s into the stream" \
	"$V" diff "$T/a.db" "$T/b.db"
expect 1 "B 0x[0-9a-f]{2} \(pcm id $pid, chain" "$V" diff "$T/a.db" "$T/b.db"
expect 1 "^    1 of the 81920 bytes both have differ" "$V" diff "$T/a.db" "$T/b.db"
expect 1 "config +same" "$V" diff "$T/a.db" "$T/b.db"

# --json: parses, and its fields carry the same facts
"$V" diff --json "$T/a.db" "$T/b.db" >"$T/j" 2>"$T/err"
rc=$?
[ "$rc" -eq 1 ] || fail "diff --json tampered: exit $rc, want 1: $(head -c 300 "$T/err")"
python3 - "$T/j" "$byte" "$frame" "$secs" "$pid" "$chain" <<'PY' || fail "diff --json fields"
import json, sys
j = json.load(open(sys.argv[1]))
byte, frame, secs, pid, chain = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
bad = []
def check(what, got, want):
    if got != want:
        bad.append("%s: %r, want %r" % (what, got, want))
check("format", j["format"], "vsndtrace-diff/1")
check("equivalent", j["equivalent"], False)
check("config.same", j["config"]["same"], True)
c = j["control"]
check("control.same", c["same"], False)
check("control.counts", (c["count_a"], c["count_b"], c["mismatches"]), (8, 8, 1))
check("control.first.index", c["first"]["index"], 5)
check("control.first.fields", c["first"]["fields"], ["status"])
check("control.first.a.status_name", c["first"]["a"]["status_name"], "OK")
check("control.first.b.status", c["first"]["b"]["status"], 32771)
check("control.first.b.chain", c["first"]["b"]["chain"], chain)
check("nstreams", len(j["streams"]), 1)
s = j["streams"][0]
check("stream", (s["stream"], s["direction"], s["same"]), (0, "output", False))
p = s["params"]
check("params.first", (p["first"]["index"], p["first"]["fields"]), (0, ["period_bytes"]))
check("params.periods", p["first"]["b"]["period_bytes"], 2 * p["first"]["a"]["period_bytes"])
m = s["pcm"]
check("pcm.totals", (m["bytes_a"], m["bytes_b"], m["frames_a"], m["frames_b"]), (81920, 81920, 20480, 20480))
check("pcm.content_same", m["content_same"], False)
check("pcm.bytes_differing", (m["bytes_compared"], m["bytes_differing"]), (81920, 1))
f = m["first_difference"]
check("pcm.first.byte_offset", f["byte_offset"], byte)
check("pcm.first.frame", f["frame"], frame)
check("pcm.first.time_s", round(f["time_s"], 6), secs)
check("pcm.first.pcm_id", (f["a"]["pcm_id"], f["b"]["pcm_id"]), (pid, pid))
check("pcm.first.bytes", f["a"]["byte"] ^ f["b"]["byte"], 0xff)
t = j["timing"]
check("timing.checked", (t["checked"], t["tolerance_pct"], t["differs"]), (False, None, False))
check("timing.streams", [(x["stream_id"], x["param_set"]) for x in t["streams"]], [(0, 0)])
if t["duration_s"]["a"] <= 0:
    bad.append("timing.duration_s.a %r" % t["duration_s"]["a"])
for b in bad:
    print("FAIL: --json " + b)
sys.exit(1 if bad else 0)
PY
# identical sessions in JSON
"$V" diff --json "$T/a.db" "$T/same.db" >"$T/j2" || fail "diff --json same: exit $?"
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
ok = j["equivalent"] and j["config"]["same"] and j["control"]["same"] and j["control"]["first"] is None \
    and all(s["same"] and s["pcm"]["first_difference"] is None for s in j["streams"])
sys.exit(0 if ok else 1)' "$T/j2" || fail "diff --json of identical sessions is not all same"

# PCM that ends early: the difference is where the shorter stream ends
cp "$S16" "$T/short.db"
sqlite3 "$T/short.db" "DELETE FROM pcm WHERE stream = 0 AND seq = (SELECT max(seq) FROM pcm WHERE stream = 0)" ||
	fail "could not shorten the copy"
expect 1 "pcm +DIFFER: 81920 vs 77824 bytes, 20480 vs 19456 frames" "$V" diff "$T/a.db" "$T/short.db"
expect 1 "first difference at byte 77824 = frame 19456, 0.405333 s into the stream" \
	"$V" diff "$T/a.db" "$T/short.db"
expect 1 "the 77824 bytes both have are equal; A has more" "$V" diff "$T/a.db" "$T/short.db"
expect 1 "^      A ends there" "$V" diff "$T/short.db" "$T/a.db"

# 3. the device configuration
cp "$S16" "$T/cfg.db"
sqlite3 "$T/cfg.db" "UPDATE config_stream SET rates = rates & ~(1 << 7) WHERE stream_id = 0;
	UPDATE config_jack SET connected = 0 WHERE jack_id = 0" || fail "could not change config"
expect 1 "config +DIFFER \(2\)" "$V" diff "$T/a.db" "$T/cfg.db"
expect 1 "stream 0 rates: only in A 48000, only in B none$" "$V" diff "$T/a.db" "$T/cfg.db"
expect 1 "jack 0: connected vs disconnected" "$V" diff "$T/a.db" "$T/cfg.db"

# 4. two different stored scenarios: S16 stereo 48 kHz against U8 mono 8 kHz
cp "$U8" "$T/u8.db"
expect 1 "result +the sessions DIFFER" "$V" diff "$T/a.db" "$T/u8.db"
expect 1 "differs in: buffer_bytes period_bytes channels format rate" "$V" diff "$T/a.db" "$T/u8.db"
expect 1 "A chain [0-9]+ S16 48000 Hz 2 ch" "$V" diff "$T/a.db" "$T/u8.db"
expect 1 "B chain [0-9]+ U8 8000 Hz 1 ch" "$V" diff "$T/a.db" "$T/u8.db"
expect 1 "differs in: request" "$V" diff "$T/a.db" "$T/u8.db"
expect 1 "pcm +DIFFER: 81920 vs [0-9]+ bytes" "$V" diff "$T/a.db" "$T/u8.db"
# --timing with a tolerance: a 128 ms period against 21 ms is outside 10 %
expect 1 "timing +DIFFER \(tolerance 10 %\)" "$V" diff --timing 10 "$T/a.db" "$T/u8.db"

# 5. bad files and usage: exit 2 with a one-line message naming the file
printf 'this is not a database\n%.0s' $(seq 50) >"$T/garbage.db"
expect 2 "vsndtrace diff: $T/garbage.db: not an SQLite database" "$V" diff "$T/a.db" "$T/garbage.db"
expect 2 "vsndtrace diff: $T/garbage.db: " "$V" diff "$T/garbage.db" "$T/a.db"
expect 2 "vsndtrace diff: $T/missing.db: cannot open" "$V" diff "$T/a.db" "$T/missing.db"
size=$(stat -c %s "$T/a.db")
head -c $((size / 2)) "$T/a.db" >"$T/trunc.db"
expect 2 "vsndtrace diff: $T/trunc.db: " "$V" diff "$T/a.db" "$T/trunc.db"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "truncated file: not a one-line message: $(cat "$T/out")"
expect 2 "missing FILES A and B" "$V" diff
expect 2 "missing FILE B" "$V" diff "$T/a.db"
expect 2 "unexpected argument" "$V" diff "$T/a.db" "$T/a.db" "$T/a.db"
expect 2 "unknown option '--bogus'" "$V" diff --bogus "$T/a.db" "$T/a.db"
expect 2 "invalid tolerance '-3'" "$V" diff --timing -3 "$T/a.db" "$T/a.db"
expect 0 "usage: vsndtrace diff A B" "$V" diff --help
expect 0 "usage: vsndtrace diff A B" "$V" help diff
expect 0 "^  diff +what differs" "$V" --help

# the stored originals were not touched
cmp -s "$S16" "$T/same.db" || fail "$S16 was modified"

[ "$fails" -eq 0 ] || { echo "cli_diff: $fails failures"; exit 1; }
echo "cli_diff: all checks passed"
