#!/usr/bin/env bash
# count-instructions.sh: run one scenario with jobsd under callgrind and print,
# per API operation, the instructions jobsd spent per request (the inclusive
# cost of the operation's handler, which includes the request's share of group
# commits). Instruction counts do not move with the load on the host, so they
# compare two builds where requests per second on a shared VM cannot.
#
#   bench/count-instructions.sh NAME [jdbench options...]
#   bench/count-instructions.sh control-write --things 1000 --jobs 5 --connections 4
#   bench/count-instructions.sh device-http --things 500 --jobs 2 --connections 4
#
# NAME and options as for run-scenario.sh (keep sizes small: jobsd runs ~50
# times slower under valgrind). JOBSD selects the binary (build/jobsd);
# KEEP=FILE keeps the callgrind output there. Prints one line per operation:
#   op=CancelJobExecution handler=api_h_cancel_exec calls=500 instructions_per_call=99825
# Exit status: run-scenario.sh's, or 2 if valgrind is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
JOBSD=${JOBSD:-$root/build/jobsd}
if [[ $# -lt 1 ]]; then
	echo "usage: count-instructions.sh NAME [jdbench options...]" >&2
	exit 2
fi
for tool in valgrind callgrind_annotate; do
	command -v "$tool" >/dev/null || { echo "count-instructions.sh: $tool not installed (Debian package valgrind)" >&2; exit 2; }
done
[[ -x $JOBSD ]] || { echo "count-instructions.sh: $JOBSD not built" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jdcount.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/jobsd" <<WRAP
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out" "$JOBSD" "\$@" 2>>"$tmp/valgrind.log"
WRAP
chmod +x "$tmp/jobsd"
rc=0
JOBSD="$tmp/jobsd" READY_TIMEOUT=${READY_TIMEOUT:-120} "$here/run-scenario.sh" "$@" >"$tmp/scenario.out" 2>&1 || rc=$?
if [[ ! -s $tmp/callgrind.out ]]; then
	echo "count-instructions.sh: no callgrind output; the scenario said:" >&2
	tail -n 20 "$tmp/scenario.out" >&2
	exit "$(( rc == 0 ? 2 : rc ))"
fi
[[ -n ${KEEP:-} ]] && cp "$tmp/callgrind.out" "$KEEP"
# Handler names to operation names, from the route table's designated
# initialisers: one "handler operation" line per route, whatever the order of
# the fields and the line breaks inside a route (records end at '}').
routes=$(awk 'BEGIN { RS = "}" }
	match($0, /\.fn = api_h_[a-z_]+/) {
		h = substr($0, RSTART + 6, RLENGTH - 6)
		if (match($0, /\.name = "[A-Za-z]+"/))
			print h, substr($0, RSTART + 9, RLENGTH - 10)
	}' "$root/src/api/routes.c")
# --threshold=100: annotate every source file; by default only the files
# that make up 99% of the cost are, and api/http.c (the call sites read
# below) can fall outside them, which printed nothing.
callgrind_annotate --tree=calling --inclusive=yes --threshold=100 "$tmp/callgrind.out" 2>/dev/null |
	awk -v routes="$routes" '
	BEGIN {
		n = split(routes, r, "\n")
		for (i = 1; i <= n; i++) { split(r[i], kv, " "); name[kv[1]] = kv[2] }
	}
	# The call site of the handlers in the dispatcher, in the annotated source of
	# api/http.c: "IR (P%)  => .../h_exec.c:api_h_dev_update (100x)", the
	# inclusive cost of every call made there (the tree view can miss them
	# when the debug info names a source file twice).
	/=> .*:api_h_[a-z_]+ \([0-9,]+x\)/ {
		ir = $1; gsub(",", "", ir)
		h = $0; sub(/.*:api_h_/, "api_h_", h); sub(/ .*/, "", h)
		c = $0; sub(/.*\(/, "", c); sub(/x\).*/, "", c); gsub(",", "", c)
		cost[h] += ir; calls[h] += c
		if (!(h in order)) { order[h] = ++n_ops; ops[n_ops] = h }
	}
	END {
		for (i = 1; i <= n_ops; i++) {
			h = ops[i]
			if (calls[h] > 0)
				printf "op=%s handler=%s calls=%d instructions_per_call=%d\n", (h in name ? name[h] : h), h, calls[h], cost[h] / calls[h]
		}
	}'
exit "$rc"
