#!/usr/bin/env bash
# run.sh - regression traces (make check): every tests/traces/*.db replayed with --verify must
# pass; plus the replay CLI's exit statuses on bad, tampered and repeated replays.
set -u
BUILD=${BUILD:-build}
V=$BUILD/vsndtrace
dir=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

expect() { # STATUS DESCRIPTION CMD... : run CMD, want exit STATUS
	local want=$1 what=$2
	shift 2
	"$@" >"$tmp/out" 2>&1
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok; else bad "$what: exit $rc, want $want"; cat "$tmp/out"; fi
}

# 1. Every stored session verifies (the real-guest ones and the synthetic ones).
n=0
for db in "$dir"/*.db; do
	[ -e "$db" ] || continue
	n=$((n + 1))
	expect 0 "replay --verify $(basename "$db")" "$V" replay "$db" --verify --sink null --speed max
done
[ "$n" -gt 0 ] || bad "no stored traces in $dir"

# 2. Deterministic: the same report and the same WAV twice (a synthetic and a guest session).
for db in "$dir/synth-pause.db" "$dir/guest-drop.db"; do
	[ -e "$db" ] || continue
	expect 0 "json 1 $db" "$V" replay "$db" --verify --json --sink "wav:$tmp/a.wav"
	cp "$tmp/out" "$tmp/a.json"
	expect 0 "json 2 $db" "$V" replay "$db" --verify --json --sink "wav:$tmp/b.wav"
	if cmp -s "$tmp/a.json" "$tmp/out" && cmp -s "$tmp/a.wav" "$tmp/b.wav"; then ok
	else bad "two replays of $db differ"; fi
	grep -q '"result": "pass"' "$tmp/a.json" && ok || bad "json result: $(cat "$tmp/a.json")"
done

ref=$dir/synth-play-s16.db
if [ -e "$ref" ]; then

	# 3. A session whose recorded answer differs (one status) fails, naming the event.
	cp "$ref" "$tmp/t.db"
	id=$(sqlite3 "$tmp/t.db" "SELECT io.id FROM chain_io io JOIN control c ON c.chain = io.chain
	     WHERE c.code = 258 AND io.dir = 1 ORDER BY io.id LIMIT 1")
	sqlite3 "$tmp/t.db" "UPDATE chain_io SET data = X'02800000' WHERE id = $id"
	expect 1 "tampered status" "$V" replay "$tmp/t.db" --verify --sink null
	grep -q "at event $id " "$tmp/out" && ok || bad "divergence does not name event $id"
	expect 0 "tampered status without --verify" "$V" replay "$tmp/t.db" --sink null

	# 4. Not sessions: exit 2 with a message, no crash.
	: >"$tmp/empty.db"
	expect 2 "empty" "$V" replay "$tmp/empty.db" --verify
	sqlite3 "$tmp/foreign.db" "CREATE TABLE t (a)"
	expect 2 "foreign" "$V" replay "$tmp/foreign.db" --verify
	cp "$ref" "$tmp/v.db"
	sqlite3 "$tmp/v.db" "PRAGMA user_version = 7"
	expect 2 "wrong version" "$V" replay "$tmp/v.db" --verify
	grep -q 7 "$tmp/out" && ok || bad "version message does not name version 7"
	head -c $(($(stat -c %s "$ref") / 2)) "$ref" >"$tmp/trunc.db"
	expect 2 "truncated" "$V" replay "$tmp/trunc.db" --verify
	cp "$ref" "$tmp/c.db"
	size=$(stat -c %s "$ref")
	for off in $(seq 2048 4096 $((size - 1024))); do
		printf 'garbage-garbage-garbage-garbage-garbage-garbage-garbage-garbage' |
			dd of="$tmp/c.db" bs=1 seek="$off" conv=notrunc status=none
	done
	expect 2 "corrupt" "$V" replay "$tmp/c.db" --verify
	expect 2 "missing" "$V" replay "$tmp/none.db"

	# 5. Usage.
	expect 0 "--help" "$V" replay --help
	expect 2 "no file" "$V" replay
	expect 2 "bad option" "$V" replay "$ref" --bogus
	expect 2 "bad speed" "$V" replay "$ref" --speed fast
	expect 2 "bad window" "$V" replay "$ref" --from 2 --to 1
	expect 2 "bad sink" "$V" replay "$ref" --sink nosuch:x
	expect 2 "input stream" "$V" replay "$ref" --stream 1
	expect 0 "window" "$V" replay "$ref" --verify --from 0.05 --to 0.1 --stream 0 --sink null
fi

echo "traces: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
