#!/usr/bin/env bash
# call_graph.sh OBJ...: the file-level call graph of the object files OBJ
# (A -> B when A references a symbol that B defines: nm -u against
# nm --defined-only -g), one "A B" edge a line on stdout. Status 0 when the
# graph has no cycle; 1, with the files of each cycle on stderr, when it
# has; 2 when no object file is given or nm cannot read one.
set -uo pipefail
[ $# -gt 0 ] || { echo "usage: call_graph.sh OBJ..." >&2; exit 2; }
defs=$(mktemp) edges=$(mktemp)
trap 'rm -f "$defs" "$edges"' EXIT
for o in "$@"; do
	nm --defined-only -g "$o" | awk -v f="$(basename "$o" .o)" 'NF == 3 { print $3, f }' || exit 2
done | sort -k1,1 >"$defs" || exit 2
for o in "$@"; do
	a=$(basename "$o" .o)
	nm -u "$o" | awk '{ print $NF }' | sort -u | join - "$defs" | awk -v a="$a" '$2 != a { print a, $2 }' || exit 2
done | sort -u >"$edges" || exit 2
cat "$edges"
# tsort orders an acyclic graph and names the files of each cycle it finds.
tsort "$edges" 2>&1 >/dev/null | awk '/input contains a loop:/ { if (c) print "cycle:" c; c = ""; next }
	{ sub(/^tsort: /, ""); c = c " " $0 } END { if (c) print "cycle:" c }' >&2
tsort "$edges" >/dev/null 2>&1
