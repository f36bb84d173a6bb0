#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# End-to-end check of the Linux packages, on a Debian 12 machine, as root:
#   release build in build-release/ -> cpack DEB + TGZ -> lintian -> systemd-analyze verify ->
#   install the .deb into a clean debootstrap'ed bookworm root -> tandem --version and a
#   tandem --serve smoke run (ws:// line, HTTP health check "okay", exit 0 on SIGTERM).
# Prints PASS/FAIL per step; exits non-zero on the first failure. Safe to re-run: the chroot is
# recreated from build-release/debroot-cache/ each time, and its mounts are always undone.
# Needs: cmake, ninja, Qt 6 dev packages, dpkg-dev, lintian, systemd, debootstrap (the missing
# ones among the last four are installed with apt-get) and network access to deb.debian.org.
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$src/build-release
mirror=${TANDEM_DEB_MIRROR:-http://deb.debian.org/debian}
cache=$build/debroot-cache/bookworm-minbase.tar.gz
root=$build/debroot
server_pid=

pass() { printf 'PASS: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
step() { printf '\n=== %s\n' "$*"; }

unmount_root() {
    local m
    # Deepest first; everything that is mounted below $root.
    for m in $(findmnt -rn -o TARGET | grep -F "$root/" | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" || true
    done
}
cleanup() {
    local rc=$?
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    unmount_root
    exit $rc
}
trap cleanup EXIT
trap 'printf "FAIL: interrupted\n" >&2; exit 130' INT TERM

[[ $(id -u) == 0 ]] || fail "run as root (debootstrap and chroot need it)"

need=()
command -v dpkg-shlibdeps >/dev/null || need+=(dpkg-dev)
command -v lintian >/dev/null || need+=(lintian)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v debootstrap >/dev/null || need+=(debootstrap)
if ((${#need[@]})); then
    step "installing ${need[*]}"
    apt-get install -y --no-install-recommends "${need[@]}" || fail "apt-get install ${need[*]}"
fi

step "configure (release preset)"
cd "$src"
cmake --preset release -DTANDEM_BUILD_TESTS=OFF -DTANDEM_BUILD_BENCHMARKS=OFF >/dev/null \
    || fail "configure build-release"
pass "configure build-release"

step "build tandem"
ninja -C "$build" tandem || fail "build tandem"
pass "build tandem"

step "cpack DEB + TGZ"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
arch=$(dpkg --print-architecture)
deb=$build/tandem_${version}_${arch}.deb
rm -f "$build"/tandem_*.deb "$build"/tandem-*.tar.gz
(cd "$build" && cpack -G "DEB;TGZ") || fail "cpack"
[[ -f $deb ]] || fail "cpack did not produce $deb"
tgz=$(ls "$build"/tandem-"$version"-*.tar.gz 2>/dev/null | head -1)
[[ -n $tgz ]] || fail "cpack did not produce tandem-$version-*.tar.gz"
tar -tzf "$tgz" | grep -q '/bin/tandem$' || fail "$tgz has no bin/tandem"
pass "cpack: $(basename "$deb") $(basename "$tgz")"
dpkg-deb -f "$deb" Depends Recommends | sed 's/^/  /'

step "lintian"
lintian_out=$(lintian --fail-on error --tag-display-limit 0 "$deb" 2>&1) && lintian_rc=0 || lintian_rc=$?
printf '%s\n' "$lintian_out" | sed -n '/./s/^/  /p'
if ((lintian_rc != 0)) || grep -q '^E: ' <<<"$lintian_out"; then
    fail "lintian reports errors"
fi
pass "lintian: no errors ($(grep -c '^W: ' <<<"$lintian_out" || true) warnings)"

step "systemd-analyze verify"
# A scratch root: the package's files over the host's units (verify needs sysinit.target etc.),
# so that ExecStart=/usr/bin/tandem is resolved against the package. Any output (an unknown
# key, a bad value) counts as a failure, not only a non-zero exit.
vroot=$build/unit-verify-root
rm -rf --one-file-system "$vroot" && mkdir -p "$vroot/usr/lib/systemd/system"
cp -a /lib/systemd/system/. "$vroot/usr/lib/systemd/system/"
dpkg-deb -x "$deb" "$vroot"
verify_out=$(cd "$vroot" && systemd-analyze verify --man=no --root="$vroot" \
    usr/lib/systemd/system/tandem.service 2>&1) && verify_rc=0 || verify_rc=$?
if ((verify_rc != 0)) || [[ -n $verify_out ]]; then
    printf '%s\n' "$verify_out"
    fail "systemd-analyze verify tandem.service"
fi
pass "systemd-analyze verify tandem.service"
man_out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$vroot/usr/share/man/man1/tandem.1.gz" 2>&1 >/dev/null) \
    || fail "man tandem.1.gz"
[[ -z $man_out ]] || { printf '%s\n' "$man_out"; fail "man page has groff warnings"; }
pass "man page tandem(1) renders without warnings"

step "clean bookworm root"
if [[ ! -f $cache ]]; then
    mkdir -p "$(dirname "$cache")"
    tmp=$build/debroot-cache/bootstrap.tmp
    rm -rf --one-file-system "$tmp"
    debootstrap --variant=minbase bookworm "$tmp" "$mirror" || fail "debootstrap"
    tar -C "$tmp" -czf "$cache.tmp" . && mv "$cache.tmp" "$cache"
    rm -rf --one-file-system "$tmp"
fi
unmount_root
if findmnt -rn -o TARGET | grep -qF "$root/"; then fail "$root still has mounts"; fi
rm -rf --one-file-system "$root"
mkdir -p "$root"
tar -C "$root" -xzf "$cache" || fail "unpack $cache"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
pass "bookworm root in $root"

step "apt-get install ./$(basename "$deb") in the chroot"
cp "$deb" "$root/tmp/"
export DEBIAN_FRONTEND=noninteractive
chroot "$root" apt-get update -q >/dev/null || fail "apt-get update in the chroot"
chroot "$root" sh -c "cd /tmp && apt-get install -y -q ./$(basename "$deb")" \
    || fail "apt-get install in the chroot"
pass "apt-get install ./$(basename "$deb")"

step "tandem --version"
out=$(chroot "$root" /usr/bin/tandem --version 2>&1) || fail "tandem --version: $out"
grep -qF "$version" <<<"$out" || fail "tandem --version printed '$out', not $version"
pass "tandem --version: $out"

step "tandem --serve smoke run"
log=$root/tmp/serve.log
rm -rf "$root/tmp/x" "$log"
chroot "$root" /usr/bin/tandem --serve --port 0 --data-dir /tmp/x >"$log" 2>&1 &
server_pid=$!
url=
for _ in $(seq 100); do
    url=$(grep -o 'ws://[^ <]*' "$log" | head -1 || true)
    [[ -n $url ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
[[ -n $url ]] || { cat "$log"; fail "no ws:// line within 10 s"; }
pass "serving: $(head -1 "$log")"
port=${url##*:}; port=${port%%/*}
health=$(chroot "$root" timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port
    printf 'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3
    cat <&3" | tr -d '\r') || true
[[ $health == *okay* ]] || { printf '%s\n' "$health"; fail "HTTP health check"; }
pass "HTTP health check on port $port: okay"
kill -TERM "$server_pid"
rc=0
wait "$server_pid" || rc=$?
server_pid=
((rc == 0)) || { cat "$log"; fail "tandem --serve exited with $rc on SIGTERM"; }
[[ -f $root/tmp/x/rooms.sqlite ]] || fail "no rooms.sqlite in the data directory"
pass "SIGTERM: exit 0, /tmp/x/rooms.sqlite written"

printf '\nALL PASS: %s, %s\n' "$(basename "$deb")" "$(basename "$tgz")"
