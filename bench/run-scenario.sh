#!/usr/bin/env bash
# run-scenario.sh: start a throwaway jobsd (and, for device-mqtt, a throwaway
# Mosquitto from the shipped config), run one jdbench scenario against it,
# then report jobsd's peak RSS and database size and stop everything.
#
#   bench/run-scenario.sh NAME [--store sqlite|postgres] [--nodes N] [jdbench options...]
#   NAME: basic, control-read, control-write, device-http, fanout, device-mqtt
#   --store postgres: a throwaway PostgreSQL (tests/integration/pgkit.py, as the
#     postgres user when run as root) unless JOBSD_PG_URI names a database;
#     default sqlite (a file in the temporary directory).
#   --nodes N (postgres only): N jobsd nodes on the one database, each loaded by
#     its own jdbench (names prefixed nK-, the connections split between them),
#     all at once; prints each node's figures (node=K), the total requests/s
#     of each operation, each node's CPU seconds and PostgreSQL's CPU seconds
#     over the run, and PostgreSQL's CPU time per request (bench/README.md,
#     "PostgreSQL").
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
store=sqlite
nodes=1
args=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--store)
		store=${2:-}
		shift 2 || { echo "run-scenario.sh: --store needs sqlite or postgres" >&2; exit 2; }
		;;
	--nodes)
		nodes=${2:-}
		shift 2 || { echo "run-scenario.sh: --nodes needs a number" >&2; exit 2; }
		;;
	*)
		args+=("$1")
		shift
		;;
	esac
done
set -- "${args[@]}"
case $store in
sqlite | postgres) ;;
*)
	echo "run-scenario.sh: --store sqlite or postgres, not '$store'" >&2
	exit 2
	;;
esac
[[ $nodes =~ ^[1-9]$ ]] || { echo "run-scenario.sh: --nodes 1..9" >&2; exit 2; }
if [[ $nodes -gt 1 && $store != postgres ]]; then
	echo "run-scenario.sh: --nodes needs --store postgres" >&2
	exit 2
fi
if [[ $store == postgres && -z ${JOBSD_PG_URI:-} ]]; then
	# a throwaway server for this run; pgkit sets JOBSD_PG_URI and stops it after
	exec python3 "$root/tests/integration/pgkit.py" run --db jdbench -- \
		"$0" "$scenario" --store postgres --nodes "$nodes" "$@"
fi
case $scenario in
basic | control-read | control-write | device-http | fanout | device-mqtt | create-targets | associate-targets | fanout-under-load) ;;
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
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		stop_pid "$p"
	done
	stop_pid "$broker"
	for p in $drain; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
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

if [[ $store == postgres ]]; then
	spec=$JOBSD_PG_URI
else
	spec="sqlite:$tmp/bench.db"
fi

# start_node K: jobsd node K on the store; sets control[K], data[K], pids[K]
pids=()
control=()
data=()
start_node() {
	local k=$1 line
	mkfifo "$tmp/stdout$k"
	# shellcheck disable=SC2086
	"$JOBSD" --listen 127.0.0.1:0 --data-listen 127.0.0.1:0 --store "$spec" \
		--auth off --log-level warn --node-id "bench$k" "${jobsd_mqtt[@]}" $JOBSD_ARGS \
		>"$tmp/stdout$k" 2>"$tmp/jobsd$k.log" &
	pids[k]=$!
	exec 3<"$tmp/stdout$k"
	line=
	if ! read -r -t "$READY_TIMEOUT" line <&3; then
		echo "run-scenario.sh: jobsd printed no ready line within ${READY_TIMEOUT}s; its log:" >&2
		tail -n 20 "$tmp/jobsd$k.log" >&2 || true
		exit 3
	fi
	# JOBSD_ARGS="--admin-listen ADDR:PORT": its line comes first
	if [[ $line == "jobsd admin="* ]] && ! read -r -t "$READY_TIMEOUT" line <&3; then
		echo "run-scenario.sh: jobsd printed no ready line within ${READY_TIMEOUT}s" >&2
		exit 3
	fi
	# Keep reading jobsd's stdout so it can never block on a full pipe.
	cat <&3 >/dev/null &
	drain="$drain $!"
	exec 3<&-
	local re='^jobsd ready control=([^ ]+) data=([^ ]+)$'
	if [[ ! $line =~ $re ]]; then
		echo "run-scenario.sh: unexpected ready line: $line" >&2
		exit 3
	fi
	control[k]=${BASH_REMATCH[1]}
	data[k]=${BASH_REMATCH[2]}
}
for k in $(seq 1 "$nodes"); do
	start_node "$k"
done
pid=${pids[1]}

# cpu_ticks PID...: user+system clock ticks of these processes so far
cpu_ticks() {
	local t=0 p f
	for p in "$@"; do
		if [[ -r /proc/$p/stat ]]; then
			f=$(sed 's/^.*) //' "/proc/$p/stat")
			# fields after the command: state is 1, utime 12, stime 13
			t=$((t + $(echo "$f" | awk '{ print $12 + $13 }')))
		fi
	done
	echo "$t"
}
# the PostgreSQL server's processes (postmaster and backends), by its port
pg_pids() {
	[[ $store == postgres ]] || return 0
	local port master
	port=$(sed -E 's|^.*:([0-9]+)/.*$|\1|' <<<"$spec")
	master=$(pgrep -o -f "postgres .*-p $port( |$)" || true)
	[[ -n $master ]] && echo "$master" $(pgrep -P "$master" || true)
}
hz=$(getconf CLK_TCK)

rc=0
if [[ $nodes -eq 1 ]]; then
	pg0=$(cpu_ticks $(pg_pids))
	n0=$(cpu_ticks "$pid")
	"$JDBENCH" scenario "$scenario" --control "${control[1]}" --data "${data[1]}" "${mqtt_args[@]}" "$@" \
		| tee "$tmp/out1" || rc=$?
	pg1=$(cpu_ticks $(pg_pids))
	n1=$(cpu_ticks "$pid")
	if [[ $store == postgres ]]; then
		awk -v pg=$(((pg1 - pg0))) -v node=$(((n1 - n0))) -v hz="$hz" '
		/^op=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "requests") r += kv[2] } }
		END { if (r > 0) printf "op=cpu store=postgres nodes=1 node_cpu_s=%.2f pg_cpu_s=%.2f requests=%d pg_us_per_req=%.1f node_us_per_req=%.1f\n", node / hz, pg / hz, r, pg / hz * 1e6 / r, node / hz * 1e6 / r }' "$tmp/out1"
	fi
else
	# every node gets its own jdbench, names nK-..., the connections split
	conns=64
	for ((i = 0; i < $#; i++)); do
		a=${args[i]}
		if [[ $a == --connections ]]; then
			conns=${args[i + 1]}
		fi
	done
	pg0=$(cpu_ticks $(pg_pids))
	declare -A n0
	for k in $(seq 1 "$nodes"); do
		n0[$k]=$(cpu_ticks "${pids[k]}")
	done
	bpids=()
	for k in $(seq 1 "$nodes"); do
		rest=()
		skip=0
		for a in "$@"; do
			if [[ $skip -eq 1 ]]; then
				skip=0
				continue
			fi
			if [[ $a == --connections ]]; then
				skip=1
				continue
			fi
			rest+=("$a")
		done
		"$JDBENCH" scenario "$scenario" --control "${control[k]}" --data "${data[k]}" \
			--prefix "n$k-" --connections $(((conns + nodes - 1) / nodes)) "${mqtt_args[@]}" \
			"${rest[@]}" >"$tmp/out$k" 2>&1 &
		bpids+=($!)
	done
	for b in "${bpids[@]}"; do
		wait "$b" || rc=$?
	done
	pg1=$(cpu_ticks $(pg_pids))
	for k in $(seq 1 "$nodes"); do
		sed "s/^/node=$k /" "$tmp/out$k"
		echo "op=cpu node=$k node_cpu_s=$(awk -v t=$(($(cpu_ticks "${pids[k]}") - n0[$k])) -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')"
	done
	cat "$tmp"/out[0-9]* | awk -v pg=$((pg1 - pg0)) -v hz="$hz" -v n="$nodes" '
	/^op=/ {
		op = ""; r = 0; s = 0
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "op") op = kv[2]
			if (kv[1] == "rps") s = kv[2]
			if (kv[1] == "requests") r = kv[2]
		}
		if (op != "" && s > 0) { rps[op] += s; req[op] += r; all += r }
	}
	END {
		for (op in rps) printf "op=%s nodes=%d total_rps=%.1f\n", op, n, rps[op]
		if (all > 0) printf "op=cpu store=postgres nodes=%d pg_cpu_s=%.2f requests=%d pg_us_per_req=%.1f\n", n, pg / hz, all, pg / hz * 1e6 / all
	}'
fi

for k in $(seq 1 "$nodes"); do
	if ! kill -0 "${pids[k]}" 2>/dev/null; then
		echo "run-scenario.sh: jobsd node $k exited during the run; its log:" >&2
		tail -n 20 "$tmp/jobsd$k.log" >&2 || true
		[[ $rc -eq 0 ]] && rc=1
		exit "$rc"
	fi
done
size() { if [[ -f $1 ]]; then stat -c %s "$1"; else echo 0; fi; }
if [[ $store == postgres ]]; then
	db=$(psql -X -q -t -A -d "$spec" -c 'SELECT pg_database_size(current_database())' 2>/dev/null || echo 0)
	wal=0
else
	db=$(size "$tmp/bench.db")
	wal=$(size "$tmp/bench.db-wal")
fi
for k in $(seq 1 "$nodes"); do
	hwm_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/${pids[k]}/status")
	if [[ $json -eq 1 ]]; then
		printf '{"op":"jobsd","scenario":"%s","store":"%s","node":%s,"peak_rss_kb":%s,"db_bytes":%s,"wal_bytes":%s}\n' \
			"$scenario" "$store" "$k" "$hwm_kb" "$db" "$wal"
	else
		printf 'op=jobsd scenario=%s store=%s node=%s peak_rss_kb=%s db_bytes=%s wal_bytes=%s\n' \
			"$scenario" "$store" "$k" "$hwm_kb" "$db" "$wal"
	fi
done
# The start-up warnings (auth off, test rig) are expected; show anything else.
cat "$tmp"/jobsd[0-9]*.log | grep -v -e 'AUTH IS OFF' -e 'TEST-RIG MODE' >"$tmp/jobsd.other" || true
if [[ -s $tmp/jobsd.other ]]; then
	echo "run-scenario.sh: jobsd logged $(wc -l <"$tmp/jobsd.other") other line(s); last ones:" >&2
	tail -n 5 "$tmp/jobsd.other" >&2
fi
exit "$rc"
