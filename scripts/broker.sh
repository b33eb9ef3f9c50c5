#!/bin/sh
# Prepare (and optionally start) a local Mosquitto for jobsd from the config
# shipped in contrib/mosquitto.
#
#   scripts/broker.sh DIR PORT
#     writes DIR/mosquitto.conf, DIR/acl and DIR/passwd (user "jobsd" with a
#     random password kept in DIR/jobsd.password, mode 600): devices are
#     confined by client id.
#   TLS_DIR=CERTS scripts/broker.sh DIR PORT
#     a TLS listener instead (mosquitto-tls.conf.in, acl-tls): every client
#     needs a certificate signed by CERTS/ca.crt, whose CN is its username;
#     the broker serves CERTS/server.crt. CERTS comes from scripts/dev-certs.sh.
#
# With START=1 it then execs mosquitto in the foreground.
set -eu
dir=$1
port=$2
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
chmod 700 "$dir"
if [ -n "${TLS_DIR:-}" ]; then
	certs=$(cd "$TLS_DIR" && pwd)
	for f in ca.crt server.crt server.key; do
		[ -s "$certs/$f" ] || { echo "broker.sh: $certs/$f missing (scripts/dev-certs.sh $certs)" >&2; exit 2; }
	done
	sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" -e "s|@USER@|$(id -un)|g" -e "s|@CERTS@|$certs|g" \
		"$here/contrib/mosquitto/mosquitto-tls.conf.in" > "$dir/mosquitto.conf"
	cp "$here/contrib/mosquitto/acl-tls" "$dir/acl"
else
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
fi
if [ "${START:-0}" = 1 ]; then
	exec mosquitto -c "$dir/mosquitto.conf"
fi
