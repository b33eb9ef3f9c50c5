#!/usr/bin/env bash
# run-all.sh: every scenario, each against its own throwaway jobsd (and
# broker for device-mqtt), then bench/compare-moto.
#
#   bench/run-all.sh --small    every scenario at a small size (under 2 minutes;
#                               what `make bench` runs)
#   bench/run-all.sh --full     the sizes quoted in bench/README.md (fanout up
#                               to 100,000 things; about 10 to 15 minutes)
#   extra arguments after the size go to every jdbench run (e.g. --json)
#
# Every scenario runs on each store of STORES (default "sqlite postgres"; the
# PostgreSQL server is a throwaway one per scenario, run-scenario.sh --store),
# then control-read and device-http run on 2 and 3 nodes sharing one
# PostgreSQL (--nodes; NODES="2 3"). At the end a table puts the stores side by
# side (requests/s of each operation) with the multi-node totals.
#
# Output: one figure a line; lines starting with '#' name the scenario.
# Exit status: 0 if every scenario succeeded, else the last failing status.
# compare-moto is skipped (with a note) when moto_server is not installed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
size=${1:---small}
shift || true
case $size in
--small | --full) ;;
*)
	echo "usage: run-all.sh --small|--full [jdbench options...]" >&2
	exit 2
	;;
esac

rc=0
STORES=${STORES:-sqlite postgres}
NODES=${NODES:-2 3}
log=$(mktemp "${TMPDIR:-/tmp}/jdbench-all.XXXXXX")
trap 'rm -f "$log"' EXIT
run1() { # scenario args...
	echo "# $*"
	"$here/run-scenario.sh" "$@" "${extra[@]}" 2>&1 | tee -a "$log"
	local r=${PIPESTATUS[0]}
	if [[ $r -ne 0 ]]; then
		echo "# $1 exited with status $r" >&2
		rc=$r
	fi
}
run() { # scenario args...: once per store
	local st
	for st in $STORES; do
		echo "# $1 --store $st ${*:2}" >>"$log"
		run1 "$1" --store "$st" "${@:2}"
	done
}
multi() { # scenario args...: on 2 and 3 nodes sharing one PostgreSQL
	local n
	[[ " $STORES " == *" postgres "* ]] || return 0
	for n in $NODES; do
		echo "# $1 --store postgres-x$n ${*:2}" >>"$log"
		run1 "$1" --store postgres --nodes "$n" "${@:2}"
	done
}
extra=("$@")
start=$(date +%s)

if [[ $size == --small ]]; then
	run basic --things 500 --connections 32 --requests 5000 --duration 10
	run control-read --things 1000 --jobs 10 --connections 32 --requests 10000 --duration 10
	run control-write --things 1000 --jobs 10 --connections 32 --duration 20
	run device-http --things 500 --jobs 1 --connections 32 --duration 20
	run fanout --sizes 1000 --connections 32
	run device-mqtt --things 500 --jobs 2 --connections 32 --duration 30 --hard-cap 60
	multi control-read --things 1000 --jobs 10 --connections 32 --requests 10000 --duration 10
	multi device-http --things 500 --jobs 1 --connections 32 --duration 20
	moto_args=(--things 100 --jobs 2 --requests 200)
else
	run basic --things 1000 --connections 64 --requests 20000
	run control-read --things 10000 --jobs 100 --connections 64 --requests 50000
	run control-write --things 10000 --jobs 100 --connections 64 --duration 60
	run device-http --things 5000 --jobs 2 --connections 64 --duration 60
	for n in 1000 10000 100000; do
		run fanout --sizes "$n" --connections 64
	done
	# RSS with 1,000,000 executions stored: ten jobs over a group of 100,000
	run fanout --sizes 100000 --jobs 10 --connections 64
	run device-mqtt --things 5000 --jobs 2 --connections 64 --duration 120 --hard-cap 180 \
		--mqtt-threads 2
	multi control-read --things 10000 --jobs 100 --connections 64 --requests 50000
	multi device-http --things 5000 --jobs 2 --connections 64 --duration 60
	moto_args=(--things 100 --jobs 2 --requests 300 --jobsd-requests 5000)
fi

# side by side: requests/s of each (scenario, operation) per store; multi-node
# runs as their totals; the CPU lines as PostgreSQL's CPU per request
echo "# side by side (requests/s; cpu: PostgreSQL CPU us per request)"
awk '
/^# / { scen = $2; st = $4; if (!(st in seen)) { seen[st] = 1; cols[++nc] = st }; next }
/^op=/ {
	op = ""; v = ""; node = ""
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "op") op = kv[2]
		if (kv[1] == "rps" || kv[1] == "total_rps") v = kv[2]
		if (kv[1] == "pg_us_per_req") v = kv[2]
		if (kv[1] == "node") node = kv[2]
	}
	if (node != "" || op == "jobsd" || v == "") next
	if ($0 ~ /nodes=[2-9]/ && $0 !~ /total_rps|pg_us_per_req/) next
	k = scen " " op
	if (!(k in rows)) order[++nr] = k
	rows[k] = 1; val[k, st] = v
}
END {
	printf "%-44s", "scenario operation"
	for (c = 1; c <= nc; c++) printf " %14s", cols[c]
	printf "\n"
	for (r = 1; r <= nr; r++) {
		printf "%-44s", order[r]
		for (c = 1; c <= nc; c++) printf " %14s", ((order[r], cols[c]) in val) ? val[order[r], cols[c]] : "-"
		printf "\n"
	}
}' "$log"

if command -v "${MOTO_SERVER:-moto_server}" >/dev/null 2>&1; then
	echo "# compare-moto ${moto_args[*]}"
	"$here/compare-moto" "${moto_args[@]}" || rc=$?
else
	echo "# compare-moto skipped: moto_server not installed" >&2
fi
echo "# run-all $size: $(($(date +%s) - start)) s, status $rc"
exit "$rc"
