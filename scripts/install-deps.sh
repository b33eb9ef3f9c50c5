#!/bin/sh
# Install the Debian packages jobsd needs to build, run and test.
# Idempotent, non-interactive, and quiet when everything is already present.
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-dev clang-format
libmicrohttpd-dev libgnutls28-dev libjansson-dev libsqlite3-dev libssl-dev sqlite3
libpq-dev postgresql
mosquitto mosquitto-clients libmosquitto-dev
rabbitmq-server haproxy
curl openssl
prometheus lintian
chromium chromium-driver python3-selenium"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
