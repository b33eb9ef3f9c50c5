#!/bin/sh
# Keep the dependency direction of STYLE.md:
#   util <- core <- store (interface) <- svc <- {api, mqtt} <- main
# and keep each external library behind the one module that wraps it.
# Prints every violation and exits 1 if there is any.
set -u
cd "$(dirname "$0")/.."
bad=0

# forbid PATTERN in files under DIR (except those matching ALLOW)
forbid() {
	dir=$1 pattern=$2 why=$3 allow=${4:-}
	hits=$(grep -rnE "^#include [<\"]($pattern)" "$dir" --include='*.[ch]' 2>/dev/null |
		{ if [ -n "$allow" ]; then grep -vE "$allow"; else cat; fi; })
	if [ -n "$hits" ]; then
		printf '%s\n  (%s)\n' "$hits" "$why"
		bad=1
	fi
}

forbid src 'sqlite3\.h' 'only src/store/sqlite includes sqlite3.h' '^src/store/sqlite/'
forbid src 'libpq-fe\.h' 'only src/store/postgres includes libpq-fe.h' '^src/store/postgres/'
forbid src 'microhttpd\.h' 'only src/api knows HTTP' '^src/api/'
forbid src 'gnutls/' 'only src/api includes gnutls headers (tls.c)' '^src/api/'
forbid src 'mosquitto\.h' 'only the MQTT bridge includes mosquitto.h' '^src/mqtt/bridge\.c'
forbid src/util '(core|store|svc|api|mqtt|auth)/' 'util depends on nothing else in src/'
forbid src/core '(store|svc|api|mqtt|auth)/|jansson\.h' 'core is pure: util only, no JSON library'
forbid src/store '(svc|api|mqtt|auth)/|jansson\.h' 'the store depends on util and core only'
forbid src/svc '(api|mqtt)/' 'svc must not know its callers'
forbid src/mqtt 'api/' 'mqtt and api are siblings'
forbid src/auth '(core|store|svc|api|mqtt)/|microhttpd\.h|jansson\.h' 'auth depends on util only'
forbid src/api 'mqtt/' 'mqtt and api are siblings'

if [ $bad -ne 0 ]; then
	echo "check-layers: dependency rules violated" >&2
	exit 1
fi
