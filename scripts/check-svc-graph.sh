#!/usr/bin/env bash
# check-svc-graph.sh: fail if the files of src/svc/ include each other in a
# loop, and (given the build directory) if they call each other in a loop.
#
#   scripts/check-svc-graph.sh                 include graph of src/svc/
#   scripts/check-svc-graph.sh --objects build also the call graph of build's svc objects
#   scripts/check-svc-graph.sh --self-test     plant a loop in a copy; it must be found
#
# A node is a file's stem: foo.c, foo_int.h and foo.h are one node "foo"
# (a file and its internal header), except svc.h, the module's public
# interface, which is a node of its own and may include no svc/ header.
# Include edges come from `#include "svc/..."` lines; call edges from each
# object's undefined symbols that another svc object defines (nm). tsort
# finds the loops. Exit status: 0 acyclic, 1 a loop (printed), 2 usage.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

node() {
	local f=${1##*/}
	case $f in
	svc.h) echo svc.h ;;
	*_int.h) echo "${f%_int.h}" ;;
	*) echo "${f%.*}" ;;
	esac
}

# "from to" per include of another svc/ node, and "n n" for every node.
include_edges() {
	local dir=$1 f from inc to
	for f in "$dir"/*.c "$dir"/*.h; do
		[[ -e $f ]] || continue
		from=$(node "$f")
		echo "$from $from"
		while read -r inc; do
			to=$(node "$inc")
			[[ $to != "$from" ]] && echo "$from $to"
		done < <(sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*"svc/\([^"]*\)".*|\1|p' "$f")
	done
	return 0
}

# "from to" when from's object calls a function that to's object defines.
call_edges() {
	local objdir=$1 o from
	local -A def=()
	local objs=()
	while IFS= read -r o; do objs+=("$o"); done < <(find "$objdir" -path '*/src/svc/*.c.o' | sort)
	if [[ ${#objs[@]} -eq 0 ]]; then
		echo "check-svc-graph.sh: no svc objects under $objdir" >&2
		exit 2
	fi
	for o in "${objs[@]}"; do
		from=$(node "${o%.o}")
		echo "$from $from"
		while read -r sym; do def[$sym]=$from; done < <(nm --defined-only -g "$o" | awk '$2 ~ /[TDBR]/ {print $3}')
	done
	for o in "${objs[@]}"; do
		from=$(node "${o%.o}")
		while read -r sym; do
			[[ -n ${def[$sym]:-} && ${def[$sym]} != "$from" ]] && echo "$from ${def[$sym]}"
		done < <(nm -u "$o" | awk '{print $2}')
	done
	return 0
}

# Print the loop and return 1 if the edges on stdin have one.
acyclic() {
	local what=$1 out
	if ! out=$(sort -u | tsort 2>&1 >/dev/null); then
		echo "check-svc-graph.sh: the $what graph of src/svc/ has a loop:" >&2
		echo "$out" | grep -v 'input contains a loop' | sed 's/^tsort: /  /' >&2
		return 1
	fi
	return 0
}

case ${1:-} in
--self-test)
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/svcgraph.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	cp "$root"/src/svc/*.[ch] "$tmp"/
	include_edges "$tmp" | acyclic include || { echo "self-test: the tree itself has a loop" >&2; exit 1; }
	# notify.c is the bottom: including a use case's header closes a loop
	echo '#include "svc/jobs_int.h"' >>"$tmp/notify.c"
	if include_edges "$tmp" | acyclic include 2>/dev/null; then
		echo "self-test: a planted include loop (notify.c -> jobs_int.h) was not found" >&2
		exit 1
	fi
	echo "check-svc-graph.sh: self-test passed"
	;;
--objects)
	[[ $# -eq 2 ]] || { echo "usage: check-svc-graph.sh [--objects BUILD_DIR | --self-test]" >&2; exit 2; }
	include_edges "$root/src/svc" | acyclic include
	call_edges "$2" | acyclic call
	;;
"")
	include_edges "$root/src/svc" | acyclic include
	;;
*)
	echo "usage: check-svc-graph.sh [--objects BUILD_DIR | --self-test]" >&2
	exit 2
	;;
esac
