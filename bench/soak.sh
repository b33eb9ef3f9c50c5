#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup and stop_pid run from the EXIT trap
# soak.sh: one jobsd under mixed legitimate load and every attack of issue 13 at once,
# for a set time; fails on RSS growth after warm-up, descriptor growth, a lost
# acknowledged write, legitimate errors over 1%, or an attack that got through.
#
#   bench/soak.sh --minutes N | --seconds N [--plain] [--attacks LIST] [--keep]
#
#   --plain        HTTP listeners (default: HTTPS on both, device certificates on the
#                  data listener, from scripts/dev-certs.sh)
#   --attacks L    comma-separated subset of takeover,mqtt-flood,slow,bodies,retained,rig
#                  (default all); "none" for load only
#   --keep         keep the work directory (logs, database) even when the soak passes
#   other options after "--" go to bench/soak.py (e.g. -- --slow-sockets 1000)
#
# Starts Mosquitto from the shipped config (scripts/broker.sh) and jobsd (`build/jobsd`,
# or JOBSD=) with --auth sigv4 --test-rig on free loopback ports, then runs
# bench/soak.py (load, monitor, attacks in their own processes, checks). Prints one
# line every 10 s and a summary; bench/README.md "Soak" explains them. Builds nothing.
# Exit status: 0 pass, 1 fail, 2 usage or set-up failure, 3 jobsd or broker not up.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
JOBSD=${JOBSD:-$root/build/jobsd}
READY_TIMEOUT=${READY_TIMEOUT:-30}

seconds=
tls=1
attacks=takeover,mqtt-flood,slow,bodies,retained,rig
keep=0
extra=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--minutes) seconds=$(($2 * 60)); shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--plain) tls=0; shift ;;
	--attacks) attacks=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--) shift; extra=("$@"); break ;;
	*) echo "usage: soak.sh --minutes N | --seconds N [--plain] [--attacks LIST] [--keep] [-- soak.py options]" >&2; exit 2 ;;
	esac
done
[[ -n $seconds && $seconds =~ ^[0-9]+$ && $seconds -ge 30 ]] || {
	echo "soak.sh: give --minutes N or --seconds N (at least 30)" >&2
	exit 2
}
[[ $attacks == none ]] && attacks=
[[ -x $JOBSD ]] || { echo "soak.sh: $JOBSD not found or not executable (build first)" >&2; exit 2; }
command -v mosquitto >/dev/null || { echo "soak.sh: mosquitto not installed" >&2; exit 3; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-soak.XXXXXX")
pid=''
broker=''
drain=''
soak=''
rc=2
cleanup() {
	stop_pid "$soak" # soak.py stops its attack processes on SIGTERM
	stop_pid "$pid"
	stop_pid "$broker"
	if [[ -n $drain ]]; then
		kill "$drain" 2>/dev/null || true
		wait "$drain" 2>/dev/null || true
	fi
	if [[ $keep -eq 1 || $rc -ne 0 ]]; then
		echo "# soak.sh: logs and database kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'rc=130; exit 130' INT TERM

# ---- credentials and certificates
key=AKIDSOAK00000001
secret=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
(umask 077 && echo "$key $secret" >"$tmp/credentials")
(umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/admin.token")
tls_args=()
tls_py=()
if [[ $tls -eq 1 ]]; then
	things=(flooder retainer rigprobe)
	for i in $(seq 0 7); do things+=("d$i" "m$i"); done
	"$root/scripts/dev-certs.sh" "$tmp/certs" "${things[@]}" >/dev/null
	tls_args=(--tls-cert "$tmp/certs/server.crt" --tls-key "$tmp/certs/server.key"
		--data-client-ca "$tmp/certs/ca.crt")
	tls_py=(--ca "$tmp/certs/ca.crt" --certs "$tmp/certs")
fi

# ---- broker (the shipped configuration: jobsd's account, devices confined by client id)
mport=$(free_port)
start_broker soak.sh "$tmp/broker" "$mport" || { rc=3; exit 3; }

# ---- jobsd
mkfifo "$tmp/stdout"
export JOBSD_MQTT_PASSWORD
JOBSD_MQTT_PASSWORD=$(cat "$tmp/broker/jobsd.password")
"$JOBSD" --listen 127.0.0.1:0 --data-listen 127.0.0.1:0 --store "sqlite:$tmp/soak.db" \
	--auth sigv4 --credentials-file "$tmp/credentials" --test-rig --log-level warn \
	--mqtt "127.0.0.1:$mport" --mqtt-username jobsd "${tls_args[@]}" \
	--admin-listen 127.0.0.1:0 --admin-token-file "$tmp/admin.token" \
	>"$tmp/stdout" 2>"$tmp/jobsd.log" &
pid=$!
unset JOBSD_MQTT_PASSWORD
exec 3<"$tmp/stdout"
line=
admin=
# the admin listener's line (its /metrics gives the store's memory) comes first
if read -r -t "$READY_TIMEOUT" line <&3 && [[ $line =~ ^jobsd\ admin=([^ ]+)$ ]]; then
	admin=${BASH_REMATCH[1]}
	line=
	read -r -t "$READY_TIMEOUT" line <&3 || line=
fi
if [[ -z $line ]]; then
	echo "soak.sh: jobsd printed no ready line within ${READY_TIMEOUT}s; its log:" >&2
	tail -n 20 "$tmp/jobsd.log" >&2 || true
	rc=3
	exit 3
fi
cat <&3 >/dev/null &
drain=$!
exec 3<&-
re='^jobsd ready control=([^ ]+) data=([^ ]+)$'
if [[ ! $line =~ $re ]]; then
	echo "soak.sh: unexpected ready line: $line" >&2
	rc=3
	exit 3
fi
control=${BASH_REMATCH[1]}
data=${BASH_REMATCH[2]}

# ---- the soak
python3 "$here/soak.py" --control "$control" --data "$data" --mqtt-port "$mport" --pid "$pid" \
	--seconds "$seconds" --key "$key" --secret "$secret" --logdir "$tmp" \
	--attacks "$attacks" --admin "$admin" --admin-token-file "$tmp/admin.token" \
	"${tls_py[@]}" "${extra[@]}" &
soak=$!
rc=0
wait "$soak" || rc=$?
soak=
lines=$(wc -l <"$tmp/jobsd.log")
echo "# jobsd log: $lines line(s) ($tmp/jobsd.log); the last 3:"
tail -n 3 "$tmp/jobsd.log" | cut -c1-200 | sed 's/^/#   /'
exit "$rc"
