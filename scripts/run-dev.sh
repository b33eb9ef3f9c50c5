#!/bin/sh
# `make run`: start a local Mosquitto (contrib/mosquitto) and jobsd on
# 127.0.0.1 with its SQLite file under ./data, print the endpoints and a
# working AWS CLI example, and stay in the foreground until Ctrl-C.
set -eu

cd "$(dirname "$0")/.."
BIN=build/jobsd
PORT=${JOBSD_PORT:-8443}
DATA_PORT=${JOBSD_DATA_PORT:-8444}
MQTT_PORT=${JOBSD_MQTT_PORT:-18830}
mkdir -p data

./scripts/broker.sh "$PWD/data/mosquitto" "$MQTT_PORT" >/dev/null
mosquitto -c "$PWD/data/mosquitto/mosquitto.conf" &
broker=$!
trap 'kill "$broker" 2>/dev/null || true' EXIT INT TERM

cat <<MSG
jobsd: control plane  http://127.0.0.1:$PORT   (service iot)
       device plane   http://127.0.0.1:$DATA_PORT   (service iot-jobs-data)
       MQTT broker    127.0.0.1:$MQTT_PORT   (devices: client id = thing name)
       state          ./data/jobsd.db
Try, in another shell:
  export AWS_ACCESS_KEY_ID=AKIDJOBSDDEV AWS_SECRET_ACCESS_KEY=jobsd-dev-secret AWS_DEFAULT_REGION=us-east-1
  aws iot create-thing --thing-name dev-1 --endpoint-url http://127.0.0.1:$PORT
  aws iot create-job --job-id hello --targets arn:aws:iot:us-east-1:123456789012:thing/dev-1 \\
      --document '{"op":"hello"}' --endpoint-url http://127.0.0.1:$PORT
  aws iot-jobs-data get-pending-job-executions --thing-name dev-1 --endpoint-url http://127.0.0.1:$DATA_PORT
  mosquitto_sub -p $MQTT_PORT -i dev-1 -t '\$aws/things/dev-1/jobs/#' -v
(authentication is off in this version: any key works). Stop with Ctrl-C.
MSG
JOBSD_MQTT_PASSWORD=$(cat data/mosquitto/jobsd.password) \
"$BIN" --listen "127.0.0.1:$PORT" --data-listen "127.0.0.1:$DATA_PORT" \
	--store sqlite:./data/jobsd.db --mqtt "127.0.0.1:$MQTT_PORT" --mqtt-username jobsd "$@"
