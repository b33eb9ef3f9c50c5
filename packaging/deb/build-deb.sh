#!/bin/sh
# build-deb.sh BUILD_DIR OUT_DIR: build jobsd_VERSION_ARCH.deb from a built tree
# (`make deb`) with dpkg-deb alone: no debhelper, no debian/ source directory.
# Why: the package is one binary and a few files; dpkg-deb keeps the build to
# what is here (no source-package machinery to maintain), and the maintainer
# scripts below do what debhelper's systemd and adduser snippets would.
#
# Contents: /usr/sbin/jobsd (stripped), /lib/systemd/system/jobsd.service,
# /etc/jobsd/jobsd.conf (a conffile), /usr/share/jobsd/mosquitto/ (from
# contrib/mosquitto), /usr/share/man/man8/jobsd.8.gz (gen-man.py, from --help),
# /usr/share/doc/jobsd/{copyright,changelog.gz}. Depends: the packages that
# hold the libraries the binary links (objdump NEEDED -> dpkg -S), at least
# their installed versions, and adduser. Prints the .deb's path.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: build-deb.sh BUILD_DIR OUT_DIR}" && pwd)
out=${2:?usage: build-deb.sh BUILD_DIR OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin="$build/jobsd"
[ -x "$bin" ] || { echo "build-deb: $bin not built" >&2; exit 1; }

version=$("$bin" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
# reproducible dates: the last commit's, else now
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH

root=$(mktemp -d "${TMPDIR:-/tmp}/jobsd-deb-XXXXXX")
trap 'rm -rf "$root"' EXIT INT TERM
umask 022
chmod 755 "$root"

install -d "$root/DEBIAN" "$root/usr/sbin" "$root/lib/systemd/system" "$root/etc/jobsd" \
	"$root/usr/share/jobsd/mosquitto" "$root/usr/share/man/man8" "$root/usr/share/doc/jobsd"
install -m 755 "$bin" "$root/usr/sbin/jobsd"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$root/usr/sbin/jobsd"
install -m 644 "$here/../../contrib/systemd/jobsd.service" "$root/lib/systemd/system/jobsd.service"
install -m 644 "$here/jobsd.conf" "$root/etc/jobsd/jobsd.conf"
for f in "$repo"/contrib/mosquitto/*; do
	install -m 644 "$f" "$root/usr/share/jobsd/mosquitto/"
done
python3 "$here/gen-man.py" "$bin" | gzip -9n >"$root/usr/share/man/man8/jobsd.8.gz"
install -m 644 "$here/copyright" "$root/usr/share/doc/jobsd/copyright"
date=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" "$here/changelog" |
	gzip -9n >"$root/usr/share/doc/jobsd/changelog.gz"
chmod 644 "$root/usr/share/man/man8/jobsd.8.gz" "$root/usr/share/doc/jobsd/changelog.gz"
for s in postinst prerm postrm; do
	install -m 755 "$here/$s" "$root/DEBIAN/$s"
done
echo /etc/jobsd/jobsd.conf >"$root/DEBIAN/conffiles"
(cd "$root" && find etc lib usr -type f ! -path 'etc/*' -exec md5sum {} + | LC_ALL=C sort -k2) \
	>"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

# Depends: the package of each library the binary needs, >= its installed version
deps=""
for lib in $(objdump -p "$bin" | awk '$1 == "NEEDED" {print $2}'); do
	path=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}')
	[ -n "$path" ] || { echo "build-deb: $lib not found" >&2; exit 1; }
	pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | cut -d: -f1) ||
		pkg=""
	[ -n "$pkg" ] || pkg=$(dpkg -S "$path" | head -n 1 | cut -d: -f1)
	ver=$(dpkg-query -W -f='${Version}' "$pkg:$arch" 2>/dev/null || dpkg-query -W -f='${Version}' "$pkg")
	case ",$deps," in *", $pkg (>= "*) continue ;; esac
	deps="$deps, $pkg (>= $ver)"
done
deps="adduser${deps}"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)

cat >"$root/DEBIAN/control" <<CONTROL
Package: jobsd
Version: $version
Architecture: $arch
Maintainer: jobsd developers <jobsd@example.org>
Installed-Size: $size
Depends: $deps
Section: net
Priority: optional
Description: self-hosted, wire-compatible AWS IoT Jobs service
 jobsd serves the AWS IoT Jobs API (control plane and device plane over
 HTTPS, and the device plane over MQTT through a broker) for fleets that
 manage their own devices: the AWS CLI and SDKs work against it unchanged.
 .
 State lives in SQLite or PostgreSQL; an admin listener serves health checks
 and Prometheus metrics. This package runs it as a hardened systemd service.
CONTROL

deb="$out/jobsd_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
