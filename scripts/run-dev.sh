#!/bin/sh
# `make run`: start jobsd on 127.0.0.1 with its SQLite file under ./data,
# print the endpoints and a working AWS CLI example, and stay in the foreground.
set -eu

cd "$(dirname "$0")/.."
BIN=build/jobsd
PORT=${JOBSD_PORT:-8443}
DATA_PORT=${JOBSD_DATA_PORT:-8444}
mkdir -p data

cat <<MSG
jobsd: control plane  http://127.0.0.1:$PORT   (service iot)
       device plane   http://127.0.0.1:$DATA_PORT   (service iot-jobs-data)
       state          ./data/jobsd.db
Try, in another shell:
  export AWS_ACCESS_KEY_ID=AKIDJOBSDDEV AWS_SECRET_ACCESS_KEY=jobsd-dev-secret AWS_DEFAULT_REGION=us-east-1
  aws iot create-thing --thing-name dev-1 --endpoint-url http://127.0.0.1:$PORT
  aws iot create-job --job-id hello --targets arn:aws:iot:us-east-1:123456789012:thing/dev-1 \\
      --document '{"op":"hello"}' --endpoint-url http://127.0.0.1:$PORT
  aws iot-jobs-data get-pending-job-executions --thing-name dev-1 --endpoint-url http://127.0.0.1:$DATA_PORT
(authentication is off in this version: any key works). Stop with Ctrl-C.
MSG
exec "$BIN" --listen "127.0.0.1:$PORT" --data-listen "127.0.0.1:$DATA_PORT" \
	--store sqlite:./data/jobsd.db "$@"
