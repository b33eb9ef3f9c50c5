#!/bin/sh
# test_deb.sh BUILD_DIR: `make deb`'s package (packaging/deb/build-deb.sh) passes lintian
# without errors, unpacks with dpkg into a fresh root (its own dpkg database; the
# dependencies are not in that root, so --force-depends; the maintainer scripts are
# checked with sh -n and not run: they would add a user to this machine), holds the
# files it should with the right modes, and its binary answers --version. The unit passes
# `systemd-analyze verify` (a copy whose ExecStart names the unpacked binary, with the
# unpacked man page on MANPATH: verify checks both exist). ctest: packaging_deb.
set -eu

build=$(cd "${1:?usage: test_deb.sh BUILD_DIR}" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-it-deb-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

deb=$("$repo/packaging/deb/build-deb.sh" "$build" "$tmp/out")
[ -f "$deb" ] || fail "no .deb built"
echo "built $deb"

# lintian: no error (E:) and no warning (W:) tags
if command -v lintian >/dev/null; then
	lintian --tag-display-limit 0 "$deb" >"$tmp/lintian" 2>&1 || true
	cat "$tmp/lintian"
	! grep -q '^[EW]: ' "$tmp/lintian" || fail "lintian reports errors or warnings"
else
	fail "lintian not installed (scripts/install-deps.sh installs it)"
fi

# a fresh root with its own dpkg database
root="$tmp/root"
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
: >"$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
dpkg --root="$root" --force-depends --force-script-chrootless --unpack "$deb" >/dev/null
dpkg --root="$root" -s jobsd | grep -q '^Status: install ok unpacked' || fail "dpkg status"
dpkg-deb -f "$deb" Depends | grep -q 'libmicrohttpd' || fail "Depends lacks libmicrohttpd"
dpkg-deb -f "$deb" Depends | grep -q 'adduser' || fail "Depends lacks adduser"

check_file() { # path mode
	[ -f "$root$1" ] || fail "missing $1"
	m=$(stat -c %a "$root$1")
	[ "$m" = "$2" ] || fail "$1: mode $m, want $2"
}
check_file /usr/sbin/jobsd 755
check_file /lib/systemd/system/jobsd.service 644
# a conffile stays NAME.dpkg-new until dpkg --configure
check_file /etc/jobsd/jobsd.conf.dpkg-new 644
check_file /usr/share/man/man8/jobsd.8.gz 644
check_file /usr/share/doc/jobsd/copyright 644
check_file /usr/share/doc/jobsd/changelog.gz 644
for f in "$repo"/contrib/mosquitto/*; do
	cmp -s "$f" "$root/usr/share/jobsd/mosquitto/$(basename "$f")" ||
		fail "/usr/share/jobsd/mosquitto/$(basename "$f") differs from contrib/mosquitto"
done
grep -qx /etc/jobsd/jobsd.conf "$root/var/lib/dpkg/info/jobsd.conffiles" ||
	fail "jobsd.conf is not a conffile"
for s in postinst prerm postrm; do
	sh -n "$root/var/lib/dpkg/info/jobsd.$s" || fail "$s: syntax"
done

# the binary runs, and the man page documents every option of --help
want=$("$build/jobsd" --version)
got=$("$root/usr/sbin/jobsd" --version)
[ "$got" = "$want" ] || fail "--version: '$got', want '$want'"
zcat "$root/usr/share/man/man8/jobsd.8.gz" >"$tmp/jobsd.8"
for opt in $("$build/jobsd" --help | sed -n 's/^  \(--[a-z-]*\).*/\1/p'); do
	grep -q "^\\\\fB$(printf '%s' "$opt" | sed 's/-/\\\\-/g')\\\\fR" "$tmp/jobsd.8" ||
		fail "man page lacks $opt"
done
# systemd-analyze verify on the unit
if command -v systemd-analyze >/dev/null; then
	sed "s|/usr/sbin/jobsd|$root/usr/sbin/jobsd|" "$root/lib/systemd/system/jobsd.service" \
		>"$tmp/jobsd.service"
	MANPATH="$root/usr/share/man" systemd-analyze verify "$tmp/jobsd.service" ||
		fail "systemd-analyze verify"
else
	fail "systemd-analyze not installed"
fi
echo "PASS: $deb"
