#!/bin/sh
# test_planted_call.sh CMAKE CC: an upward call fails the build. Configures a
# scratch build of this tree and builds only jd_core's layer check (util and
# core, a few seconds): it must link; then again with
# -DJOBSD_PLANT_UPWARD_CALL=ON, which adds tests/layers/plant_upward_call.c
# (a core source calling svc_now()) to jd_core: the link must fail on the
# undefined svc_now. Exit 0 if both hold.
set -u
cmake=${1:-cmake}
cc=${2:-cc}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jdplant.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

build() {
	"$cmake" -S "$root" -B "$tmp/b" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug \
	    -DJOBSD_PLANT_UPWARD_CALL="$1" >"$tmp/log" 2>&1 &&
	    "$cmake" --build "$tmp/b" --target jd_core_check >>"$tmp/log" 2>&1
}

if ! build OFF; then
	echo "FAIL without the plant: jd_core_check did not build"
	sed 's/^/     | /' "$tmp/log"
	exit 1
fi
echo "ok   jd_core_check links without the plant"
if build ON; then
	echo "FAIL with the planted core -> svc call: jd_core_check still linked"
	exit 1
fi
if ! grep -qE "undefined (reference to|symbol).*svc_now" "$tmp/log"; then
	echo "FAIL with the plant: the build failed, but not on an undefined svc_now"
	sed 's/^/     | /' "$tmp/log"
	exit 1
fi
echo "ok   jd_core_check fails to link with the planted core -> svc call:"
grep -E "undefined (reference to|symbol).*svc_now" "$tmp/log" | head -n 1 | sed 's/^/     /'
