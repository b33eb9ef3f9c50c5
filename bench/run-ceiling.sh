#!/usr/bin/env bash
# run-ceiling.sh: durable writes against the machine's limits (issue 15,
# item 6), in one run:
#   1. bench/fsync_ceiling in the directory the store will live in (the same
#      file system as run-scenario.sh's store): the fdatasync rate with one
#      and C threads, and the group-commit ceiling of jobsd's SQLite store
#      for one-row write transactions at C concurrent writers;
#   2. run-scenario.sh device-http with C connections (CreateThing in its
#      set-up, then StartNext and UpdateJobExecution), and control-read's
#      set-up for CreateJob (400 jobs of 100 thing targets each);
#   3. one line per durable write operation: its rate as a fraction of the
#      ceiling measured in step 1.
#
#   bench/run-ceiling.sh [--connections C] [--things N] [--jobs J] [--seconds S]
#
# Defaults: C=64, N=2000, J=2, S=3. Exit status: the scenario's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
CEIL=${CEIL:-$root/build/bench/fsync_ceiling}
conns=64 things=2000 jobs=2 secs=3
while [[ $# -gt 0 ]]; do
	case $1 in
	--connections) conns=$2; shift 2 ;;
	--things) things=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--seconds) secs=$2; shift 2 ;;
	*) echo "run-ceiling.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[[ -x $CEIL ]] || { echo "run-ceiling.sh: $CEIL not built" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/jdceiling.XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$CEIL" "$dir" "$conns" "$secs" | tee "$dir/ceiling.out"
rc=0
"$here/run-scenario.sh" device-http --things "$things" --jobs "$jobs" --connections "$conns" \
	--requests 0 --duration 10 2>"$dir/scenario.err" | tee "$dir/scenario.out" || rc=$?
# CreateJob at C connections: control-read's set-up (J2 jobs of 100 thing targets each)
"$here/run-scenario.sh" control-read --things "$things" --jobs 400 --connections "$conns" \
	--requests 200 2>>"$dir/scenario.err" | grep -E '^op=CreateJob ' | tee -a "$dir/scenario.out" || rc=$?
ceiling=$(sed -n 's/^op=sqlite-group-commit .* rate=\([0-9.]*\).*/\1/p' "$dir/ceiling.out")
awk -v c="$ceiling" '
	# the first figure of each durable write operation (the set-up phases name theirs
	# CreateThing and CreateJob; the device phases StartNext..., UpdateJobExecution...)
	/^op=/ {
		op = $1; sub(/^op=/, "", op)
		if (match($0, /rps=[0-9.]+/)) rps = substr($0, RSTART + 4, RLENGTH - 4); else next
		if (op ~ /^(CreateThing|CreateJob|StartNext.*|UpdateJobExecution.*)$/ && c > 0)
			printf "op=%s rps=%s ceiling=%s fraction=%.2f\n", op, rps, c, rps / c
	}' "$dir/scenario.out"
exit "$rc"
