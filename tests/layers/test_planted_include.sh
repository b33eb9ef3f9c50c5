#!/bin/sh
# test_planted_include.sh: scripts/check-layers.sh catches an upward include,
# direct or reached through headers, and an external library outside its
# module. Each case plants one violation in a fresh copy of src/ and expects
# check-layers.sh to exit 1 naming it with its include chain. (That the real
# tree passes is the ctest layers_clean_tree.) Prints one line per case;
# exit 0 if all pass.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
check=$root/scripts/check-layers.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jdlayers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

# plant NAME FILE LINE PATTERN: append LINE to FILE (relative to src/, created
# if missing) in a fresh copy; check-layers must exit 1 and print a line
# matching the extended regex PATTERN.
plant() {
	name=$1 file=$2 line=$3 pattern=$4
	rm -rf "$tmp/src"
	cp -R "$root/src" "$tmp/src"
	printf '%s\n' "$line" >>"$tmp/src/$file"
	"$check" "$tmp/src" >"$tmp/out" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && grep -qE "$pattern" "$tmp/out"; then
		echo "ok   $name"
	else
		echo "FAIL $name: check-layers exited $rc; wanted a line matching: $pattern"
		sed 's/^/     | /' "$tmp/out"
		fail=1
	fi
}

plant direct-upward-include core/planted.c '#include "svc/svc.h"' \
	'^  src/core/planted\.c:[0-9]+ -> src/svc/svc\.h$'
plant include-through-a-header svc/svc.h '#include "store/store.h"' \
	'^  src/api/[a-z_]+\.[ch]:[0-9]+ -> .*src/svc/svc\.h:[0-9]+ -> src/store/store\.h$'
plant sibling-include mqtt/planted.c '#include "api/api.h"' \
	'^  src/mqtt/planted\.c:[0-9]+ -> src/api/api\.h$'
plant jansson-in-core core/planted.c '#include <jansson.h>' \
	'^  src/core/planted\.c:[0-9]+ -> jansson\.h$'
plant openssl-outside-auth svc/planted.c '#include <openssl/evp.h>' \
	'^  src/svc/planted\.c:[0-9]+ -> openssl/evp\.h$'
plant sqlite-through-store-h store/store.h '#include <sqlite3.h>' \
	'^  src/svc/[a-z_]+\.c:[0-9]+ -> src/svc/svc_int\.h:[0-9]+ -> src/store/store\.h:[0-9]+ -> sqlite3\.h$'
plant internal-header-of-another-module api/planted.c '#include "svc/svc_int.h"' \
	'^  src/api/planted\.c:[0-9]+ -> src/svc/svc_int\.h$'
plant file-over-1000-lines util/planted.c "$(seq -f '/* %g */' 1 1001)" \
	'^util/planted\.c: 1001 lines$'
exit $fail
