#!/usr/bin/env bash
# pg-scale.sh: issue 10's scale figures for PostgreSQL beside SQLite, in one
# run (bench/README.md, "PostgreSQL", "Scale: a 100,000-thing fan-out and a
# 1,000,000-execution copy").
#
#   bench/pg-scale.sh [--things N] [--executions M] [--chunk C] [--rounds R]
#
#   --things N      things in the one group, and the fan-out's size (100000)
#   --executions M  history in the store before the fan-out (1000000): M / N
#                   COMPLETED jobs of SUCCEEDED executions over the group
#   --chunk C       jobsd --fanout-chunk for both stores (default: jobsd's)
#   --rounds R      fan-outs per store, one new job each (2)
#
# 1. build/bench/fillstore --bulk 1 writes the N things (fill-t0 ...), their
#    group fill-gN and the M executions into a new SQLite file (src.db);
# 2. `jobsd copy-store` copies it into a throwaway PostgreSQL (tests/
#    integration/pgkit.py, as the postgres user when run as root; or the
#    empty database JOBSD_PG_URI names) and back into a second SQLite file
#    (back.db); copy-store verifies every count itself (exit status 0);
# 3. on each store (src.db, then the PostgreSQL copy), start jobsd and, R
#    times, CreateJob (SNAPSHOT) over the group and poll DescribeJob until it
#    counts N queued: the time from sending CreateJob to that answer, and
#    jobsd's peak RSS (VmHWM) once the rounds are done.
# Prints op= lines: op=fill, op=copy (seconds, executions, rows_per_s, status),
# op=fanout (store, round, create_ms, queued_s), op=jobsd (peak_rss_kb), and a
# closing side-by-side table. Exit status: 0 when every step worked, else the
# first failure's (3: jobsd did not come up). Binaries: JOBSD, FILLSTORE
# (default build/...). TMPDIR holds the stores (1M executions: ~0.5 GB in all)
# and everything is removed at the end; servers are stopped.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
JOBSD=${JOBSD:-$root/build/jobsd}
FILLSTORE=${FILLSTORE:-$root/build/bench/fillstore}
READY_TIMEOUT=${READY_TIMEOUT:-120}
things=100000
executions=1000000
chunk=
rounds=2
while [[ $# -gt 0 ]]; do
	case $1 in
	--things) things=${2:-}; shift 2 ;;
	--executions) executions=${2:-}; shift 2 ;;
	--chunk) chunk=${2:-}; shift 2 ;;
	--rounds) rounds=${2:-}; shift 2 ;;
	*) echo "pg-scale.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
for v in "$things" "$executions" "$rounds" ${chunk:+"$chunk"}; do
	[[ $v =~ ^[0-9]+$ && $v -gt 0 ]] || { echo "pg-scale.sh: bad number '$v'" >&2; exit 2; }
done
for bin in "$JOBSD" "$FILLSTORE"; do
	[[ -x $bin ]] || { echo "pg-scale.sh: $bin not found (build first)" >&2; exit 2; }
done
prefix=fill-
group=${prefix}g$things

# Step 1 runs before PostgreSQL starts; pgkit then runs this script again
# (PG_SCALE_TMP set) with JOBSD_PG_URI, and stops the server after it.
if [[ -z ${PG_SCALE_TMP:-} ]]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/jdpgscale.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "# pg-scale: $things things in $group, $executions executions; load $(cut -d' ' -f1-3 /proc/loadavg)"
	t0=$(date +%s.%N)
	"$FILLSTORE" "sqlite:$tmp/src.db" --executions "$executions" --things "$things" \
		--prefix "$prefix" --bulk 1 2>"$tmp/fill.log" | grep -q 'op=fill-done' || {
		echo "pg-scale.sh: fillstore failed:" >&2
		tail -n 5 "$tmp/fill.log" >&2
		exit 1
	}
	t1=$(date +%s.%N)
	echo "op=fill store=sqlite executions=$executions things=$things seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') db_bytes=$(stat -c %s "$tmp/src.db")"
	args=(--things "$things" --executions "$executions" --rounds "$rounds" ${chunk:+--chunk "$chunk"})
	rc=0
	if [[ -n ${JOBSD_PG_URI:-} ]]; then
		PG_SCALE_TMP=$tmp "$0" "${args[@]}" || rc=$?
	else
		PG_SCALE_TMP=$tmp python3 "$root/tests/integration/pgkit.py" run --db jdscale -- \
			"$0" "${args[@]}" || rc=$?
	fi
	exit $rc
fi

tmp=$PG_SCALE_TMP
pid=
drain=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	stop_pid "$pid"
	[[ -n $drain ]] && kill "$drain" 2>/dev/null
	true
}
trap cleanup EXIT
status=0

# copy NAME FROM TO: time jobsd copy-store; its report goes to $tmp/NAME.out
copy() {
	local name=$1 from=$2 to=$3 t0 t1 rc=0 n secs
	t0=$(date +%s.%N)
	"$JOBSD" copy-store --from "$from" --to "$to" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
	t1=$(date +%s.%N)
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	n=$(sed -nE 's/^copied and verified ([0-9]+) executions.*/\1/p' "$tmp/$name.out")
	echo "op=copy what=$name executions=${n:-0} seconds=$secs" \
		"rows_per_s=$(awk -v n="${n:-0}" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')" \
		"verified=$([[ $rc -eq 0 && -n $n ]] && echo yes || echo no) status=$rc"
	grep -E '^(copied in|things|group memberships|jobs|executions) ' "$tmp/$name.out" | sed 's/^/#   /'
	if [[ $rc -ne 0 ]]; then
		grep -v ' info ' "$tmp/$name.err" | tail -n 5 >&2 || true
		[[ $status -eq 0 ]] && status=$rc
	fi
	return 0
}
copy sqlite-to-postgres "sqlite:$tmp/src.db" "$JOBSD_PG_URI"
copy postgres-to-sqlite "$JOBSD_PG_URI" "sqlite:$tmp/back.db"
rm -f "$tmp/back.db" "$tmp/back.db-wal" "$tmp/back.db-shm"

# After a bulk load PostgreSQL's planner has no statistics, and autovacuum
# would scan the new rows during the fan-out: VACUUM (ANALYZE) first, as
# copy-store advises (timed).
if command -v psql >/dev/null; then
	t0=$(date +%s.%N)
	vrc=0
	psql -X -q -d "$JOBSD_PG_URI" -c 'VACUUM (ANALYZE)' >/dev/null 2>"$tmp/vacuum.err" || vrc=$?
	t1=$(date +%s.%N)
	echo "op=vacuum store=postgres seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') status=$vrc"
else
	echo "# psql not found: no VACUUM (ANALYZE) after the copy"
fi

# cpu_ticks PID...: user+system clock ticks of these processes so far
cpu_ticks() {
	local t=0 p
	for p in "$@"; do
		if [[ -r /proc/$p/stat ]]; then
			t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
		fi
	done
	echo "$t"
}
# the PostgreSQL server's processes (postmaster and backends), by its port
pg_pids() {
	local port master
	port=$(sed -E 's|^.*:([0-9]+)/.*$|\1|' <<<"$JOBSD_PG_URI")
	master=$(pgrep -o -f "postgres .*-p $port( |$)" || true)
	if [[ -n $master ]]; then
		# shellcheck disable=SC2046 # a list of pids
		echo "$master" $(pgrep -P "$master" || true)
	fi
}
hz=$(getconf CLK_TCK)
secs() { awk -v t="$1" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }'; }

# fanout NAME SPEC: jobsd on SPEC; R CreateJob over the group, each timed until
# DescribeJob counts N queued (bench/fanout-wait.py), with the CPU seconds
# jobsd and PostgreSQL (all its processes) spent meanwhile; then jobsd's peak RSS
fanout() {
	local name=$1 spec=$2 control rc=0
	local r n0 p0 pgp out pg_cpu
	start_jobsd "$name" pg-scale.sh "$READY_TIMEOUT" --listen 127.0.0.1:0 \
		--data-listen 127.0.0.1:0 --store "$spec" --auth off --log-level warn \
		--node-id "scale-$name" --store-check off ${chunk:+--fanout-chunk "$chunk"} || exit 3
	for r in $(seq 1 "$rounds"); do
		pgp=
		[[ $name == postgres ]] && pgp=$(pg_pids)
		n0=$(cpu_ticks "$pid")
		# shellcheck disable=SC2086 # pgp: a list of pids
		p0=$(cpu_ticks $pgp)
		out=$(python3 "$here/fanout-wait.py" "$control" "$group" "$things" \
			"scale-$name-$r-$(date +%s)") || rc=$?
		pg_cpu=-
		# shellcheck disable=SC2086
		[[ -n $pgp ]] && pg_cpu=$(secs $(($(cpu_ticks $pgp) - p0)))
		echo "op=fanout store=$name round=$r things=$things $out" \
			"jobsd_cpu_s=$(secs $(($(cpu_ticks "$pid") - n0))) pg_cpu_s=$pg_cpu"
		[[ $rc -eq 0 ]] || break
	done
	echo "op=jobsd store=$name peak_rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")" \
		"fanout_chunk=${chunk:-default}"
	stop_pid "$pid"
	pid=
	kill "$drain" 2>/dev/null || true
	drain=
	grep -v -e 'AUTH IS OFF' -e 'TEST-RIG MODE' "$tmp/jobsd-$name.log" | tail -n 3 >&2 || true
	if [[ $rc -ne 0 && $status -eq 0 ]]; then
		status=$rc
	fi
	return 0
}
fanout sqlite "sqlite:$tmp/src.db" >"$tmp/fan-sqlite"
cat "$tmp/fan-sqlite"
fanout postgres "$JOBSD_PG_URI" >"$tmp/fan-postgres"
cat "$tmp/fan-postgres"

# side by side: the best and worst round of each store, and peak RSS
cat "$tmp/fan-sqlite" "$tmp/fan-postgres" | awk -v n="$things" '
/^op=fanout / { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	s = v["store"]; q = v["queued_s"] + 0
	if (!(s in lo) || q < lo[s]) lo[s] = q
	if (q > hi[s]) hi[s] = q }
/^op=jobsd / { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	rss[v["store"]] = v["peak_rss_kb"] }
END {
	printf "# %-34s %12s %12s\n", "figure", "sqlite", "postgres"
	printf "# %-34s %5.2f-%-6.2f %5.2f-%-6.2f\n", "fan-out of " n " queued (s, min-max)", lo["sqlite"], hi["sqlite"], lo["postgres"], hi["postgres"]
	printf "# %-34s %12.1f %12.1f\n", "jobsd peak RSS (MiB)", rss["sqlite"] / 1024, rss["postgres"] / 1024
}'
exit "$status"
