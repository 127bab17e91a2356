#!/bin/sh
# Build the Debian package cinerec_<version>_<arch>.deb from a built binary
# with plain dpkg tools (dpkg-shlibdeps, dpkg-gencontrol, dpkg-deb); no
# debhelper.  The version is the latest entry of packaging/changelog, whose
# upstream part must equal VERSION.
#
# usage: packaging/build-deb.sh BINARY OUTDIR
#   stages the package in OUTDIR/deb/ and writes OUTDIR/cinerec_*.deb
#   (replacing older ones there); prints the package's path last.
set -eu
umask 022

die() { echo "build-deb: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 BINARY OUTDIR"
bin=$1
out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
pkg=$top/packaging
[ -x "$bin" ] || die "$bin: no such executable (run make first)"
mkdir -p "$out"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
out=$(cd "$out" && pwd)

# --- versions --------------------------------------------------------------

upstream=$(cat "$top/VERSION")
version=$(dpkg-parsechangelog -l "$pkg/changelog" -S Version)
case $version in
"$upstream"-*) ;;
*) die "packaging/changelog's latest entry is $version but VERSION is" \
    "$upstream: add an entry for $upstream-1 at the top" ;;
esac
[ "$("$bin" version)" = "cinerec $upstream" ] ||
    die "$bin says '$("$bin" version)', VERSION says $upstream: rebuild"
arch=$(dpkg --print-architecture)
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$pkg/changelog" -S Timestamp)
export SOURCE_DATE_EPOCH

# The man page documents every command and every setting the binary knows
# (each has a ".B name" line of its own there).
commands=$("$bin" help | sed -n '/^commands:/,/^$/s/^  \([a-z-][a-z-]*\) .*/\1/p')
settings=$("$bin" serve --print-config | sed -n 's/^#\([a-z_][a-z_]*\) = .*/\1/p')
[ -n "$commands" ] || die "cinerec help listed no command"
[ -n "$settings" ] || die "cinerec serve --print-config printed no setting"
for s in $commands $settings; do
	grep -qxF ".B $(printf '%s' "$s" | sed 's/-/\\-/g')" "$pkg/cinerec.8" ||
	    die "packaging/cinerec.8 does not document '$s' (a command or" \
	    "setting of $bin): add it"
done

# --- the tree --------------------------------------------------------------

work=$out/deb
root=$work/root
rm -rf "$work"
rm -f "$out"/cinerec_*.deb
mkdir -p "$work/debian"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/etc/cinerec" \
    "$root/lib/systemd/system" "$root/usr/share/man/man8" \
    "$root/usr/share/doc/cinerec" "$root/usr/share/cinerec" \
    "$root/usr/share/lintian/overrides"

install -m 0755 "$bin" "$root/usr/bin/cinerec"
strip --remove-section=.comment --remove-section=.note "$root/usr/bin/cinerec"

# The conffile: every setting commented, generated so it never drifts.
{
	cat <<-EOF
	# /etc/cinerec/cinerec.conf: settings of cinerec.service, see cinerec(8).
	#
	# Every setting is shown with its default, commented out.  The service
	# passes --data-dir /var/lib/cinerec, which wins over data_dir here.
	# SIGHUP does not reload this file: after a change, run
	#   systemctl restart cinerec

	EOF
	"$bin" serve --print-config
} >"$root/etc/cinerec/cinerec.conf"
chmod 0644 "$root/etc/cinerec/cinerec.conf"

install -m 0644 "$top/systemd/cinerec.service" "$root/lib/systemd/system/"
gzip -9n <"$pkg/cinerec.8" >"$root/usr/share/man/man8/cinerec.8.gz"
install -m 0644 "$pkg/copyright" "$root/usr/share/doc/cinerec/copyright"
gzip -9n <"$pkg/changelog" >"$root/usr/share/doc/cinerec/changelog.Debian.gz"
install -m 0644 "$pkg/lintian-overrides" \
    "$root/usr/share/lintian/overrides/cinerec"

# /usr/share/cinerec: a README now, monitoring files when they exist.
install -m 0644 "$pkg/README.share" "$root/usr/share/cinerec/README"
for d in prometheus grafana; do
	if [ -d "$pkg/$d" ]; then
		cp -R "$pkg/$d" "$root/usr/share/cinerec/$d"
	fi
done
find "$root/usr/share/cinerec" -type d -exec chmod 0755 {} +
find "$root/usr/share/cinerec" -type f -exec chmod 0644 {} +

# --- control data ----------------------------------------------------------

for s in postinst prerm postrm; do
	install -m 0755 "$pkg/$s" "$root/DEBIAN/$s"
done
echo /etc/cinerec/cinerec.conf >"$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"

# dpkg-shlibdeps and dpkg-gencontrol read debian/control and
# debian/changelog from the current directory: give them a scratch one.
cp "$pkg/control.in" "$work/debian/control"
cp "$pkg/changelog" "$work/debian/changelog"
kore=$(dpkg-query -W -f='${source:Package} (= ${source:Version})' kore) ||
    die "package kore is not installed"
(
	cd "$work"
	dpkg-shlibdeps -Tdebian/substvars root/usr/bin/cinerec
	echo "kore:Built-Using=$kore" >>debian/substvars
	dpkg-gencontrol -pcinerec -Proot -Tdebian/substvars -fdebian/files
)

(
	cd "$root"
	find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort |
	    xargs md5sum >DEBIAN/md5sums
)
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

deb=$out/cinerec_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
