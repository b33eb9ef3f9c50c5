#!/bin/sh
# Development certificates for jobsd's TLS, with the openssl CLI:
#
#   scripts/dev-certs.sh DIR [THING...]
#
# creates, in DIR (mode 700), each only when missing (so it can be re-run to
# add things, or to replace a file after deleting it):
#   ca.crt ca.key             a development CA (EC P-256, 10 years)
#   server.crt server.key     for 127.0.0.1 and localhost (subjectAltName), both
#                             jobsd listeners (--tls-cert/--tls-key) and the broker
#   jobsd.crt jobsd.key       jobsd's client certificate for the broker, CN=jobsd
#                             (--mqtt-certfile/--mqtt-keyfile)
#   THING.crt THING.key       a device certificate per thing, CN=THING: for the
#                             data listener's mutual TLS (--data-client-ca ca.crt)
#                             and the TLS broker (contrib/mosquitto/mosquitto-tls.conf.in)
# Keys are mode 600. Never use these outside development: the CA key sits next
# to the certificates it signs.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DIR [THING...]" >&2; exit 2; }
dir=$1
shift
mkdir -p "$dir"
chmod 700 "$dir"
umask 077

days=3650
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

if [ ! -s "$dir/ca.crt" ] || [ ! -s "$dir/ca.key" ]; then
	newkey "$dir/ca.key"
	openssl req -x509 -new -key "$dir/ca.key" -sha256 -days $days -subj "/CN=jobsd development CA" \
		-addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$dir/ca.crt"
fi

# sign NAME CN EXTENSIONS: NAME.key (new if missing) -> NAME.crt signed by the CA
sign() {
	name=$1 cn=$2 ext=$3
	[ -s "$dir/$name.crt" ] && [ -s "$dir/$name.key" ] && return 0
	newkey "$dir/$name.key"
	printf '%b\n' "$ext" > "$dir/$name.ext"
	openssl req -new -key "$dir/$name.key" -subj "/CN=$cn" -out "$dir/$name.csr"
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
		-set_serial "0x$(openssl rand -hex 16)" -days $days -sha256 \
		-extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>/dev/null
	rm -f "$dir/$name.csr" "$dir/$name.ext"
}

client='basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth'
sign server localhost \
	'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost'
sign jobsd jobsd "$client"
for thing in "$@"; do
	case $thing in
	ca | server | jobsd | *[!A-Za-z0-9:_-]*)
		echo "dev-certs: '$thing' is not a usable thing name here" >&2
		exit 2
		;;
	esac
	sign "$thing" "$thing" "$client"
done
chmod 644 "$dir"/*.crt
echo "$dir"
