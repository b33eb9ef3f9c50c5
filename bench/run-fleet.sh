#!/usr/bin/env bash
# run-fleet.sh: devices at scale (issue 15). Starts a throwaway Mosquitto
# (the shipped config, plus max_connections) and a throwaway jobsd (SQLite),
# runs `jdbench scenario device-fleet` (N devices over several generator
# processes, one job over all of them), and prints the CPU each process spent
# from CreateJob to the end and the peak RSS of jobsd and of the broker.
#
#   bench/run-fleet.sh --things 15000 [--procs P] [--mqtt-qos 0|1] [--hard-cap S]
#
# The machine allows 20,000 open files per process (hard): the broker gets
# `ulimit -n` at that limit and max_connections = limit - 500, a generator
# process holds 6,000 devices by default. Prints jdbench's lines, then
#   op=fleet-cpu jobsd_s=.. broker_s=.. generators_s=.. executions=.. jobsd_us_per_exec=..
#   op=fleet-rss jobsd_peak_kb=.. broker_peak_kb=.. broker_connections_kb_each=..
# BROKER_CONF="max_inflight_messages 1000" appends lines to the broker's config.
# Builds nothing (JOBSD=, JDBENCH= as for run-scenario.sh). Exit status is
# jdbench's, or 3 if jobsd or the broker did not come up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
JOBSD=${JOBSD:-$root/build/jobsd}
JDBENCH=${JDBENCH:-$root/build/bench/jdbench}
JOBSD_ARGS=${JOBSD_ARGS:-}
hz=$(getconf CLK_TCK)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jdfleet.XXXXXX")
broker=
jpid=
drain=
cleanup() {
	stop_pid "$jpid"
	stop_pid "$broker"
	[[ -n $drain ]] && kill "$drain" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

limit=$(ulimit -Hn)
ulimit -n "$limit"
mport=$(free_port)
"$root/scripts/broker.sh" "$tmp/broker" "$mport" >/dev/null
echo "max_connections $((limit - 500))" >>"$tmp/broker/mosquitto.conf"
# BROKER_CONF: more lines for the broker's configuration (experiments)
[[ -n ${BROKER_CONF:-} ]] && printf '%s\n' "$BROKER_CONF" >>"$tmp/broker/mosquitto.conf"
mosquitto -c "$tmp/broker/mosquitto.conf" >"$tmp/broker.log" 2>&1 &
broker=$!
for _ in $(seq 1 100); do
	(exec 9<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break
	sleep 0.1
done
base_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$broker/status")

export JOBSD_MQTT_PASSWORD
JOBSD_MQTT_PASSWORD=$(cat "$tmp/broker/jobsd.password")
# shellcheck disable=SC2086
start_jobsd fleet run-fleet.sh 30 --listen 127.0.0.1:0 --data-listen 127.0.0.1:0 \
	--store "sqlite:$tmp/bench.db" --auth off --log-level warn --mqtt "127.0.0.1:$mport" \
	--mqtt-username jobsd $JOBSD_ARGS || exit 3
jpid=$pid

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# snapshot when every device is subscribed (jdbench says so on stderr), i.e.
# just before CreateJob, and again at the end
rc=0
"$JDBENCH" scenario device-fleet --control "$control" --mqtt "127.0.0.1:$mport" "$@" \
	2> >(while IFS= read -r l; do
		if [[ $l == *"devices subscribed"* ]]; then
			echo "$(ticks "$jpid") $(ticks "$broker") $(awk '/^VmRSS:/ { print $2 }' "/proc/$broker/status")" >"$tmp/snap0"
		fi
		printf '%s\n' "$l" >&2
	done) | tee "$tmp/out" || rc=$?
sleep 0.2 # the stderr reader's last line
j1=$(ticks "$jpid")
b1=$(ticks "$broker")
read -r j0 b0 conn_kb <"$tmp/snap0" || { j0=0; b0=0; conn_kb=0; }
awk -v j=$((j1 - j0)) -v b=$((b1 - b0)) -v hz="$hz" '
/^op=FleetExecution/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "requests") n = kv[2] } }
/^op=FleetGeneratorCpu/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "run_cpu_s") g = kv[2] } }
END {
	if (n > 0) printf "op=fleet-cpu jobsd_s=%.2f broker_s=%.2f generators_s=%.2f executions=%d jobsd_us_per_exec=%.1f broker_us_per_exec=%.1f generators_us_per_exec=%.1f\n",
		j / hz, b / hz, g, n, j / hz * 1e6 / n, b / hz * 1e6 / n, g * 1e6 / n
}' "$tmp/out"
devices=$(awk '/^op=MqttConnectSubscribe/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "requests") print kv[2] } }' "$tmp/out")
printf 'op=fleet-rss jobsd_peak_kb=%s broker_peak_kb=%s broker_idle_kb=%s broker_connected_kb=%s broker_kb_per_connection=%s\n' \
	"$(awk '/^VmHWM:/ { print $2 }' "/proc/$jpid/status")" \
	"$(awk '/^VmHWM:/ { print $2 }' "/proc/$broker/status")" "$base_kb" "$conn_kb" \
	"$(awk -v a="$conn_kb" -v b="$base_kb" -v n="${devices:-0}" 'BEGIN { if (n > 0) printf "%.2f", (a - b) / n; else print 0 }')"
if grep -v -e 'AUTH IS OFF' -e 'TEST-RIG MODE' "$tmp/jobsd-fleet.log" | grep -q .; then
	echo "run-fleet.sh: jobsd logged:" >&2
	grep -v -e 'AUTH IS OFF' -e 'TEST-RIG MODE' "$tmp/jobsd-fleet.log" | tail -n 5 >&2
fi
exit "$rc"
