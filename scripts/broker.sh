#!/bin/sh
# Prepare (and optionally start) a local Mosquitto for jobsd from the config
# shipped in contrib/mosquitto: `scripts/broker.sh DIR PORT` writes
# DIR/mosquitto.conf, DIR/acl and DIR/passwd (user "jobsd" with a random
# password kept in DIR/jobsd.password, mode 600) and prints the password file
# path. With START=1 it then execs mosquitto in the foreground.
set -eu
dir=$1
port=$2
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
chmod 700 "$dir"
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" -e "s|@USER@|$(id -un)|g" "$here/contrib/mosquitto/mosquitto.conf.in" > "$dir/mosquitto.conf"
cp "$here/contrib/mosquitto/acl" "$dir/acl"
if [ ! -s "$dir/jobsd.password" ]; then
	umask 077
	head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/jobsd.password"
fi
rm -f "$dir/passwd"
umask 077
: > "$dir/passwd"
mosquitto_passwd -b "$dir/passwd" jobsd "$(cat "$dir/jobsd.password")"
if [ "${START:-0}" = 1 ]; then
	exec mosquitto -c "$dir/mosquitto.conf"
fi
