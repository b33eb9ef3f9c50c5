#!/usr/bin/env bash
# run-mqtt-ceiling.sh: the MQTT device plane against its ceiling on this
# machine (issue 15). One Mosquitto (the shipped config) for the whole run;
# each round runs the same device-mqtt load twice, one responder at a time:
#   echo:  build/bench/mqtt_echo, a zero-work responder of our own (no store,
#          one epoll loop) that sends what jobsd would send, so the round
#          shows what Mosquitto and the generator alone reach;
#   jobsd: a throwaway jobsd (SQLite) with the usual HTTP set-up.
# Then jobsd's rate as a fraction of the echo's, and the CPU per completed
# execution of each process (responder, broker, generator) over the run
# phase (from "devices subscribed; running" to the end), from /proc and
# the generator's own getrusage.
#
#   bench/run-mqtt-ceiling.sh [--rounds R] [--things N] [--jobs J]
#                             [--mqtt-threads T] [--duration S] [--hard-cap S]
#                             [--mqtt-qos 0|1]
#   defaults: 2 rounds, 5,000 devices, 6 jobs each, 2 generator threads,
#   duration 60 s (the run ends when every device has done its J jobs),
#   QoS 1 (--mqtt-qos 0: the devices publish and subscribe at QoS 0, and so
#   does the echo; jobsd still publishes at QoS 1, delivered at 0).
#
# Prints jdbench's lines, then per round and responder
#   op=mqtt-ceiling round=R responder=echo|jobsd exec_per_s=.. executions=..
#       notifications=.. (notify and notify-next the devices got) responder_us=.. broker_us=.. generator_us=.. total_us=..
# (microseconds of CPU per completed execution), and per round
#   op=mqtt-ceiling-ratio round=R echo_exec_per_s=.. jobsd_exec_per_s=..
#       jobsd_per_echo=.. cpu_bound_echo=.. cpu_bound_jobsd=.. cpu_bound_ratio=..
# cpu_bound_X is the rate the CPU per execution allows on this machine when
# nothing else runs: min(cores x 1e6 / total_us, 1e6 / broker_us), since
# Mosquitto runs on one thread. On a shared machine the measured rates move
# with the other load; the CPU per execution and the bound move much less.
# JOBSD_ARGS adds jobsd flags; BROKER_CONF appends lines to the broker's
# config. Builds nothing (JOBSD=, JDBENCH=, MQTT_ECHO= override the paths).
# Exit status 0, 1 if a device-mqtt run had errors, 3 if a server did not
# come up.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
JOBSD=${JOBSD:-$root/build/jobsd}
JDBENCH=${JDBENCH:-$root/build/bench/jdbench}
MQTT_ECHO=${MQTT_ECHO:-$root/build/bench/mqtt_echo}
JOBSD_ARGS=${JOBSD_ARGS:-}
rounds=2 things=5000 jobs=6 threads=2 duration=60 cap= qos=1
while [[ $# -gt 0 ]]; do
	case $1 in
	--rounds) rounds=$2 ;;
	--things) things=$2 ;;
	--jobs) jobs=$2 ;;
	--mqtt-threads) threads=$2 ;;
	--duration) duration=$2 ;;
	--hard-cap) cap=$2 ;;
	--mqtt-qos) qos=$2 ;;
	*)
		echo "run-mqtt-ceiling.sh: unknown option $1" >&2
		exit 2
		;;
	esac
	shift 2 || { echo "run-mqtt-ceiling.sh: $1 needs a value" >&2; exit 2; }
done
cap=${cap:-$((duration + 60))}
for bin in "$JOBSD" "$JDBENCH" "$MQTT_ECHO"; do
	[[ -x $bin ]] || { echo "run-mqtt-ceiling.sh: $bin not built" >&2; exit 2; }
done
command -v mosquitto >/dev/null || { echo "run-mqtt-ceiling.sh: mosquitto not installed" >&2; exit 3; }
hz=$(getconf CLK_TCK)
cpus=$(nproc)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jdceil.XXXXXX")
broker=
rpid=
drain=
cleanup() {
	stop_pid "$rpid"
	stop_pid "$broker"
	[[ -n $drain ]] && kill "$drain" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

mport=$(free_port)
if [[ -n ${BROKER_CONF:-} ]]; then
	"$root/scripts/broker.sh" "$tmp/broker" "$mport" >/dev/null
	printf '%s\n' "$BROKER_CONF" >>"$tmp/broker/mosquitto.conf"
fi
start_broker run-mqtt-ceiling.sh "$tmp/broker" "$mport" || exit 3
export JOBSD_MQTT_PASSWORD
JOBSD_MQTT_PASSWORD=$(cat "$tmp/broker/jobsd.password")

ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# start_responder KIND R: start mqtt_echo or jobsd, wait until it is ready;
# sets rpid and, for jobsd, control
start_responder() {
	local kind=$1 r=$2 line
	mkfifo "$tmp/stdout.$kind.$r"
	if [[ $kind == echo ]]; then
		"$MQTT_ECHO" --mqtt "127.0.0.1:$mport" --jobs "$jobs" --username jobsd --qos "$qos" \
			>"$tmp/stdout.$kind.$r" 2>"$tmp/$kind.$r.log" &
	else
		# shellcheck disable=SC2086
		"$JOBSD" --listen 127.0.0.1:0 --data-listen 127.0.0.1:0 \
			--store "sqlite:$tmp/bench$r.db" --auth off --log-level warn \
			--mqtt "127.0.0.1:$mport" --mqtt-username jobsd $JOBSD_ARGS \
			>"$tmp/stdout.$kind.$r" 2>"$tmp/$kind.$r.log" &
	fi
	rpid=$!
	exec 3<"$tmp/stdout.$kind.$r"
	if ! read -r -t 30 line <&3; then
		echo "run-mqtt-ceiling.sh: $kind did not start; its log:" >&2
		tail -n 20 "$tmp/$kind.$r.log" >&2
		exit 3
	fi
	cat <&3 >"$tmp/rest.$kind.$r" &
	drain=$!
	exec 3<&-
	control=
	if [[ $kind == jobsd ]]; then
		local re='^jobsd ready control=([^ ]+) data=([^ ]+)$'
		[[ $line =~ $re ]] || { echo "run-mqtt-ceiling.sh: unexpected ready line: $line" >&2; exit 3; }
		control=${BASH_REMATCH[1]}
	fi
}

stop_responder() {
	stop_pid "$rpid"
	rpid=
	[[ -n $drain ]] && wait "$drain" 2>/dev/null || true
	drain=
}

rc=0
summary=()
for r in $(seq 1 "$rounds"); do
	declare -A rate=() total=() brk=()
	for kind in echo jobsd; do
		start_responder "$kind" "$r"
		args=(--things "$things" --jobs "$jobs" --mqtt-threads "$threads" --duration "$duration"
			--hard-cap "$cap" --mqtt "127.0.0.1:$mport" --mqtt-qos "$qos" --prefix "r$r$kind-")
		if [[ $kind == echo ]]; then
			args+=(--setup none)
		else
			args+=(--control "$control")
		fi
		echo "# round $r responder $kind"
		out=$tmp/out.$kind.$r
		"$JDBENCH" scenario device-mqtt "${args[@]}" \
			2> >(while IFS= read -r l; do
				if [[ $l == *"devices subscribed"*running* ]]; then
					echo "$(ticks "$rpid") $(ticks "$broker")" >"$tmp/snap0"
				fi
				printf '%s\n' "$l" >&2
			done) | tee "$out" || rc=1
		sleep 0.2 # the stderr reader's last line
		r1=$(ticks "$rpid")
		b1=$(ticks "$broker")
		read -r r0 b0 <"$tmp/snap0" || { r0=0; b0=0; }
		rm -f "$tmp/snap0"
		line=$(awk -v rr=$((r1 - r0)) -v b=$((b1 - b0)) -v hz="$hz" -v round="$r" -v kind="$kind" '
		function val(k,   i, kv) { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) return kv[2] } }
		/^op=MqttExecution / { n = val("requests"); rps = val("rps") }
		/^op=MqttGeneratorCpu / { g = val("run_cpu_s"); nt = val("notifications") }
		END {
			if (n > 0) printf "op=mqtt-ceiling round=%s responder=%s exec_per_s=%.0f executions=%d notifications=%d responder_us=%.1f broker_us=%.1f generator_us=%.1f total_us=%.1f\n",
				round, kind, rps, n, nt, rr / hz * 1e6 / n, b / hz * 1e6 / n, g * 1e6 / n, (rr / hz + b / hz + g) * 1e6 / n
		}' "$out")
		echo "$line"
		summary+=("$line")
		rate[$kind]=$(sed -n 's/.*exec_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
		total[$kind]=$(sed -n 's/.*total_us=\([0-9.]*\).*/\1/p' <<<"$line")
		brk[$kind]=$(sed -n 's/.*broker_us=\([0-9.]*\).*/\1/p' <<<"$line")
		stop_responder
		if [[ $kind == jobsd ]] && grep -v -e 'AUTH IS OFF' -e 'TEST-RIG MODE' "$tmp/jobsd.$r.log" | grep -q .; then
			echo "run-mqtt-ceiling.sh: jobsd logged:" >&2
			grep -v -e 'AUTH IS OFF' -e 'TEST-RIG MODE' "$tmp/jobsd.$r.log" | tail -n 5 >&2
		fi
		rm -f "$tmp/bench$r.db"*
	done
	summary+=("$(awk -v e="${rate[echo]:-0}" -v j="${rate[jobsd]:-0}" -v round="$r" \
		-v et="${total[echo]:-0}" -v jt="${total[jobsd]:-0}" -v eb="${brk[echo]:-0}" -v jb="${brk[jobsd]:-0}" -v cpus="$cpus" '
		function bound(t, b,   c, m) { if (t <= 0 || b <= 0) return 0; c = cpus * 1e6 / t; m = 1e6 / b; return c < m ? c : m }
		BEGIN {
			be = bound(et, eb); bj = bound(jt, jb)
			printf "op=mqtt-ceiling-ratio round=%s echo_exec_per_s=%s jobsd_exec_per_s=%s jobsd_per_echo=%.2f cpu_bound_echo=%.0f cpu_bound_jobsd=%.0f cpu_bound_ratio=%.2f\n",
				round, e, j, (e > 0 ? j / e : 0), be, bj, (be > 0 ? bj / be : 0)
		}')")
	unset rate total brk
done
echo "# summary (CPU in microseconds per completed execution; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "${summary[@]}"
exit "$rc"
