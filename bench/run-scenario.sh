#!/usr/bin/env bash
# run-scenario.sh: start a throwaway jobsd (and, for device-mqtt, a throwaway
# Mosquitto from the shipped config), run one jdbench scenario against it,
# then report jobsd's peak RSS and database size and stop everything.
#
#   bench/run-scenario.sh NAME [jdbench options...]
#   NAME: basic, control-read, control-write, device-http, fanout, device-mqtt
#
# Builds nothing. Binaries default to build/jobsd and build/bench/jdbench
# relative to the repository; override with JOBSD=... and JDBENCH=....
# Extra jobsd flags: JOBSD_ARGS="--log-level info". READY_TIMEOUT (seconds, 30).
# Exit status is jdbench's (0 all requests succeeded, 1 measured errors,
# 2 set-up or usage failure), or 3 if jobsd or the broker did not come up.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
JOBSD=${JOBSD:-$root/build/jobsd}
JDBENCH=${JDBENCH:-$root/build/bench/jdbench}
READY_TIMEOUT=${READY_TIMEOUT:-30}
JOBSD_ARGS=${JOBSD_ARGS:-}

if [[ $# -lt 1 ]]; then
	echo "usage: run-scenario.sh NAME [jdbench options...]" >&2
	exit 2
fi
scenario=$1
shift
case $scenario in
basic | control-read | control-write | device-http | fanout | device-mqtt) ;;
*)
	echo "run-scenario.sh: unknown scenario '$scenario'" >&2
	exit 2
	;;
esac
json=0
for a in "$@"; do
	[[ $a == --json ]] && json=1
done
for bin in "$JOBSD" "$JDBENCH"; do
	if [[ ! -x $bin ]]; then
		echo "run-scenario.sh: $bin not found or not executable (build first)" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jdbench.XXXXXX")
pid=
drain=
broker=
cleanup() {
	stop_pid "$pid"
	stop_pid "$broker"
	if [[ -n $drain ]]; then
		kill "$drain" 2>/dev/null || true
		wait "$drain" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

mqtt_args=()
jobsd_mqtt=()
if [[ $scenario == device-mqtt ]]; then
	command -v mosquitto >/dev/null || { echo "run-scenario.sh: mosquitto not installed" >&2; exit 3; }
	mport=$(free_port)
	start_broker run-scenario.sh "$tmp/broker" "$mport" || exit 3
	jobsd_mqtt=(--mqtt "127.0.0.1:$mport" --mqtt-username jobsd)
	export JOBSD_MQTT_PASSWORD
	JOBSD_MQTT_PASSWORD=$(cat "$tmp/broker/jobsd.password")
	mqtt_args=(--mqtt "127.0.0.1:$mport")
fi

mkfifo "$tmp/stdout"
# shellcheck disable=SC2086
"$JOBSD" --listen 127.0.0.1:0 --data-listen 127.0.0.1:0 --store "sqlite:$tmp/bench.db" \
	--auth off --log-level warn "${jobsd_mqtt[@]}" $JOBSD_ARGS >"$tmp/stdout" 2>"$tmp/jobsd.log" &
pid=$!
unset JOBSD_MQTT_PASSWORD
exec 3<"$tmp/stdout"
line=
if ! read -r -t "$READY_TIMEOUT" line <&3; then
	echo "run-scenario.sh: jobsd printed no ready line within ${READY_TIMEOUT}s; its log:" >&2
	tail -n 20 "$tmp/jobsd.log" >&2 || true
	exit 3
fi
# Keep reading jobsd's stdout so it can never block on a full pipe.
cat <&3 >/dev/null &
drain=$!
exec 3<&-

re='^jobsd ready control=([^ ]+) data=([^ ]+)$'
if [[ ! $line =~ $re ]]; then
	echo "run-scenario.sh: unexpected ready line: $line" >&2
	exit 3
fi
control=${BASH_REMATCH[1]}
data=${BASH_REMATCH[2]}

rc=0
"$JDBENCH" scenario "$scenario" --control "$control" --data "$data" "${mqtt_args[@]}" "$@" || rc=$?

if ! kill -0 "$pid" 2>/dev/null; then
	echo "run-scenario.sh: jobsd exited during the run; its log:" >&2
	tail -n 20 "$tmp/jobsd.log" >&2 || true
	[[ $rc -eq 0 ]] && rc=1
	exit "$rc"
fi
hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
size() { if [[ -f $1 ]]; then stat -c %s "$1"; else echo 0; fi; }
db=$(size "$tmp/bench.db")
wal=$(size "$tmp/bench.db-wal")
if [[ $json -eq 1 ]]; then
	printf '{"op":"jobsd","scenario":"%s","peak_rss_kb":%s,"db_bytes":%s,"wal_bytes":%s}\n' \
		"$scenario" "$hwm_kb" "$db" "$wal"
else
	printf 'op=jobsd scenario=%s peak_rss_kb=%s db_bytes=%s wal_bytes=%s\n' "$scenario" "$hwm_kb" "$db" "$wal"
fi
# The start-up warnings (auth off, test rig) are expected; show anything else.
grep -v -e 'AUTH IS OFF' -e 'TEST-RIG MODE' "$tmp/jobsd.log" >"$tmp/jobsd.other" || true
if [[ -s $tmp/jobsd.other ]]; then
	echo "run-scenario.sh: jobsd logged $(wc -l <"$tmp/jobsd.other") other line(s); last ones:" >&2
	tail -n 5 "$tmp/jobsd.other" >&2
fi
exit "$rc"
