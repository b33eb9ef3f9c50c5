#!/usr/bin/env bash
# run-basic.sh: start a throwaway jobsd, run `jdbench scenario basic` against
# it, then report jobsd's peak RSS and database size and stop it.
#
#   bench/run-basic.sh [jdbench options...]     e.g. --things 1000 --connections 64
#
# Builds nothing. Binaries default to build/jobsd and build/bench/jdbench
# relative to the repository; override with JOBSD=... and JDBENCH=....
# Exit status is jdbench's (0 all requests succeeded, 1 measured errors,
# 2 set-up or usage failure), or 3 if jobsd did not come up.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
JOBSD=${JOBSD:-$root/build/jobsd}
JDBENCH=${JDBENCH:-$root/build/bench/jdbench}
READY_TIMEOUT=${READY_TIMEOUT:-30}

json=0
for a in "$@"; do
	[[ $a == --json ]] && json=1
done
for bin in "$JOBSD" "$JDBENCH"; do
	if [[ ! -x $bin ]]; then
		echo "run-basic.sh: $bin not found or not executable (build first)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jdbench.XXXXXX")
pid=
drain=
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		# Give it 10 s to shut down cleanly, then SIGKILL.
		(sleep 10 && kill -KILL "$pid" 2>/dev/null) &
		local killer=$!
		wait "$pid" 2>/dev/null || true
		kill "$killer" 2>/dev/null || true
		wait "$killer" 2>/dev/null || true
	fi
	if [[ -n $drain ]]; then
		kill "$drain" 2>/dev/null || true
		wait "$drain" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

mkfifo "$tmp/stdout"
"$JOBSD" --listen 127.0.0.1:0 --data-listen 127.0.0.1:0 --store "sqlite:$tmp/bench.db" \
	--auth off --log-level warn >"$tmp/stdout" 2>"$tmp/jobsd.log" &
pid=$!
exec 3<"$tmp/stdout"
line=
if ! read -r -t "$READY_TIMEOUT" line <&3; then
	echo "run-basic.sh: jobsd printed no ready line within ${READY_TIMEOUT}s; its log:" >&2
	tail -n 20 "$tmp/jobsd.log" >&2 || true
	exit 3
fi
# Keep reading jobsd's stdout so it can never block on a full pipe.
cat <&3 >/dev/null &
drain=$!
exec 3<&-

re='^jobsd ready control=([^ ]+) data=([^ ]+)$'
if [[ ! $line =~ $re ]]; then
	echo "run-basic.sh: unexpected ready line: $line" >&2
	exit 3
fi
control=${BASH_REMATCH[1]}
data=${BASH_REMATCH[2]}

rc=0
"$JDBENCH" scenario basic --control "$control" --data "$data" "$@" || rc=$?

if ! kill -0 "$pid" 2>/dev/null; then
	echo "run-basic.sh: jobsd exited during the run; its log:" >&2
	tail -n 20 "$tmp/jobsd.log" >&2 || true
	[[ $rc -eq 0 ]] && rc=1
	exit "$rc"
fi
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
size() { if [[ -f $1 ]]; then stat -c %s "$1"; else echo 0; fi; }
db=$(size "$tmp/bench.db")
wal=$(size "$tmp/bench.db-wal")
if [[ $json -eq 1 ]]; then
	printf '{"op":"jobsd","peak_rss_kb":%s,"db_bytes":%s,"wal_bytes":%s}\n' "$hwm_kb" "$db" "$wal"
else
	printf 'op=jobsd peak_rss_kb=%s db_bytes=%s wal_bytes=%s\n' "$hwm_kb" "$db" "$wal"
fi
if [[ -s $tmp/jobsd.log ]]; then
	echo "run-basic.sh: jobsd logged $(wc -l <"$tmp/jobsd.log") line(s); last ones:" >&2
	tail -n 5 "$tmp/jobsd.log" >&2
fi
exit "$rc"
