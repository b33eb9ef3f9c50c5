#!/usr/bin/env bash
# `make cluster`: try several nodes on one machine. Starts, on 127.0.0.1:
#   - PostgreSQL (Debian's postgresql-15) in a temporary directory, as the
#     unprivileged `postgres` user when run as root (it refuses root), on a
#     free port, trust authentication for the local user `jobsd`;
#   - Mosquitto from contrib/mosquitto (scripts/broker.sh);
#   - NODES jobsd nodes (default 3), --node-id node1..nodeN, all on the same
#     --store postgres://... URI and the same broker, SigV4 on with one
#     generated key pair;
#   - HAProxy in front of them (contrib/haproxy/haproxy.cfg with this run's
#     ports) when haproxy is installed;
# prints how to reach them and stays in the foreground; Ctrl-C (or SIGTERM)
# stops everything, nodes first, and removes the temporary directory.
#
#   scripts/cluster.sh [--check] [--nodes N]
#     --check   exit 0 as soon as every node is ready and answered a signed
#               request, after stopping everything (what the test runs)
#   Ports: CLUSTER_PORT (default 8443) is HAProxy's control port, +1 its
#   device port; node k listens on CLUSTER_NODE_PORT+10(k-1) (default 9001)
#   for the control plane and +1 for the device plane; CLUSTER_MQTT_PORT
#   (default 18830). --check (or CLUSTER_FREE_PORTS=1) picks free ports instead.
# Builds nothing: build/jobsd must exist (make cluster builds it first).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
JOBSD=${JOBSD:-$here/build/jobsd}
check=0
nodes=3
while [[ $# -gt 0 ]]; do
	case $1 in
	--check) check=1 ;;
	--nodes)
		nodes=${2:?--nodes needs a number}
		shift
		;;
	*)
		echo "usage: cluster.sh [--check] [--nodes N]" >&2
		exit 2
		;;
	esac
	shift
done
[[ $nodes =~ ^[1-9]$ ]] || { echo "cluster.sh: --nodes 1..9" >&2; exit 2; }
[[ -x $JOBSD ]] || { echo "cluster.sh: $JOBSD not built (make build)" >&2; exit 2; }
command -v mosquitto >/dev/null || { echo "cluster.sh: mosquitto not installed (make deps)" >&2; exit 2; }
pgbin=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[[ -x $pgbin/postgres ]] || { echo "cluster.sh: PostgreSQL server not installed (make deps)" >&2; exit 2; }

# free_ports N: N distinct TCP ports free on 127.0.0.1 now, one a line
free_ports() {
	python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-cluster.XXXXXX")
chmod 755 "$tmp"
pids=()
broker=
haproxy=
pg=
as_pg=()
stopping=0
cleanup() {
	[[ $stopping -eq 1 ]] && return
	stopping=1
	local p
	for p in "${pids[@]}" $haproxy $broker; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}" $haproxy $broker; do
		wait "$p" 2>/dev/null || true
	done
	if [[ -n $pg ]]; then
		# SIGINT: PostgreSQL's fast shutdown
		kill -INT "$pg" 2>/dev/null || true
		wait "$pg" 2>/dev/null || true
	fi
	rm -rf "$tmp"
	echo "cluster: stopped"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mapfile -t spare < <(free_ports $((4 + 3 * nodes)))
pg_port=${spare[0]}
free=$check
[[ ${CLUSTER_FREE_PORTS:-0} == 1 ]] && free=1
if [[ $free -eq 1 ]]; then
	port=${spare[1]}
	dport=${spare[2]}
	mqtt_port=${spare[3]}
else
	port=${CLUSTER_PORT:-8443}
	dport=$((port + 1))
	mqtt_port=${CLUSTER_MQTT_PORT:-18830}
fi
node_port=${CLUSTER_NODE_PORT:-9001}

# PostgreSQL: as postgres when we are root (it refuses to run as root)
if [[ $(id -u) -eq 0 ]]; then
	id postgres >/dev/null 2>&1 || { echo "cluster.sh: no postgres user" >&2; exit 2; }
	as_pg=(setpriv --reuid=postgres --regid=postgres --clear-groups --reset-env --)
	mkdir "$tmp/pg"
	chown postgres:postgres "$tmp/pg"
else
	mkdir "$tmp/pg"
fi
"${as_pg[@]}" "$pgbin/initdb" -D "$tmp/pg/data" -A trust -U jobsd -N -E UTF8 --locale=C \
	--no-instructions >"$tmp/initdb.log" 2>&1 ||
	{ echo "cluster.sh: initdb failed:" >&2; tail -n 5 "$tmp/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/postgres" -D "$tmp/pg/data" -p "$pg_port" -k "$tmp/pg" \
	-c listen_addresses=127.0.0.1 -c max_connections=200 >"$tmp/postgres.log" 2>&1 &
pg=$!
for _ in $(seq 1 300); do
	if pg_isready -q -h 127.0.0.1 -p "$pg_port" 2>/dev/null; then
		break
	fi
	kill -0 "$pg" 2>/dev/null || { echo "cluster.sh: PostgreSQL exited:" >&2; tail -n 5 "$tmp/postgres.log" >&2; exit 1; }
	sleep 0.1
done
pg_isready -q -h 127.0.0.1 -p "$pg_port" || { echo "cluster.sh: PostgreSQL not ready in 30 s" >&2; exit 1; }
psql -X -q -d "postgres://jobsd@127.0.0.1:$pg_port/postgres" -c 'CREATE DATABASE jobsd' >/dev/null
store="postgres://jobsd@127.0.0.1:$pg_port/jobsd"

# the broker
"$here/scripts/broker.sh" "$tmp/mosquitto" "$mqtt_port" >/dev/null
mosquitto -c "$tmp/mosquitto/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
broker=$!

# one key pair for every node
key=AKID$(LC_ALL=C tr -dc 'A-Z0-9' </dev/urandom | head -c 16 || true)
secret=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40 || true)
(umask 077 && printf '%s %s admin\n' "$key" "$secret" >"$tmp/credentials")

# the nodes, started together: each prints its ready line on stdout (a FIFO)
ctl=()
dat=()
adm=()
fds=()
for k in $(seq 1 "$nodes"); do
	if [[ $free -eq 1 ]]; then
		c=${spare[2 + 2 * k]}
		d=${spare[3 + 2 * k]}
		a=${spare[3 + 2 * nodes + k]}
	else
		c=$((node_port + 10 * (k - 1)))
		d=$((c + 1))
		a=$((c + 2))
	fi
	ctl+=("$c")
	dat+=("$d")
	adm+=("$a")
	mkfifo "$tmp/node$k.out"
	# the things' MQTT shards are leased in PostgreSQL and move between the nodes (D24)
	JOBSD_MQTT_PASSWORD=$(cat "$tmp/mosquitto/jobsd.password") \
		"$JOBSD" --node-id "node$k" --store "$store" \
		--listen "127.0.0.1:$c" --data-listen "127.0.0.1:$d" --admin-listen "127.0.0.1:$a" \
		--auth sigv4 --credentials-file "$tmp/credentials" \
		--mqtt "127.0.0.1:$mqtt_port" --mqtt-username jobsd --mqtt-client-id "jobsd-node$k" \
		--log-level warn \
		>"$tmp/node$k.out" 2>"$tmp/node$k.log" &
	pids+=($!)
	exec {fd}<"$tmp/node$k.out"
	fds+=("$fd")
done
for k in $(seq 1 "$nodes"); do
	fd=${fds[k - 1]}
	line=
	# the admin listener's line (`jobsd admin=...`) comes first
	while read -r -t 60 line <&"$fd" && [[ $line == "jobsd admin="* ]]; do :; done
	if [[ $line != "jobsd ready "* ]]; then
		echo "cluster.sh: node$k did not start; its log:" >&2
		tail -n 10 "$tmp/node$k.log" >&2
		exit 1
	fi
	cat <&"$fd" >/dev/null &
	exec {fd}<&-
done

# HAProxy in front, when installed: the shipped config with this run's ports
proxy=""
if command -v haproxy >/dev/null; then
	cfg=$tmp/haproxy.cfg
	awk -v port="$port" -v dport="$dport" -v n="$nodes" -v ctl="${ctl[*]}" -v dat="${dat[*]}" \
		-v adm="${adm[*]}" '
	BEGIN { split(ctl, c, " "); split(dat, d, " "); split(adm, a, " ") }
	/^\tbind 127.0.0.1:8443/ { print "\tbind 127.0.0.1:" port; next }
	/^\tbind 127.0.0.1:8444/ { print "\tbind 127.0.0.1:" dport; next }
	/^\tserver node1 127.0.0.1:9001 / { for (k = 1; k <= n; k++) print "\tserver node" k " 127.0.0.1:" c[k] " port " a[k]; next }
	/^\tserver node1 127.0.0.1:9002 / { for (k = 1; k <= n; k++) print "\tserver node" k " 127.0.0.1:" d[k] " port " a[k]; next }
	/^\tserver node[0-9]/ { next }
	{ print }' "$here/contrib/haproxy/haproxy.cfg" >"$cfg"
	haproxy -f "$cfg" -db >"$tmp/haproxy.log" 2>&1 &
	haproxy=$!
	proxy="http://127.0.0.1:$port"
fi

# every node answers a signed request, and so does the proxy when there is one
# (its health checks need a second or two to mark the nodes up)
urls=()
for k in $(seq 1 "$nodes"); do
	urls+=("http://127.0.0.1:${ctl[k - 1]}")
done
if ! python3 - "$key" "$secret" "$proxy" "${urls[@]}" <<'PY'; then
import sys, time, boto3, botocore.config
key, secret, proxy, urls = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def client(url):
    return boto3.client('iot', endpoint_url=url, region_name='us-east-1',
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={'max_attempts': 1},
                                                      connect_timeout=2, read_timeout=10))
for url in urls:
    client(url).list_jobs(maxResults=1)
if proxy:
    deadline = time.monotonic() + 15
    while True:
        try:
            client(proxy).list_jobs(maxResults=1)
            break
        except Exception as e:
            if time.monotonic() > deadline:
                sys.exit('HAProxy (%s) does not answer: %s' % (proxy, e))
            time.sleep(0.2)
PY
	echo "cluster.sh: the cluster does not answer (logs: node*.log, haproxy.log)" >&2
	exit 1
fi

echo "cluster ready: $nodes nodes on one PostgreSQL (state in $tmp)"
echo "  PostgreSQL  $store   (psql -d $store)"
echo "  MQTT broker 127.0.0.1:$mqtt_port   (devices: client id = thing name)"
for k in $(seq 1 "$nodes"); do
	echo "  node$k       control http://127.0.0.1:${ctl[k - 1]}  device http://127.0.0.1:${dat[k - 1]}  admin http://127.0.0.1:${adm[k - 1]}/readyz  log $tmp/node$k.log"
done
if [[ -n $proxy ]]; then
	echo "  HAProxy     control $proxy  device http://127.0.0.1:$dport  (round robin, health-checked)"
else
	echo "  (install haproxy to get one address in front of the nodes)"
fi
echo "Try, in another shell:"
echo "  export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_DEFAULT_REGION=us-east-1"
echo "  aws iot create-thing --thing-name dev-1 --endpoint-url http://127.0.0.1:${ctl[0]}"
echo "  aws iot list-things --endpoint-url http://127.0.0.1:${ctl[$((nodes - 1))]}"
if [[ $check -eq 1 ]]; then
	exit 0
fi
echo "Stop with Ctrl-C."
wait "${pids[0]}"
