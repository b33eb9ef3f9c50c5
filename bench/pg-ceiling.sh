#!/usr/bin/env bash
# pg-ceiling.sh: what PostgreSQL alone does on this machine, to set jobsd's
# PostgreSQL figures against (bench/README.md, "PostgreSQL").
#
#   bench/pg-ceiling.sh [--clients C] [--duration S]
#
# Starts a throwaway PostgreSQL (tests/integration/pgkit.py, as run-scenario.sh
# does, same settings: TCP on 127.0.0.1, synchronous_commit on) unless
# JOBSD_PG_URI names a database, fills pgbench's tables (scale 1), and runs
# pgbench for S seconds (default 10) each, C clients (default 64) over 2
# threads, every statement prepared:
#   select      `pgbench -S`: one point SELECT, its own implicit transaction
#               (one round trip): the ceiling of a one-statement read
#   select-tx   the same SELECT as jobsd's read transactions before issue 10's
#               third step: BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY
#               and the SELECT in one pipeline, then COMMIT (two round trips)
#   select-pipe8  eight of those SELECTs in one pipeline with one Sync: what
#               jobsd's batched one-operation reads send (src/store/postgres/
#               batch.c); its pg_us_per_tx is for the eight
#   select-2, select-pipe8-2  the same with 2 clients: the server's cost per
#               statement with few busy connections (jobsd's batch uses one)
#   insert-1    one-row INSERT per transaction, 1 client: one WAL flush per
#               write, as writes serialised by one lock without group commit
#   insert-c    the same with C clients: PostgreSQL groups concurrent flushes
# Each prints `op=pg-ceiling test=NAME tps=... pg_us_per_tx=... client_us_per_tx=...`:
# the server's CPU (postmaster and backends, user+system from /proc) and
# pgbench's, per transaction. Exit status: 0, or pgbench's failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
clients=64
duration=10
while [[ $# -gt 0 ]]; do
	case $1 in
	--clients)
		clients=${2:?--clients needs a number}
		shift 2
		;;
	--duration)
		duration=${2:?--duration needs seconds}
		shift 2
		;;
	*)
		echo "usage: pg-ceiling.sh [--clients C] [--duration S]" >&2
		exit 2
		;;
	esac
done
[[ $clients =~ ^[1-9][0-9]*$ && $duration =~ ^[1-9][0-9]*$ ]] || {
	echo "pg-ceiling.sh: --clients and --duration take positive integers" >&2
	exit 2
}
command -v pgbench >/dev/null || { echo "pg-ceiling.sh: pgbench not installed (postgresql-client)" >&2; exit 2; }
if [[ -z ${JOBSD_PG_URI:-} ]]; then
	exec python3 "$root/tests/integration/pgkit.py" run --db pgceiling -- \
		"$0" --clients "$clients" --duration "$duration"
fi
uri=$JOBSD_PG_URI
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pgceiling.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# the server's CPU in ticks: the postmaster's own and its reaped children's
# (pgbench's backends exit with it), and its live children's (background
# workers); waits until the children are back to `base` (a backend just left
# is counted once the postmaster has reaped it)
pg_ticks() {
	local base=${1:-0} port master kids p t=0
	port=$(sed -E 's|^.*:([0-9]+)/.*$|\1|' <<<"$uri")
	master=$(pgrep -o -f "postgres .*-p $port( |$)")
	for _ in $(seq 1 100); do
		kids=$(pgrep -P "$master" | wc -l)
		[[ $kids -le $base ]] && break
		sleep 0.05
	done
	t=$(sed 's/^.*) //' "/proc/$master/stat" | awk '{ print $12 + $13 + $14 + $15 }')
	for p in $(pgrep -P "$master"); do
		t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
	done
	echo "$t"
}
pg_kids() {
	local port
	port=$(sed -E 's|^.*:([0-9]+)/.*$|\1|' <<<"$uri")
	pgrep -P "$(pgrep -o -f "postgres .*-p $port( |$)")" | wc -l
}
# the reaped children's CPU (pgbench), in ticks: cutime and cstime of our own stat
child_ticks() {
	sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $14 + $15 }'
}
hz=$(getconf CLK_TCK)

pgbench -i -s 1 -q "$uri" >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log" >&2; exit 1; }
psql -q "$uri" -c "CREATE TABLE IF NOT EXISTS ceiling_w (id bigserial PRIMARY KEY, v text)" >/dev/null

cat >"$tmp/select-tx.sql" <<'EOF'
\set aid random(1, 100000)
\startpipeline
BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
\endpipeline
COMMIT;
EOF
{
	printf '%s\n' '\set aid random(1, 100000)' '\startpipeline'
	for _ in 1 2 3 4 5 6 7 8; do
		printf '%s\n' 'SELECT abalance FROM pgbench_accounts WHERE aid = :aid;'
	done
	printf '%s\n' '\endpipeline'
} >"$tmp/select-pipe8.sql"
cat >"$tmp/insert.sql" <<'EOF'
INSERT INTO ceiling_w (v) VALUES ('thing-name-of-some-length');
EOF

# run NAME CLIENTS PGBENCH-ARGS...
run() {
	local name=$1 c=$2 pg0 pg1 c0 c1 tps base
	shift 2
	base=$(pg_kids)
	pg0=$(pg_ticks "$base")
	c0=$(child_ticks)
	pgbench -n -M prepared -c "$c" -j $((c < 2 ? 1 : 2)) -T "$duration" "$@" "$uri" \
		>"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log" >&2; exit 1; }
	c1=$(child_ticks)
	pg1=$(pg_ticks "$base")
	tps=$(awk '/^tps = / { print $3; exit }' "$tmp/$name.log")
	awk -v name="$name" -v c="$c" -v tps="$tps" -v d="$duration" -v pg=$((pg1 - pg0)) \
		-v cl=$((c1 - c0)) -v hz="$hz" 'BEGIN {
		n = tps * d
		printf "op=pg-ceiling test=%s clients=%d tps=%.0f pg_us_per_tx=%.1f client_us_per_tx=%.1f\n",
			name, c, tps, pg / hz * 1e6 / n, cl / hz * 1e6 / n }'
}

run select "$clients" -S
run select-tx "$clients" -f "$tmp/select-tx.sql"
run select-pipe8 "$clients" -f "$tmp/select-pipe8.sql"
run select-2 2 -S
run select-pipe8-2 2 -f "$tmp/select-pipe8.sql"
run insert-1 1 -f "$tmp/insert.sql"
run insert-c "$clients" -f "$tmp/insert.sql"
