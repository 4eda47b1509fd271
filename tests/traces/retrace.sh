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
		# Everything `info` says but where and when it was recorded.
		"$V" info "$old" 2>&1 | grep -v -E '^(session|[[:space:]]*recorded)' >"$tmp/old.info"
		"$V" info "$new" 2>&1 | grep -v -E '^(session|[[:space:]]*recorded)' >"$tmp/new.info"
		if ! cmp -s "$tmp/old.info" "$tmp/new.info"; then
			echo "$name: summary (vsndtrace info) stored -> new:"
			diff -u --label stored --label new "$tmp/old.info" "$tmp/new.info" |
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
