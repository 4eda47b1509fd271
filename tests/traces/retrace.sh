#!/usr/bin/env bash
# retrace.sh - re-record the stored regression sessions after an intended device change and
# print what changed. Usage: retrace.sh synth|guest [NAME...]  (run by make retrace[-synth]).
set -u
mode=${1:?usage: retrace.sh synth|guest [NAME...]}
shift
BUILD=${BUILD:-build}
V=$BUILD/vsndtrace
GEN=${GEN_SYNTH:-$BUILD/tools/gen_synth}
dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# NAME ARGS... lines for the chosen mode.
list() {
	if [ "$mode" = synth ]; then
		"$GEN" --help | sed -n 's/^scenarios: //p' | tr ' ' '\n' | sed 's/^/synth-/'
	else
		grep -v '^#' "$dir/guest.list" | grep -v '^[[:space:]]*$'
	fi
}

wanted() { # NAME
	[ ${#names[@]} -eq 0 ] && return 0
	for n in "${names[@]}"; do [ "$n" = "$1" ] && return 0; done
	return 1
}
names=("$@")

record() { # NAME OUT ARGS...
	local name=$1 out=$2
	shift 2
	if [ "$mode" = synth ]; then
		mkdir -p "$tmp/gen" && "$GEN" "$tmp/gen" "${name#synth-}" >/dev/null &&
			mv "$tmp/gen/$name.db" "$out"
		return
	fi
	local args=() a
	for a in "$@"; do
		if [[ $a == @*.wav ]]; then
			local spec=${a#@}; spec=${spec%.wav}
			IFS=- read -r fmt rate ch secs <<<"$spec"
			"$GEN" --wav "$tmp/$spec.wav" "$fmt" "$rate" "$ch" "$secs" || return 1
			a=$tmp/$spec.wav
		fi
		args+=("$a")
	done
	"$V" record -o "$out" "${args[@]}" >"$tmp/record.log" 2>&1 ||
		{ tail -20 "$tmp/record.log"; return 1; }
	"$GEN" --compact "$out"
}

# What a session did, in a form that diffs well: requests and answers, chains per queue,
# I/O statuses, events, PCM per stream.
summary() { # DB
	sqlite3 -separator ' ' "$1" \
		"SELECT 'control', name, status_name, count(*) FROM control_timeline
		   GROUP BY name, status_name ORDER BY name, status_name;
		 SELECT 'chains on queue', queue, count(*) FROM chain GROUP BY queue;
		 SELECT 'io', queue, ifnull(status, '-'), outcome, count(*) FROM io_message
		   GROUP BY queue, status, outcome;
		 SELECT 'event', code, data, count(*) FROM vq_event GROUP BY code, data;
		 SELECT 'pcm stream', stream, direction, sum(bytes) FROM pcm GROUP BY stream;
		 SELECT 'sink', stream, kind, count(*), sum(ifnull(bytes, 0)) FROM sink_event
		   GROUP BY stream, kind;"
}

while read -r name rest; do
	[ -n "$name" ] || continue
	wanted "$name" || continue
	old=$dir/$name.db new=$tmp/$name.db
	# shellcheck disable=SC2086
	if ! record "$name" "$new" $rest; then
		echo "$name: recording FAILED"; status=1; continue
	fi
	if ! "$V" replay "$new" --verify --sink null >"$tmp/new.txt" 2>&1; then
		echo "$name: the new recording does not replay on this device:"; cat "$tmp/new.txt"
		status=1; continue
	fi
	if [ -e "$old" ]; then
		if "$V" replay "$old" --verify --sink null >"$tmp/old.txt" 2>&1; then
			echo "$name: protocol unchanged (the stored trace still verifies)"
		else
			echo "$name: CHANGED - the stored trace on the current device:"
			sed 's/^/    /' "$tmp/old.txt"
		fi
		summary "$old" >"$tmp/old.sum"
		summary "$new" >"$tmp/new.sum"
		if ! cmp -s "$tmp/old.sum" "$tmp/new.sum"; then
			echo "$name: summary stored -> new:"
			diff -u --label stored --label new "$tmp/old.sum" "$tmp/new.sum" |
				tail -n +3 | sed 's/^/    /'
		fi
	else
		echo "$name: new trace"
	fi
	size=$(stat -c %s "$new")
	[ "$size" -le 204800 ] || echo "$name: warning: $size bytes (keep traces < 200 KB)"
	cp "$new" "$old"
done < <(list)
exit $status
