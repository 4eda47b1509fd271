#!/usr/bin/env bash
# cli_usage.sh - end to end: the vsndtrace command-line framework: --help and --version,
# help for every command, usage errors (exit 2), and bad session files (exit 2, no crash).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
V=$BUILD/vsndtrace
[ -x "$V" ] || { echo "cli_usage: $V not built"; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS PATTERN CMD... : exit status and a pattern in stdout+stderr
expect() {
	local want=$1 pat=$2; shift 2
	"$@" >"$T/out" 2>&1
	local rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*': exit $rc, want $want: $(head -c 300 "$T/out")"
	grep -qiEz -- "$pat" "$T/out" || fail "'$*': output lacks /$pat/: $(head -c 300 "$T/out")"
}

expect 2 "usage: vsndtrace COMMAND" "$V"
expect 0 "usage: vsndtrace COMMAND" "$V" --help
expect 0 "^vsndtrace [0-9]+\.[0-9]+\.[0-9]+" "$V" --version
for c in record replay stats info export plot; do
	expect 0 "usage: vsndtrace $c" "$V" "$c" --help
	expect 0 "usage: vsndtrace $c" "$V" help "$c"
	grep -q "^  $c " <("$V" --help) || fail "--help does not list $c"
done
expect 0 "usage: vsndtrace COMMAND" "$V" help
expect 2 "unknown command 'frobnicate'" "$V" frobnicate
expect 2 "unknown command 'nope'" "$V" help nope
expect 2 "unknown option '--frob'" "$V" --frob
for c in stats info export plot; do
	expect 2 "unknown option '--bogus'.*vsndtrace $c --help" "$V" "$c" x.db --bogus
	expect 2 "missing FILE" "$V" "$c"
done
expect 2 "unknown option '-q'" "$V" stats -q x.db
expect 2 "invalid stream id 'abc'" "$V" stats --stream abc x.db
expect 2 "needs an argument" "$V" stats x.db --stream
expect 2 "exclusive" "$V" stats x.db --json --csv
expect 2 "unexpected argument" "$V" stats a.db b.db
expect 2 "nothing to export" "$V" export x.db
expect 2 "missing -o" "$V" plot x.db
expect 2 "--commit-ms wants milliseconds" "$V" record --commit-ms 0
expect 2 "--commit-ms wants milliseconds" "$V" record --commit-ms 1s
expect 2 "must end in .png or .svg" "$V" plot x.db -o out.gif

# bad files: missing, empty, text, a foreign SQLite database, a truncated session
python3 tests/e2e/cli_synth_session.py --periods 20 --stall-k 1000 --underrun-k 1000 \
	"$T/good.db" >/dev/null || fail "synthetic session"
: >"$T/empty.db"
printf 'this is not a database\n%.0s' $(seq 200) >"$T/text.db"
python3 -c "import sqlite3,sys; d=sqlite3.connect(sys.argv[1]); d.execute('create table t(x)'); d.execute('insert into t values (1)'); d.commit()" "$T/foreign.db"
size=$(stat -c %s "$T/good.db")
head -c $((size / 2)) "$T/good.db" >"$T/trunc.db"
for f in missing.db empty.db text.db foreign.db trunc.db; do
	for c in "stats" "stats --json" "info" "export --wav $T/o.wav" "export --chrome $T/o.json" \
		"plot -o $T/o.png"; do
		# shellcheck disable=SC2086
		"$V" $c "$T/$f" >"$T/out" 2>&1
		rc=$?
		[ "$rc" -eq 2 ] || fail "$c $f: exit $rc, want 2: $(head -c 200 "$T/out")"
		grep -q "vsndtrace" "$T/out" || fail "$c $f: no message"
	done
done
# the good one works for every command
for c in "stats" "stats --json" "stats --csv" "info" "export --wav $T/o.wav" \
	"export --chrome $T/o.json"; do
	# shellcheck disable=SC2086
	"$V" $c "$T/good.db" >"$T/out" 2>&1 || fail "$c good.db: exit $?: $(head -c 300 "$T/out")"
done
expect 2 "no stream 5" "$V" stats --stream 5 "$T/good.db"

[ "$fails" -eq 0 ] || { echo "cli_usage: $fails failures"; exit 1; }
echo "cli_usage: all checks passed"
