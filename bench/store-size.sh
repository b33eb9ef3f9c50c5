#!/usr/bin/env bash
# store-size.sh: cost in store size (issue 15; bench/README.md "Cost in store
# size"). The same device-http writes and the same 100,000-thing fan-out on
# an empty SQLite store and on one that already holds N executions, in one
# run, with the ratios, jobsd's peak RSS and the largest WAL seen.
#
#   bench/store-size.sh [--executions N] [--devices D] [--rounds R]
#                       [--fanout F] [--connections C]
#
#   --executions N  history in the full store (default 10000000): written by
#                   build/bench/fillstore --bulk 1 as F things (PREFIXt0...)
#                   in group PREFIXgF with N / F COMPLETED jobs of SUCCEEDED
#                   executions, what jobsd writes when devices finish them
#   --fanout F      things in the measured fan-out (default 100000): the very
#                   things that hold the history, so its index entries land
#                   among theirs (the worst case: new things would append)
#   --devices D     device-http things (default 2000, the first D of them),
#   --rounds R      device-http jobs, each taken QUEUED -> SUCCEEDED (default 3)
#   --connections C jdbench connections (default 64)
#   --from FILE     no fill: the full store is a copy of FILE, a store that
#                   fillstore filled before (with the same --fanout and
#                   --executions), so old and new binaries (JOBSD=...) run on
#                   the same history; a newer jobsd migrates the copy at its
#                   start (op=store startup_s= says how long that took)
#   --skip-empty 1  measure the full store only
#
# For each store: start jobsd, `jdbench scenario device-http` (StartNext,
# UpdateJobExecution IN_PROGRESS, SUCCEEDED on D things, R rounds), then
# `jdbench scenario fanout --sizes F` (CreateJob over the group; the time
# until DescribeJob counts F queued), all with --prefix fill-; every 0.2 s
# the WAL's size and jobsd's RSS are sampled. Prints jdbench's op= lines
# prefixed with store=empty|full, one op=store line per store, then
# op=ratio lines (full / empty). Binaries: JOBSD, JDBENCH, FILLSTORE
# (default build/...). TMPDIR holds the stores (N = 10M needs ~5 GB).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
JOBSD=${JOBSD:-$root/build/jobsd}
JDBENCH=${JDBENCH:-$root/build/bench/jdbench}
FILLSTORE=${FILLSTORE:-$root/build/bench/fillstore}
executions=10000000
devices=2000
rounds=3
fanout=100000
conns=64
from=
skip_empty=0
while [[ $# -gt 0 ]]; do
	case $1 in
	--executions) executions=${2:-}; shift 2 ;;
	--devices) devices=${2:-}; shift 2 ;;
	--rounds) rounds=${2:-}; shift 2 ;;
	--fanout) fanout=${2:-}; shift 2 ;;
	--connections) conns=${2:-}; shift 2 ;;
	--from) from=${2:-}; shift 2 ;;
	--skip-empty) skip_empty=${2:-}; shift 2 ;;
	*) echo "store-size.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
for v in "$executions" "$devices" "$rounds" "$fanout" "$conns"; do
	[[ $v =~ ^[0-9]+$ && $v -gt 0 ]] || { echo "store-size.sh: bad number '$v'" >&2; exit 2; }
done
for bin in "$JOBSD" "$JDBENCH" "$FILLSTORE"; do
	[[ -x $bin ]] || { echo "store-size.sh: $bin not found (build first)" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jdsize.XXXXXX")
pid=
sampler=
drain=
cleanup() {
	[[ -n $sampler ]] && kill "$sampler" 2>/dev/null && wait "$sampler" 2>/dev/null
	stop_pid "$pid"
	[[ -n $drain ]] && kill "$drain" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
prefix=fill-

# measure NAME DB: jobsd on DB, device-http then fanout; op= lines to stdout
measure() {
	local name=$1 db=$2 control data rc=0 t0
	t0=$(date +%s.%N)
	start_jobsd "$name" store-size.sh "${READY_TIMEOUT:-900}" --listen 127.0.0.1:0 \
		--data-listen 127.0.0.1:0 --store "sqlite:$db" --auth off --log-level warn \
		--node-id "size-$name" || exit 3
	local startup
	startup=$(echo "$(date +%s.%N) - $t0" | bc)
	# the sampler: largest WAL (bytes) and RSS (kB) seen, every 0.2 s
	(
		wal=0
		rss=0
		while kill -0 "$pid" 2>/dev/null; do
			w=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
			r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
			((w > wal)) && wal=$w
			((r > rss)) && rss=$r
			echo "$wal $rss" >"$tmp/sample-$name"
			sleep 0.2
		done
	) &
	sampler=$!
	"$JDBENCH" scenario device-http --control "$control" --data "$data" --prefix "$prefix" \
		--things "$devices" --jobs "$rounds" --connections "$conns" \
		| sed "s/^/store=$name /" || rc=$?
	"$JDBENCH" scenario fanout --control "$control" --data "$data" --prefix "$prefix" \
		--sizes "$fanout" --connections "$conns" | sed "s/^/store=$name /" || rc=$?
	local hwm busy
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
	kill "$sampler" 2>/dev/null
	wait "$sampler" 2>/dev/null || true
	sampler=
	stop_pid "$pid"
	pid=
	kill "$drain" 2>/dev/null || true
	drain=
	busy=$(grep -c 'writer stayed busy' "$tmp/jobsd-$name.log" || true)
	read -r wal _ <"$tmp/sample-$name"
	echo "op=store store=$name executions_before=$3 peak_rss_kb=$hwm max_wal_bytes=$wal" \
		"db_bytes=$(stat -c %s "$db") writer_busy_503s=$busy startup_s=$startup status=$rc"
	grep -v -e 'AUTH IS OFF' -e 'TEST-RIG MODE' "$tmp/jobsd-$name.log" | tail -n 3 >&2 || true
}

echo "# store-size: empty store, then $executions executions; fan-out $fanout things," \
	"device-http $devices things x $rounds rounds, $conns connections"
t0=$(date +%s)
if [[ -n $from ]]; then
	cp "$from" "$tmp/full.db"
	echo "op=fill from=$from seconds=$(($(date +%s) - t0)) db_bytes=$(stat -c %s "$tmp/full.db")"
else
	"$FILLSTORE" "sqlite:$tmp/full.db" --executions "$executions" --things "$fanout" \
		--prefix "$prefix" --bulk 1 | grep -E 'op=fill-(things|done)' |
		sed "s/^/store=full /"
	echo "op=fill executions=$executions seconds=$(($(date +%s) - t0))" \
		"db_bytes=$(stat -c %s "$tmp/full.db")"
fi
touch "$tmp/empty.out"
if [[ $skip_empty != 1 ]]; then
	measure empty "$tmp/empty.db" 0 >"$tmp/empty.out"
	cat "$tmp/empty.out"
fi
measure full "$tmp/full.db" "$executions" >"$tmp/full.out"
cat "$tmp/full.out"

# ratios full / empty of each op's rps and the fan-out's time to all queued
cat "$tmp/empty.out" "$tmp/full.out" | awk '
/^store=/ && / op=/ {
	st = ""; op = ""; n = 0; sec = 0; max = 0; p99 = 0
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "store") st = kv[2]
		if (kv[1] == "op") op = kv[2]
		if (kv[1] == "requests") n = kv[2]
		if (kv[1] == "seconds") sec = kv[2]
		if (kv[1] == "max_ms") max = kv[2]
		if (kv[1] == "p99_ms") p99 = kv[2]
	}
	# every round of an operation together; p99 the worst round'"'"'s
	if (op ~ /^(StartNext|UpdateJobExecution-SUCCEEDED|DeviceExecutionsHttp)/) {
		req[st, op] += n; s[st, op] += sec; ops[op] = 1
		if (p99 > p[st, op]) p[st, op] = p99
	}
	if (op ~ /^FanoutQueued/) { f[st] = max; fo = op }
}
END {
	for (op in ops)
		if (s["empty", op] > 0 && s["full", op] > 0) {
			e = req["empty", op] / s["empty", op]; g = req["full", op] / s["full", op]
			printf "op=ratio what=%s empty_rps=%.0f full_rps=%.0f full_over_empty=%.2f empty_p99_ms=%.1f full_p99_ms=%.1f\n", op, e, g, g / e, p["empty", op], p["full", op]
		}
	if (f["empty"] > 0)
		printf "op=ratio what=%s empty_s=%.2f full_s=%.2f full_over_empty=%.2f\n", fo, f["empty"] / 1000, f["full"] / 1000, f["full"] / f["empty"]
}'
