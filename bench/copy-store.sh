#!/usr/bin/env bash
# copy-store.sh: time `jobsd copy-store` on a large deployment, both ways.
#
#   bench/copy-store.sh [THINGS [JOBS]]     default 100000 things, 10 jobs:
#                                           1,000,000 executions
#
# 1. build/bench/mkstore writes THINGS things in one group and JOBS snapshot jobs
#    over all of them into a new SQLite file (statuses mixed: a tenth SUCCEEDED,
#    a twentieth IN_PROGRESS, the rest QUEUED);
# 2. jobsd copy-store copies it into a throwaway PostgreSQL (tests/integration/
#    pgkit.py, as the postgres user when run as root) and verifies every count;
# 3. and copies that back into a second SQLite file.
# Prints each step's wall time and copy-store's report. Exit status: the first
# failing step's. Binaries: JOBSD (build/jobsd), MKSTORE (build/bench/mkstore).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
JOBSD=${JOBSD:-$root/build/jobsd}
MKSTORE=${MKSTORE:-$root/build/bench/mkstore}
things=${1:-100000}
jobs=${2:-10}

if [[ -z ${JOBSD_PG_URI:-} ]]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/jdcopy.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "# mkstore: $things things, $jobs jobs ($((things * jobs)) executions) into SQLite"
	t0=$(date +%s.%N)
	"$MKSTORE" "sqlite:$tmp/src.db" "$things" "$jobs"
	t1=$(date +%s.%N)
	echo "op=mkstore executions=$((things * jobs)) seconds=$(echo "$t1 - $t0" | bc) db_bytes=$(stat -c %s "$tmp/src.db")"
	COPY_TMP=$tmp python3 "$root/tests/integration/pgkit.py" run --db jdcopy -- "$0" "$things" "$jobs"
	exit $?
fi
tmp=$COPY_TMP
run() { # NAME ARGS...
	local name=$1 t0 t1 rc=0
	shift
	echo "# jobsd copy-store $*" | sed -E 's|//([^:@/]+):[^@]*@|//\1:***@|g'
	t0=$(date +%s.%N)
	"$JOBSD" copy-store "$@" || rc=$?
	t1=$(date +%s.%N)
	echo "op=$name executions=$((things * jobs)) seconds=$(echo "$t1 - $t0" | bc) status=$rc"
	return $rc
}
run copy-sqlite-to-postgres --from "sqlite:$tmp/src.db" --to "$JOBSD_PG_URI"
run copy-postgres-to-sqlite --from "$JOBSD_PG_URI" --to "sqlite:$tmp/back.db"
