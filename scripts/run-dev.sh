#!/bin/sh
# `make run`: start a local Mosquitto (contrib/mosquitto) and jobsd on
# 127.0.0.1 with its SQLite file under ./data, print the endpoints and a
# working AWS CLI example, and stay in the foreground until Ctrl-C.
# SigV4 is on (D18): the first run writes a development key pair to
# ./data/credentials (mode 600); its first pair goes into the example.
set -eu

cd "$(dirname "$0")/.."
BIN=build/jobsd
PORT=${JOBSD_PORT:-8443}
DATA_PORT=${JOBSD_DATA_PORT:-8444}
MQTT_PORT=${JOBSD_MQTT_PORT:-18830}
ADMIN_PORT=${JOBSD_ADMIN_PORT:-9464}
CREDS=data/credentials
TOKEN=data/admin.token
mkdir -p data

if [ ! -f "$CREDS" ]; then
	key=AKID$(LC_ALL=C tr -dc 'A-Z0-9' </dev/urandom | head -c 16)
	secret=$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 40)
	(umask 077 && printf '# jobsd credentials: ACCESS_KEY_ID SECRET_ACCESS_KEY [admin], one pair a line;\n# admin: may call the test-rig endpoints (--test-rig). Edit, then `kill -HUP <jobsd pid>` to reload.\n%s %s admin\n' \
		"$key" "$secret" >"$CREDS")
	echo "jobsd: wrote a development key pair to ./$CREDS"
fi
# the admin listener's bearer token (/metrics; the health checks need none)
if [ ! -f "$TOKEN" ]; then
	(umask 077 && LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32 >"$TOKEN")
fi
pair=$(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$CREDS" | head -n 1)
KEY_ID=$(printf '%s\n' "$pair" | awk '{print $1}')
SECRET=$(printf '%s\n' "$pair" | awk '{print $2}')
if [ -z "$KEY_ID" ] || [ -z "$SECRET" ]; then
	echo "jobsd: ./$CREDS holds no key pair; remove it to get a new one" >&2
	exit 1
fi

./scripts/broker.sh "$PWD/data/mosquitto" "$MQTT_PORT" >/dev/null
mosquitto -c "$PWD/data/mosquitto/mosquitto.conf" &
broker=$!
trap 'kill "$broker" 2>/dev/null || true' EXIT INT TERM

cat <<MSG
jobsd: control plane  http://127.0.0.1:$PORT   (service iot)
       device plane   http://127.0.0.1:$DATA_PORT   (service iot-jobs-data)
       MQTT broker    127.0.0.1:$MQTT_PORT   (devices: client id = thing name)
       admin          http://127.0.0.1:$ADMIN_PORT   (/healthz /readyz /metrics)
       state          ./data/jobsd.db
Try, in another shell:
  export AWS_ACCESS_KEY_ID=$KEY_ID AWS_SECRET_ACCESS_KEY=$SECRET AWS_DEFAULT_REGION=us-east-1
  aws iot create-thing --thing-name dev-1 --endpoint-url http://127.0.0.1:$PORT
  aws iot create-job --job-id hello --targets arn:aws:iot:us-east-1:123456789012:thing/dev-1 \\
      --document '{"op":"hello"}' --endpoint-url http://127.0.0.1:$PORT
  aws iot-jobs-data get-pending-job-executions --thing-name dev-1 --endpoint-url http://127.0.0.1:$DATA_PORT
  mosquitto_sub -p $MQTT_PORT -i dev-1 -t '\$aws/things/dev-1/jobs/#' -v
  curl -H "Authorization: Bearer \$(cat ./$TOKEN)" http://127.0.0.1:$ADMIN_PORT/metrics
Requests are checked with SigV4 against ./$CREDS (add key pairs there; SIGHUP reloads).
Stop with Ctrl-C.
MSG
JOBSD_MQTT_PASSWORD=$(cat data/mosquitto/jobsd.password) \
"$BIN" --listen "127.0.0.1:$PORT" --data-listen "127.0.0.1:$DATA_PORT" \
	--store sqlite:./data/jobsd.db --mqtt "127.0.0.1:$MQTT_PORT" --mqtt-username jobsd \
	--auth sigv4 --credentials-file "$CREDS" \
	--admin-listen "127.0.0.1:$ADMIN_PORT" --admin-token-file "$TOKEN" "$@"
