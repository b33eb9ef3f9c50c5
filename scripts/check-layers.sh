#!/bin/sh
# check-layers.sh [SRC_DIR]: keep the dependency direction of docs/design.md
# and STYLE.md, on includes, including those reached through other headers.
#
#   util <- core <- store <- svc <- {api, mqtt} <- main
#   util <- auth <- api      core <- shape <- {api, mqtt}      core <- config
#   auth <- s3 (the S3 client; main wires it into svc)
#   store <- copystore (jobsd copy-store, linked into jobsd beside main.c)
#
# (CMake enforces the same arrows on calls: an upward call fails to link a
# layer-check target.) Every .c and .h under SRC_DIR (default: src/ of this
# repository) is a root: the script follows its quoted project includes
# transitively (resolved like the compiler: the including file's directory,
# then SRC_DIR) and checks every include it reaches against the rules of the
# ROOT's module, so api/x.c including svc/svc.h including store/store.h is api
# including store. It also keeps each external library behind the module that
# wraps it, and a module's internal header (*_int.h) inside that module.
# jd_limits.h (constants only) may be included from anywhere; main.c from
# anything in src/.
#
# Prints every violation with its include chain (file:line of each include)
# and exits 1 if there is any, 0 if none, 2 on a usage error.
set -u
src=${1:-$(dirname "$0")/../src}
if [ ! -d "$src" ]; then
	echo "check-layers: no directory $src" >&2
	exit 2
fi
cd "$src" || exit 2
files=$(find . -type f \( -name '*.c' -o -name '*.h' \) | sed 's|^\./||' | LC_ALL=C sort)
[ -n "$files" ] || { echo "check-layers: no sources under $src" >&2; exit 2; }

# shellcheck disable=SC2086 # file names under src/ have no spaces
awk '
function dirname(p,    i) {
	i = match(p, /\/[^\/]*$/)
	return i ? substr(p, 1, i - 1) : ""
}
function module(p) {
	if (index(p, "/"))
		return substr(p, 1, index(p, "/") - 1)
	if (p == "jd_limits.h")
		return "limits"
	sub(/\.[ch]$/, "", p)
	return p
}
# The modules whose headers module m may include (besides limits).
function allowed(m) {
	if (m == "util") return " util "
	if (m == "core") return " util core "
	if (m == "store") return " util core store "
	if (m == "svc") return " util core store svc "
	if (m == "auth") return " util auth "
	if (m == "shape") return " util core shape "
	if (m == "api") return " util core svc auth shape api "
	if (m == "mqtt") return " util core svc shape mqtt "
	if (m == "config") return " util core config "
	if (m == "s3") return " util auth s3 "
	if (m == "copystore") return " util core store copystore "
	return ""
}
# "" if root may include the external header h, else the rule it breaks.
function external(root, h) {
	if (h == "sqlite3.h" && root !~ /^store\/sqlite\//)
		return "only src/store/sqlite includes sqlite3.h"
	if (h == "libpq-fe.h" && root !~ /^store\/postgres\//)
		return "only src/store/postgres includes libpq-fe.h"
	if (h == "microhttpd.h" && root !~ /^api\//)
		return "only src/api knows HTTP (microhttpd.h)"
	if (h ~ /^gnutls\// && root !~ /^api\//)
		return "only src/api includes gnutls headers (tls.c)"
	if (h == "mosquitto.h" && root != "mqtt/bridge.c" && root != "mqtt/out.c")
		return "only the MQTT bridge (src/mqtt/bridge.c, out.c) includes mosquitto.h"
	if (h ~ /^openssl\// && root !~ /^(auth|s3)\//)
		return "only src/auth and src/s3 include OpenSSL headers"
	if (h == "jansson.h" && root !~ /^(api|mqtt|svc)\//)
		return "only src/api, src/mqtt and src/svc include jansson.h"
	return ""
}
function report(root, node, k, what, reason,    chain, n, path, i) {
	if (((root, what) in seen))
		return
	seen[root, what] = 1
	n = 0
	for (i = node; i != ""; i = parent[i])
		path[++n] = i
	chain = ""
	for (i = n; i >= 1; i--)
		chain = chain (chain == "" ? "" : " -> ") "src/" path[i] ":" \
		    (i > 1 ? pline[path[i - 1]] : inc_line[node, k])
	printf "src/%s: includes %s\n  %s -> %s\n  (%s)\n", root, what, chain, what, reason
	bad = 1
}
FNR == 1 { have[FILENAME] = 1; order[++nfiles] = FILENAME }
/^[ \t]*#[ \t]*include[ \t]*[<"]/ {
	s = $0
	sub(/^[ \t]*#[ \t]*include[ \t]*/, "", s)
	close_ch = substr(s, 1, 1) == "<" ? ">" : "\""
	s = substr(s, 2)
	if ((i = index(s, close_ch)) == 0)
		next
	n = ++ninc[FILENAME]
	inc_name[FILENAME, n] = substr(s, 1, i - 1)
	inc_quoted[FILENAME, n] = close_ch == "\""
	inc_line[FILENAME, n] = FNR
}
END {
	# Resolve each include to a file under src/, or leave it external.
	for (f = 1; f <= nfiles; f++) {
		u = order[f]
		for (k = 1; k <= ninc[u]; k++) {
			h = inc_name[u, k]
			d = dirname(u)
			t = ""
			if (inc_quoted[u, k] && d != "" && ((d "/" h) in have))
				t = d "/" h
			else if (h in have)
				t = h
			inc_target[u, k] = t
		}
	}
	for (f = 1; f <= nfiles; f++) {
		root = order[f]
		rm = module(root)
		delete parent
		delete pline
		delete seen
		head = tail = 0
		queue[tail++] = root
		parent[root] = ""
		while (head < tail) {
			u = queue[head++]
			for (k = 1; k <= ninc[u]; k++) {
				t = inc_target[u, k]
				if (t == "") {
					r = external(root, inc_name[u, k])
					if (r != "")
						report(root, u, k, inc_name[u, k], r)
					continue
				}
				if (!(t in parent)) {
					parent[t] = u
					pline[t] = inc_line[u, k]
					queue[tail++] = t
				}
				tm = module(t)
				if (rm != "main" && tm != "limits" && index(allowed(rm), " " tm " ") == 0)
					report(root, u, k, "src/" t, rm " -> " tm " is not an allowed arrow: " \
					    (allowed(rm) == "" ? "module " rm " is not in the layer table" : \
					    rm " may include" allowed(rm) "and jd_limits.h"))
				else if (t ~ /_int\.h$/ && index(dirname(root) "/", dirname(t) "/") != 1)
					report(root, u, k, "src/" t, "a module'"'"'s *_int.h is internal to it")
			}
		}
	}
	exit bad
}' $files
rc=$?

# No source file over JD_FILE_LINES_MAX lines: a longer one is split by role.
JD_FILE_LINES_MAX=1000
# shellcheck disable=SC2086
long=$(wc -l $files | awk -v max=$JD_FILE_LINES_MAX '$2 != "total" && $1 > max { print $2 ": " $1 " lines" }')
if [ -n "$long" ]; then
	printf '%s\n  (no file in src/ over %d lines: split it by role)\n' "$long" "$JD_FILE_LINES_MAX"
	rc=1
fi

if [ $rc -ne 0 ]; then
	echo "check-layers: dependency rules violated" >&2
	exit 1
fi
